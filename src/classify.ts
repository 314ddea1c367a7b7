// Maps whatever a client library threw onto the SPEC's bounded reason set.
// Node's network errors carry a `code`; TLS verification errors carry
// OpenSSL's code names. Anything unrecognised is `error`, never a new label.
import { ProbeError, type Reason } from './probe.js'

const BY_CODE: Record<string, Reason> = {
  ECONNREFUSED: 'refused',
  EHOSTUNREACH: 'refused',
  ENETUNREACH: 'refused',
  EADDRNOTAVAIL: 'refused',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  EAI_FAIL: 'dns',
  EAI_NONAME: 'dns',
  ETIMEDOUT: 'timeout',
  ABORT_ERR: 'timeout',
  EPROTO: 'tls',
}

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH|ERR_OSSL_)/

export function classifyError(err: unknown): Reason {
  if (err instanceof ProbeError) return err.reason
  const e = err as { code?: unknown; name?: unknown; cause?: unknown } | null
  if (!e || typeof e !== 'object') return 'error'
  if (e.name === 'AbortError' || e.name === 'TimeoutError') return 'timeout'
  const code = typeof e.code === 'string' ? e.code : undefined
  if (code && BY_CODE[code]) return BY_CODE[code]
  if (code && TLS_CODE.test(code)) return 'tls'
  // AggregateError (happy eyeballs across IPv4/IPv6) and wrapped causes.
  const inner = (err as { errors?: unknown[] }).errors?.[0] ?? e.cause
  return inner ? classifyError(inner) : 'error'
}

/** The error's message with its code, which is often the most useful part. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  const code = (err as { code?: unknown }).code
  const inner = (err as { errors?: unknown[] }).errors?.[0]
  const message = err.message || (inner instanceof Error ? inner.message : err.name)
  return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message
}
