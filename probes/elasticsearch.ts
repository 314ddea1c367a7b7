// Elasticsearch probe: GET /_cluster/health (the colour, judged against a
// minimum), then HEAD /<index> for each expected index or alias.
//
// Connection strategy: every run builds a NEW client with its own http(s).Agent
// and closes both at the end, on success, failure and timeout alike. A pooled,
// already-authenticated connection would hide an auth change, a certificate
// swap or a node that no longer accepts connections. No retries (maxRetries 0),
// no sniffing: one probe is one honest attempt.
//
// Bytes: the agent's sockets read at most RUN_BYTE_BUDGET (16 MiB) per run
// (probes/lib/budget.ts). The client inflates a gzip or deflate answer even
// unasked (the probe never asks), and inflating multiplies up to a thousand
// times: a compressed answer may be MAX_COMPRESSED_ANSWER at most.
import { z } from 'zod'
import { defineProbe, ProbeError, type CheckResult } from '../src/probe.js'
import { expectations } from '../src/settings/fields.js'
import { probeAgent, type ProbeAgent } from './lib/agent.js'
import { RUN_BYTE_BUDGET } from './lib/budget.js'
import { formatEndpoint, HTTP_PORTS, urlEndpoint, urlWith, userInfo } from './lib/target.js'
import { tlsSettings } from './lib/tls.js'

/** Cluster colours, worst first: a minimum of `yellow` accepts yellow and green. */
const COLOURS = ['red', 'yellow', 'green'] as const
type Colour = (typeof COLOURS)[number]

/** Bytes of a compressed answer read at most: a health answer is a few hundred; inflated, this stays near RUN_BYTE_BUDGET. */
const MAX_COMPRESSED_ANSWER = 16 * 1024

const settings = {
  /** `http(s)://[user:pass@]host:9200[/prefix]`; user and password become HTTP basic auth. */
  url: urlWith('http', 'https'),
  /** Base64 `id:key` API key (as Kibana shows it); wins over credentials in the URL. */
  api_key: z.string().min(1).optional(),
  /** No `server_name`: the client's agent verifies the URL's host. */
  tls: tlsSettings.omit({ server_name: true }).optional(),
  /** `max_latency` is the whole run: the health request and each index's. */
  expect: expectations({
    /** Minimum cluster colour: green > yellow > red. */
    status: z.enum(COLOURS).default('yellow'),
    /** Indices (or aliases) that must exist: one `index:<name>` check each. */
    indices: z
      .array(z.string().min(1))
      .default([])
      .refine((names) => new Set(names).size === names.length, 'expected each index once'),
  }).prefault({}),
}

type Service = z.infer<z.ZodObject<typeof settings>>

interface Health {
  cluster_name?: string
  status?: string
  timed_out?: boolean
  number_of_nodes?: number
  number_of_data_nodes?: number
  active_shards?: number
  relocating_shards?: number
  initializing_shards?: number
  unassigned_shards?: number
  active_shards_percent_as_number?: number
}

export default defineProbe({
  kind: 'elasticsearch',
  settings,

  checkNames: (svc) => ['cluster_status', ...svc.expect.indices.map((name) => `index:${name}`)],

  target: (svc) => formatEndpoint(urlEndpoint(new URL(svc.url), HTTP_PORTS)),

  secrets(svc, into) {
    into.addUrl(svc.url)
    into.add(svc.api_key)
  },

  async run(svc, ctx) {
    const started = performance.now()
    const agent = await probeAgent(svc.url, svc.tls, ctx.signal)
    const url = new URL(svc.url)
    const { username, password = '' } = userInfo(url)
    const auth = svc.api_key ? { apiKey: svc.api_key } : username !== undefined ? { username, password } : undefined
    url.username = ''
    url.password = ''
    // Loaded on first use: the client costs half a second of start-up that
    // configs without Elasticsearch (and `validate`) should not pay.
    const { Client, HttpConnection } = await import('@elastic/elasticsearch')
    const client = new Client({
      node: url.href,
      auth,
      // node:http underneath, so the socket and its errors are ours to see and to close.
      Connection: HttpConnection,
      agent: () => agent,
      maxRetries: 0,
      requestTimeout: ctx.timeoutMs,
      sniffOnStart: false,
      sniffOnConnectionFault: false,
      maxResponseSize: RUN_BYTE_BUDGET,
      maxCompressedResponseSize: MAX_COMPRESSED_ANSWER,
    })
    try {
      const request = { signal: ctx.signal }
      let health: Health
      try {
        health = (await client.cluster.health({}, request)) as Health
      } catch (err) {
        throw explain(err, agent, 'GET /_cluster/health')
      }
      const colour = health.status
      if (!isColour(colour)) throw new ProbeError('error', `GET /_cluster/health answered without a cluster status (${JSON.stringify(colour)}): is this Elasticsearch?`)
      const info: Record<string, unknown> = {
        cluster_status: colour,
        cluster_name: health.cluster_name,
        number_of_nodes: health.number_of_nodes,
        number_of_data_nodes: health.number_of_data_nodes,
        active_shards: health.active_shards,
        relocating_shards: health.relocating_shards,
        initializing_shards: health.initializing_shards,
        unassigned_shards: health.unassigned_shards,
        active_shards_percent: health.active_shards_percent_as_number,
      }
      const checks: CheckResult[] = [statusCheck(colour, svc.expect.status, health)]

      for (const index of svc.expect.indices) {
        let exists: boolean
        try {
          exists = await client.indices.exists({ index }, request)
        } catch (err) {
          throw explain(err, agent, `HEAD /${index}`, info)
        }
        checks.push({ name: `index:${index}`, ok: exists, detail: exists ? 'exists' : 'no such index or alias' })
      }
      const latencyMs = performance.now() - started
      info.latency_ms = Math.round(latencyMs)
      return { checks, info, latency: { ms: latencyMs } }
    } finally {
      agent.close()
      // Best effort: the sockets are already gone with the agent, and a failing
      // close must not turn a measured outcome into an error.
      await client.close().catch(() => {})
    }
  },

  discoveredFrom: ['ELASTICSEARCH_URL'],

  discover(env) {
    const url = env.ELASTICSEARCH_URL
    if (!url) return []
    const service: Record<string, unknown> = { name: 'elasticsearch', group: 'infrastructure', probe: 'elasticsearch', url }
    if (env.ELASTICSEARCH_API_KEY) service.api_key = env.ELASTICSEARCH_API_KEY
    return [{ from: env.ELASTICSEARCH_API_KEY ? 'ELASTICSEARCH_URL, ELASTICSEARCH_API_KEY' : 'ELASTICSEARCH_URL', service }]
  },
})

function isColour(value: unknown): value is Colour {
  return typeof value === 'string' && (COLOURS as readonly string[]).includes(value)
}

function statusCheck(colour: Colour, minimum: Colour, health: Health): CheckResult {
  const ok = COLOURS.indexOf(colour) >= COLOURS.indexOf(minimum)
  const shards =
    colour === 'green'
      ? ''
      : ` (${health.unassigned_shards ?? '?'} unassigned, ${health.initializing_shards ?? '?'} initializing, ${health.relocating_shards ?? '?'} relocating shards)`
  return { name: 'cluster_status', ok, detail: `${colour}${shards}; expected ${minimum}${minimum === 'green' ? '' : ' or better'}` }
}


/**
 * The client's error as the runner should classify it: HTTP answers become
 * `auth` or `status`; connection failures become the socket's own error (with
 * its ECONNREFUSED/ENOTFOUND/TLS code, which the client's ConnectionError drops).
 */
function explain(err: unknown, agent: ProbeAgent, what: string, info?: Record<string, unknown>): unknown {
  if (agent.budget.exceeded) return new ProbeError('error', `${what}: ${agent.budget.exceeded.message}`, info)
  const e = err as { name?: string; message?: string; statusCode?: number; body?: unknown }
  if (e?.name === 'ResponseError' && typeof e.statusCode === 'number') {
    const why = errorSummary(e.body)
    if (e.statusCode === 401 || e.statusCode === 403) {
      return new ProbeError('auth', `${what}: HTTP ${e.statusCode}${why ? `: ${why}` : ''} (check the URL's credentials or api_key)`, info)
    }
    return new ProbeError('status', `${what}: HTTP ${e.statusCode}${why ? `: ${why}` : ''}`, info)
  }
  if (e?.name === 'RequestAbortedError' && /bigger than the maximum/.test(e.message ?? '')) {
    // The client's own size bounds (maxResponseSize, maxCompressedResponseSize above).
    return new ProbeError('error', `${what}: an answer too large for a health check, not read: ${e.message}`, info)
  }
  if (e?.name === 'ConnectionError' || e?.name === 'TimeoutError') {
    if (agent.socketError) return agent.socketError
    if (e.name === 'TimeoutError') return new ProbeError('timeout', `${what}: ${e.message ?? 'request timed out'}`, info)
    // No socket error seen (e.g. the peer closed mid-answer): keep any errno named in the text.
    const code = /\b(E[A-Z]{3,}|EAI_[A-Z]+)\b/.exec(e.message ?? '')?.[1]
    return Object.assign(new Error(`${what}: ${e.message ?? 'connection failed'}`), code ? { code } : {})
  }
  return err
}

/** `type: reason` of an Elasticsearch error body, for the message. */
function errorSummary(answer: unknown): string {
  let body = answer
  if (typeof answer === 'string') {
    // HEAD answers are not deserialized by the client.
    try {
      body = JSON.parse(answer)
    } catch {
      return answer.slice(0, 200)
    }
  }
  const error = (body as { error?: unknown } | undefined)?.error
  if (typeof error === 'string') return error
  if (error && typeof error === 'object') {
    const { type, reason } = error as { type?: unknown; reason?: unknown }
    return [type, reason].filter((part) => typeof part === 'string').join(': ')
  }
  return ''
}
