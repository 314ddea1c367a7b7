// Zod field types shared by the core config and the probe kinds' settings.
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

/** A URL with one of the given schemes. */
export function urlWith(...schemes: string[]) {
  const expected = `expected a URL starting with ${schemes.map((s) => `${s}://`).join(' or ')}`
  return z.string({ error: expected }).refine((text) => {
    try {
      return schemes.includes(new URL(text).protocol.slice(0, -1))
    } catch {
      return false
    }
  }, expected)
}

/** A file that must be readable when the config is loaded (its content is read again at use). */
export const readableFile = z.string().refine((path) => {
  try {
    readFileSync(path)
    return true
  } catch {
    return false
  }
}, 'expected a readable file')

/** `host:port`, the address form of sockets and most service configs. */
export const hostPort = z.string().refine((text) => {
  const m = /^(\[[0-9a-f:.]+\]|[^:\s]+):(\d{1,5})$/i.exec(text)
  return !!m && Number(m[2]) > 0 && Number(m[2]) < 65536
}, 'expected "host:port" with a port from 1 to 65535')

/** Splits a validated `host:port`. */
export function splitHostPort(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':')
  return { host: address.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(address.slice(at + 1)) }
}

/** Client TLS settings shared by the probes that speak TLS themselves. */
export const tlsSettings = z.strictObject({
  /** PEM file of the CA to trust instead of the system's. */
  ca_file: readableFile.optional(),
  /** Skip certificate verification (opt-in; the connection is still encrypted). */
  insecure: z.boolean().default(false),
  /** SNI and the name to verify, when the URL's host is an address. */
  server_name: z.string().optional(),
})

/**
 * A kind's `expect:` keys plus `max_latency`, which every kind accepts and the
 * runner judges (on what the probe reports as its latency, else the whole run).
 */
export function expectations<S extends z.ZodRawShape>(shape: S) {
  return z.strictObject({ ...shape, max_latency: duration.optional() })
}
