// MinIO / S3 probe: MinIO's unauthenticated health endpoints (live, ready),
// then, with the configured keys, each expected bucket (HEAD bucket).
//
// Connection strategy: every run builds a NEW client on its own http(s).Agent
// and destroys the agent, with every socket it opened, at the end, on success,
// failure and timeout alike. The minio client takes no AbortSignal, so the
// agent is what enforces that: it is destroyed as soon as ctx.signal fires and
// refuses to open anything afterwards. A pooled, already-signed connection
// would hide changed keys or an endpoint that no longer accepts connections.
// Retries are off: one probe is one honest attempt. The agent's sockets read
// at most RUN_BYTE_BUDGET (16 MiB) per run (probes/lib/budget.ts): a peer
// that answers without end fails the run with that said.
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { z } from 'zod'
import { defineProbe, ProbeError, type CheckResult, type ProbeContext, type ProbeOutcome, type Reason } from '../src/probe.js'
import { expectations } from '../src/settings/fields.js'
import { abortable } from './lib/abort.js'
import { probeAgent, type ProbeAgent } from './lib/agent.js'
import { formatEndpoint, HTTP_PORTS, urlEndpoint, urlWith } from './lib/target.js'
import { tlsSettings } from './lib/tls.js'

/** S3 error codes that mean the keys are wrong, expired or not allowed. */
const AUTH_CODES = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'InvalidToken', 'ExpiredToken', 'AccountProblem', 'AllAccessDisabled'])

/** The bucket naming rules S3 and the minio client enforce, checked when the config loads. */
const bucketName = z
  .string()
  .refine(
    (b) => b.length >= 3 && b.length <= 63 && !b.includes('..') && !/\d+\.\d+\.\d+\.\d+/.test(b) && /^[a-z0-9][a-z0-9.-]+[a-z0-9]$/.test(b),
    'expected an S3 bucket name: 3 to 63 characters of a-z, 0-9, "." and "-"',
  )

const settings = {
  /** The S3 endpoint, `http(s)://host:9000`: no credentials, no path. */
  url: urlWith('http', 'https').refine((text) => {
    const url = new URL(text)
    return !url.username && !url.password && (url.pathname === '/' || url.pathname === '') && !url.search
  }, 'expected the endpoint alone, such as http://minio:9000 (keys go in access_key and secret_key)'),
  access_key: z.string().min(1).optional(),
  secret_key: z.string().min(1).optional(),
  /** Signing region; when absent the client asks the server for each bucket's location. */
  region: z.string().min(1).optional(),
  /** No `server_name`: the minio client verifies the URL's host. */
  tls: tlsSettings.omit({ server_name: true }).optional(),
  /** `max_latency` is the whole run: the health paths and each bucket's requests. */
  expect: expectations({
    /** MinIO's /minio/health/live and /minio/health/ready; turn off for S3 services that are not MinIO. */
    health: z.boolean().default(true),
    /** Buckets that must exist: one `bucket:<name>` check each. */
    buckets: z
      .array(bucketName)
      .default([])
      .refine((names) => new Set(names).size === names.length, 'expected each bucket once'),
  }).prefault({}),
}

type Service = z.infer<z.ZodObject<typeof settings>>

export default defineProbe({
  kind: 'minio',
  settings,

  checkNames: (svc) => [...(svc.expect.health ? ['live', 'ready'] : []), ...svc.expect.buckets.map((b) => `bucket:${b}`)],

  target: (svc) => formatEndpoint(urlEndpoint(new URL(svc.url), HTTP_PORTS)),

  secrets(svc, into) {
    into.add(svc.secret_key)
  },

  async run(svc, ctx) {
    if ((svc.access_key === undefined) !== (svc.secret_key === undefined)) {
      throw new ProbeError('error', 'access_key and secret_key go together: set both or neither')
    }
    const started = performance.now()
    const agent = await probeAgent(svc.url, svc.tls, ctx.signal)
    try {
      return await probeWith(agent, svc, ctx, started)
    } catch (err) {
      throw agent.budget.explain(err)
    } finally {
      agent.close()
    }
  },

  discoveredFrom: ['MINIO_ENDPOINT', 'S3_ENDPOINT'],

  discover(env) {
    const fromVar = env.MINIO_ENDPOINT ? 'MINIO_ENDPOINT' : env.S3_ENDPOINT ? 'S3_ENDPOINT' : undefined
    if (!fromVar) return []
    const raw = env[fromVar]!
    const from = [fromVar]
    let url = raw
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
      // `host[:port]` as the minio client takes it (endPoint, port, useSSL).
      const https = /^(true|1|yes)$/i.test(env.MINIO_USE_SSL ?? '')
      if (env.MINIO_USE_SSL !== undefined) from.push('MINIO_USE_SSL')
      const hasPort = /:\d+$/.test(raw)
      if (!hasPort && env.MINIO_PORT) from.push('MINIO_PORT')
      url = `${https ? 'https' : 'http'}://${raw}${!hasPort && env.MINIO_PORT ? `:${env.MINIO_PORT}` : ''}`
    }
    const service: Record<string, unknown> = { name: 'minio', group: 'infrastructure', probe: 'minio', url }
    for (const [user, secret] of [
      ['MINIO_ACCESS_KEY', 'MINIO_SECRET_KEY'],
      ['MINIO_ROOT_USER', 'MINIO_ROOT_PASSWORD'],
    ] as const) {
      if (env[user] && env[secret]) {
        service.access_key = env[user]
        service.secret_key = env[secret]
        from.push(user, secret)
        break
      }
    }
    // A generic S3 endpoint may not be MinIO, whose health paths would then read as an outage.
    if (fromVar === 'S3_ENDPOINT') service.expect = { health: false }
    return [{ from: from.join(', '), service }]
  },
})

/** The run's requests on `agent`: health paths, buckets, or proof that the keys work. */
async function probeWith(agent: ProbeAgent, svc: Service, ctx: ProbeContext, started: number): Promise<ProbeOutcome> {
  const checks: CheckResult[] = []
  const info: Record<string, unknown> = {}
  let reason: Reason = 'expectation'

  if (svc.expect.health) {
    for (const name of ['live', 'ready'] as const) {
      const status = await get(svc.url, `/minio/health/${name}`, agent, ctx)
      info[`${name}_status`] = status
      const ok = status === 200
      if (!ok) reason = 'status'
      checks.push({ name, ok, detail: ok ? 'HTTP 200' : `HTTP ${status}, expected 200` })
    }
  }

  const endpoint = urlEndpoint(new URL(svc.url), HTTP_PORTS)
  let client: import('minio').Client
  try {
    // Loaded on first use, as the Elasticsearch client is: it is slow to import.
    const { Client } = await import('minio')
    client = new Client({
      endPoint: endpoint.host,
      port: endpoint.port,
      useSSL: svc.url.startsWith('https:'),
      accessKey: svc.access_key,
      secretKey: svc.secret_key,
      region: svc.region,
      transportAgent: agent,
      retryOptions: { disableRetry: true },
    })
  } catch (err) {
    throw new ProbeError('error', `the minio client refused the endpoint: ${(err as Error).message}`)
  }

  for (const bucket of svc.expect.buckets) {
    const name = `bucket:${bucket}`
    try {
      const exists = await abortable(client.bucketExists(bucket), ctx.signal)
      checks.push({ name, ok: exists, detail: exists ? 'exists' : 'no such bucket' })
    } catch (err) {
      const s3 = s3Error(err)
      if (!s3) throw err
      if (AUTH_CODES.has(s3.code)) throw new ProbeError('auth', `${name}: ${said(s3)}`, info)
      // The server answered, with an error of its own (SlowDown, XMinioServerNotInitialized ...).
      reason = 'status'
      checks.push({ name, ok: false, detail: said(s3) })
    }
  }

  if (svc.expect.buckets.length === 0 && svc.access_key !== undefined) {
    // No bucket to look at, yet keys were given: prove they work.
    try {
      info.bucket_count = (await abortable(client.listBuckets(), ctx.signal)).length
    } catch (err) {
      const s3 = s3Error(err)
      if (s3 && AUTH_CODES.has(s3.code)) {
        const hint = s3.code === 'AccessDenied' ? ' (keys limited to some buckets: list those in expect.buckets)' : ''
        throw new ProbeError('auth', `ListBuckets: ${said(s3)}${hint}`, info)
      }
      if (s3) throw new ProbeError('status', `ListBuckets: ${said(s3)}`, info)
      throw err
    }
  } else if (checks.length === 0) {
    // Nothing expected and no keys: any HTTP answer shows the endpoint is there.
    info.status_code = await get(svc.url, '/', agent, ctx)
  }

  const latencyMs = performance.now() - started
  info.latency_ms = Math.round(latencyMs)
  return { checks, reason, info, latency: { ms: latencyMs } }
}

function s3Error(err: unknown): { code: string; message: string } | undefined {
  const e = err as { name?: unknown; code?: unknown; message?: unknown } | null
  // With retries off, the client reports a retryable status (429, 500, 502, 503 ...)
  // only as this text; the server's XML error is not read.
  const retryable = typeof e?.message === 'string' ? /Retryable HTTP status: (\d{3})/.exec(e.message) : null
  if (retryable) return { code: `HTTP ${retryable[1]}`, message: '' }
  // Socket errors carry a `code` too (ECONNREFUSED ...); only the server's answers are S3Errors.
  if (!e || e.name !== 'S3Error' || typeof e.code !== 'string' || !e.code) return undefined
  return { code: e.code, message: typeof e.message === 'string' ? e.message : '' }
}

function said(s3: { code: string; message: string }): string {
  return s3.message ? `${s3.code}: ${s3.message}` : s3.code
}

/**
 * The status of an unauthenticated GET on the endpoint (MinIO's health paths
 * need no keys), once the whole answer has arrived: an answer that never ends
 * (a body without end, cut at the run's byte budget; one that stops half-way)
 * is no answer.
 */
function get(base: string, path: string, agent: ProbeAgent, ctx: ProbeContext): Promise<number> {
  const url = new URL(path, base)
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, signal: ctx.signal, headers: { 'user-agent': 'groundtruth' } })
    req.on('error', reject)
    req.on('response', (res: IncomingMessage) => {
      // Read to its end (and dropped), which also frees the keep-alive socket for the next request.
      res.on('error', reject)
      res.on('close', () => {
        if (res.complete) resolve(res.statusCode ?? 0)
        else reject(new Error(`GET ${path}: the connection closed before the whole answer arrived`))
      })
      res.resume()
    })
    req.end()
  })
}
