// Zod field types the core config and the probe kinds' settings both use.
// Vocabulary of the probes alone (URLs, addresses, TLS) is in probes/lib.
import { readFileSync } from 'node:fs'
import { RE2JS, RE2JSSyntaxException } from 're2js'
import { z } from 'zod'
import { parseDuration } from '../duration.js'
import { parseByteSize, type ByteSize } from './size.js'

/** Node's timers overflow past this (about 24.8 days) and then fire after 1ms. */
const MAX_TIMER_MS = 2 ** 31 - 1

/** A duration string ("500ms", "30s", "5m") parsed to milliseconds. */
export const duration = z.string({ error: 'expected a duration such as "500ms", "30s" or "5m"' }).transform((text, ctx) => {
  const ms = parseDuration(text)
  if (ms === undefined || ms === 0) {
    ctx.addIssue({ code: 'custom', message: 'expected a duration such as "500ms", "30s" or "5m"' })
    return z.NEVER
  }
  // An `interval: 30d` would otherwise become a setInterval of 1ms.
  if (ms > MAX_TIMER_MS) {
    ctx.addIssue({ code: 'custom', message: 'expected a duration of at most 24d' })
    return z.NEVER
  }
  return ms
})

/**
 * A byte size ("29GB", "500MiB", "1k", or a number of bytes), parsed by
 * src/settings/size.ts: SI units are powers of 1000, IEC units (KiB, MiB ...)
 * powers of 1024.
 */
const SIZE_EXPECTED = 'expected a size such as "500MiB", "29GB" or "1k" (kB, MB, GB, TB: powers of 1000; KiB, MiB, GiB, TiB: powers of 1024)'
export const byteSize = z
  .union([z.int().min(0, SIZE_EXPECTED), z.string()], { error: SIZE_EXPECTED })
  .transform((value, ctx): ByteSize => {
    const size = typeof value === 'number' ? { bytes: value, text: `${value} bytes`, iec: false } : parseByteSize(value)
    if (size === undefined || !Number.isSafeInteger(size.bytes)) {
      ctx.addIssue({ code: 'custom', message: SIZE_EXPECTED })
      return z.NEVER
    }
    return size
  })

/**
 * A user's regular expression, compiled for RE2's linear-time engine: a body
 * or banner the target controls cannot make a match backtrack for seconds
 * (`^(a+)+$`). `test` finds a match anywhere in the text, as RegExp's does.
 */
export interface Pattern {
  readonly source: string
  test(text: string): boolean
}

/** A regular expression given as a string, compiled at load so a typo fails validation. */
export const regex = z.string().max(4096).transform((source, ctx): Pattern => {
  try {
    const compiled = RE2JS.compile(source)
    return { source, test: (text) => compiled.test(text) }
  } catch (err) {
    // The engine's description alone: its message quotes the pattern, and a value is never echoed.
    const why = /\(\?<?[=!]/.test(source)
      ? 'lookaround is not supported'
      : /\\[1-9]/.test(source)
        ? 'backreferences are not supported'
        : err instanceof RE2JSSyntaxException
          ? err.error
          : 'not a pattern RE2 can run'
    ctx.addIssue({ code: 'custom', message: `expected a valid regular expression in RE2 syntax (no backreferences or lookaround): ${why}` })
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
