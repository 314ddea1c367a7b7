// Zod field types the core config and the probe kinds' settings both use.
// Vocabulary of the probes alone (URLs, addresses, TLS) is in probes/lib.
import { readFileSync } from 'node:fs'
import { z } from 'zod'
import { parseDuration } from '../duration.js'

/** Node's timers overflow past this (about 24.8 days) and then fire after 1ms. */
const MAX_TIMER_MS = 2 ** 31 - 1

/** A duration string ("500ms", "30s", "5m") parsed to milliseconds. */
export const duration = z.string({ error: 'expected a duration such as "500ms", "30s" or "5m"' }).transform((text, ctx) => {
  const ms = parseDuration(text)
  if (ms === undefined || ms === 0) {
    ctx.addIssue({ code: 'custom', message: `expected a duration such as "500ms", "30s" or "5m", got "${text}"` })
    return z.NEVER
  }
  // An `interval: 30d` would otherwise become a setInterval of 1ms.
  if (ms > MAX_TIMER_MS) {
    ctx.addIssue({ code: 'custom', message: `expected a duration of at most 24d, got "${text}"` })
    return z.NEVER
  }
  return ms
})

/** A regular expression given as a string, compiled at load so a typo fails validation. */
export const regex = z.string().transform((source, ctx) => {
  try {
    return new RegExp(source)
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `expected a valid regular expression: ${(err as Error).message}` })
    return z.NEVER
  }
})

/** A file that must be readable when the config is loaded (its content is read again at use). */
export const readableFile = z.string().refine((path) => {
  try {
    readFileSync(path)
    return true
  } catch {
    return false
  }
}, 'expected a readable file')

/**
 * A kind's `expect:` keys plus `max_latency`, which every kind accepts and the
 * runner judges (on what the probe reports as its latency, else the whole run).
 */
export function expectations<S extends z.ZodRawShape>(shape: S) {
  return z.strictObject({ ...shape, max_latency: duration.optional() })
}
