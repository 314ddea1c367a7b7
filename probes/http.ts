// HTTP(S) probe: one request (redirects only when asked), then each
// expectation as its own check. Built on node:http rather than fetch so that
// a custom CA, SNI and the peer certificate's expiry are all reachable.
import { request as httpRequest, validateHeaderName, validateHeaderValue, type ClientRequestArgs, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { createConnection, type NetConnectOpts, type Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { z } from 'zod'
import { formatDuration } from '../src/duration.js'
import { defineProbe, ProbeError, type CheckResult, type ProbeContext } from '../src/probe.js'
import { displayTarget } from '../src/redact.js'
import { duration, expectations, regex } from '../src/settings/fields.js'
import { formatBytes } from './lib/budget.js'
import { onAbort } from './lib/abort.js'
import { configured } from './lib/checks.js'
import { jsonSubsetMismatch } from './lib/json-subset.js'
import { urlWith } from './lib/target.js'
import { tlsCollector } from './lib/tls-facts.js'
import { loadCa, tlsOptions, tlsSettings } from './lib/tls.js'

const MAX_REDIRECTS = 5

/** A header name as HTTP allows it (a token: no spaces, no separators), checked at load rather than at run time. */
export const headerName = z.string().refine((name) => {
  try {
    validateHeaderName(name)
    return true
  } catch {
    return false
  }
}, 'expected a header name of letters, digits and !#$%&\'*+-.^_`|~ (no spaces or other separators)')
/** A header value without CR, LF or other control characters, which would split or corrupt the request. */
export const headerValue = z.string().refine((value) => {
  try {
    validateHeaderValue('x', value)
    return true
  } catch {
    return false
  }
}, 'expected a header value without line breaks or control characters')
const DAY_MS = 86_400_000
/**
 * The most `max_body_bytes` may be. What a run reads is then bounded: each
 * response's headers by Node's 16 KiB limit, its body by max_body_bytes,
 * at most MAX_REDIRECTS + 1 responses, one at a time.
 */
export const MAX_BODY_BYTES_CAP = 64 * 1024 * 1024

const settings = {
  url: urlWith('http', 'https'),
  method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']).default('GET'),
  headers: z.record(headerName, headerValue).default({}),
  body: z.string().optional(),
  follow_redirects: z.boolean().default(false),
  /** Bytes of body read at most: a hostile endpoint streaming forever is cut here. */
  max_body_bytes: z
    .int()
    .positive()
    .max(MAX_BODY_BYTES_CAP, `expected at most ${MAX_BODY_BYTES_CAP} (${formatBytes(MAX_BODY_BYTES_CAP)}): a health answer is far smaller, and every byte read is held in memory`)
    .default(1024 * 1024),
  tls: tlsSettings.optional(),
  expect: expectations({
    status: z.array(z.int().min(100).max(599)).min(1).optional(),
    json: z.union([z.record(z.string(), z.unknown()), z.array(z.unknown())]).optional(),
    body_contains: z.union([z.string(), z.array(z.string()).min(1)]).optional(),
    body_matches: regex.optional(),
    cert_min_validity: duration.prefault('14d'),
  }).prefault({}),
}

type Service = z.infer<z.ZodObject<typeof settings>>

interface Response {
  status: number
  body: string
  truncated: boolean
  certValidTo?: number
  url: string
}

export default defineProbe({
  kind: 'http',
  settings,
  collectors: [tlsCollector],

  checkNames: (svc) => ['status', ...configured(svc.expect, ['json', 'body_contains', 'body_matches']), ...(svc.url.startsWith('https:') ? ['cert_expiry'] : [])],

  target: (svc) => displayTarget(svc.url),

  secrets(svc, into) {
    into.addUrl(svc.url)
    for (const [name, value] of Object.entries(svc.headers)) into.addHeader(name, value)
  },

  async run(svc, ctx) {
    const started = performance.now()
    const res = await fetchFollowing(svc, ctx)
    const latencyMs = performance.now() - started
    const e = svc.expect
    const checks: CheckResult[] = []

    const statusOk = e.status ? e.status.includes(res.status) : res.status >= 200 && res.status < 300
    checks.push({ name: 'status', ok: statusOk, detail: `got ${res.status}, expected ${e.status ? e.status.join(' or ') : '2xx'}` })

    // A body cut at max_body_bytes is judged as read; saying so keeps "body is
    // not JSON" or "body lacks" from sending the operator after a healthy endpoint.
    const cut = res.truncated ? ` (only the first ${svc.max_body_bytes} bytes were read: max_body_bytes)` : ''
    if (e.json !== undefined) checks.push(jsonCheck(res.body, e.json, cut, (text) => ctx.secrets.redact(text)))
    if (e.body_contains !== undefined) {
      const wanted = Array.isArray(e.body_contains) ? e.body_contains : [e.body_contains]
      const missing = wanted.filter((w) => !res.body.includes(w))
      checks.push({ name: 'body_contains', ok: missing.length === 0, detail: missing.length ? `body lacks ${missing.map((m) => JSON.stringify(m)).join(', ')}${cut}` : undefined })
    }
    if (e.body_matches !== undefined) {
      const ok = e.body_matches.test(res.body)
      checks.push({ name: 'body_matches', ok, detail: ok ? undefined : `body does not match /${e.body_matches.source}/${cut}` })
    }
    if (res.certValidTo !== undefined) {
      const left = res.certValidTo - Date.now()
      const ok = left >= e.cert_min_validity
      checks.push({
        name: 'cert_expiry',
        ok,
        detail: `certificate expires ${new Date(res.certValidTo).toISOString()} (${Math.floor(left / DAY_MS)} days; at least ${formatDuration(e.cert_min_validity)} wanted)`,
      })
    }

    return {
      checks,
      reason: statusOk ? 'expectation' : 'status',
      latency: { ms: latencyMs },
      info: { status_code: res.status, latency_ms: Math.round(latencyMs), ...(res.truncated ? { body_truncated_at: svc.max_body_bytes } : {}), ...(res.url !== svc.url ? { final_url: displayTarget(res.url) } : {}) },
      ...(res.certValidTo !== undefined ? { facts: { tls: { certExpiresAt: res.certValidTo } } } : {}),
    }
  },

  discoveredFrom: ['*_HEALTH_URL'],

  discover(env) {
    // API_HEALTH_URL=http://... → service "api" probed over HTTP.
    return Object.entries(env)
      .filter(([name, value]) => /^[A-Z0-9_]+_HEALTH_URL$/.test(name) && value)
      .map(([name, value]) => ({
        from: name,
        service: { name: name.slice(0, -'_HEALTH_URL'.length).toLowerCase().replace(/_/g, '-'), group: 'discovered', probe: 'http', url: value },
      }))
  },
})

function jsonCheck(body: string, expected: unknown, cut: string, mask: (text: string) => string): CheckResult {
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    return { name: 'json', ok: false, detail: `body is not JSON${cut}` }
  }
  const mismatch = jsonSubsetMismatch(expected, parsed, '$', mask)
  return { name: 'json', ok: mismatch === undefined, detail: mismatch }
}

async function fetchFollowing(svc: Service, ctx: ProbeContext): Promise<Response> {
  const ca = await loadCa(svc.tls)
  let url = svc.url
  let method = svc.method
  let body = svc.body
  let headers = svc.headers
  for (let hop = 0; ; hop++) {
    const res = await fetchOnce(url, method, headers, body, svc, ca, ctx)
    const location = res.location
    if (!svc.follow_redirects || !location || res.status < 300 || res.status >= 400) return res
    if (hop === MAX_REDIRECTS) throw new ProbeError('error', `more than ${MAX_REDIRECTS} redirects`)
    const next = new URL(location, url)
    // Credentials stay with the origin that was configured.
    if (next.origin !== new URL(url).origin) headers = {}
    if (res.status !== 307 && res.status !== 308) {
      method = method === 'HEAD' ? 'HEAD' : 'GET'
      body = undefined
    }
    url = next.href
  }
}

function fetchOnce(
  url: string,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
  svc: Service,
  ca: Buffer | undefined,
  ctx: ProbeContext,
): Promise<Response & { location?: string }> {
  const https = url.startsWith('https:')
  const request = https ? httpsRequest : httpRequest
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method,
      headers: { 'user-agent': 'groundtruth', ...headers },
      // A fresh socket per probe: a pooled one would hide connection failures
      // and skip the TLS handshake whose certificate we want to see. Plain
      // HTTP asks for its socket itself, with no agent at all (Node then sends
      // `Connection: close`, as a one-off agent does): an agent per probe was
      // a sixth of a probe's garbage (bench/alloc). HTTPS keeps its one-off
      // agent, which derives SNI from the host or the Host header.
      ...(https ? { agent: false, ...tlsOptions(svc.tls, ca) } : { createConnection: connectPlain }),
    })
    // Our own abort listener rather than `signal:`: Node's would stay attached
    // until the socket's close event and, when the run ends first, build an
    // AbortError with a stack trace for a request that is already done.
    const stop = onAbort(ctx.signal, () => req.destroy(ctx.signal.reason as Error))
    const fail = (err: unknown) => {
      stop()
      reject(err)
    }
    req.on('error', fail)
    req.on('response', (res: IncomingMessage) => {
      const cert = https ? (res.socket as TLSSocket).getPeerCertificate?.() : undefined
      const certValidTo = cert?.valid_to ? Date.parse(cert.valid_to) : undefined
      readBody(res, method === 'HEAD' ? 0 : svc.max_body_bytes).then(({ text, truncated }) => {
        stop()
        // Nothing more is read: the socket goes now, not when the server closes it.
        req.destroy()
        resolve({ status: res.statusCode ?? 0, body: text, truncated, certValidTo, url, location: res.headers.location })
      }, fail)
    })
    req.end(body)
  })
}

/**
 * The body, up to `limit` bytes. Read with listeners rather than `for await`:
 * a stream's async iterator (its promises, end-of-stream watcher and
 * listeners) cost more garbage per probe than the rest of the read.
 */
function readBody(res: IncomingMessage, limit: number): Promise<{ text: string; truncated: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const done = (truncated: boolean) => {
      res.off('data', onData)
      resolve({ text: Buffer.concat(chunks).toString('utf8'), truncated })
    }
    const onData = (chunk: Buffer) => {
      // Only what is kept is held: the last chunk is cut at the limit.
      chunks.push(chunk.subarray(0, limit - size))
      size += chunk.length
      if (size > limit) {
        done(limit > 0)
        res.destroy() // nothing more is read: the stream and its socket go now
      }
    }
    res.on('data', onData)
    res.once('end', () => done(false))
    res.once('error', reject)
    // A connection closed before the body's end is neither an end nor, always, an error.
    res.once('close', () => {
      if (!res.complete) reject(Object.assign(new Error('the connection closed before the end of the body'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }))
    })
  })
}

/** A plain TCP socket for one request (see fetchOnce). */
function connectPlain(options: ClientRequestArgs): Socket {
  // The request's options are the connection's: host, port, family, lookup, localAddress.
  return createConnection(options as NetConnectOpts)
}
