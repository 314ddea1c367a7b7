// The HTTP face (SPEC §4). It sees groundtruth through a narrow view:
// metrics, probing a selection now, the status document, the services as
// discovery targets, readiness and reload. Handlers only read that view, except /probe (runs the asked probes
// now) and /-/reload. Every path is behind the web config (SPEC §4b): its
// headers on every response, its rate limit and its basic auth.
import express, { type NextFunction, type Request, type Response } from 'express'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { parse } from 'node:querystring'
import type { Logger } from '../log.js'
import { basicAuth } from './auth.js'
import type { WebConfig } from './web-config.js'
import { renderPage } from '../presentation/page.js'
import type { StatusDocument } from '../exposition/status.js'
import type { Exposition } from '../exposition/registries.js'
import type { TargetGroup } from './sd.js'

export type { Exposition }

/** /probe's answer when its process-wide queue is full: a 503 with Retry-After. */
export interface Busy {
  busy: true
  retryAfterSeconds: number
}

/** Which services `/probe` asks for: names and groups. */
export interface Selection {
  services: string[]
  groups: string[]
}

export interface ReloadOutcome {
  ok: boolean
  error?: string
}

/** What the HTTP layer may see and do; the daemon provides it. */
export interface View {
  /** The exposition of the last scheduled results. */
  metrics(): Promise<Exposition>
  /** Names or groups not configured (for a 400), or empty. */
  unknownIn(selection: Selection): string[]
  /** Probes the selection now; its metrics only, or `busy` when the process-wide queue is full. */
  probe(selection: Selection): Promise<Exposition | Busy>
  status(): StatusDocument & Record<string, unknown>
  /** Every configured service as an `http_sd_config` target group (names and groups only). */
  targetGroups(): TargetGroup[]
  /** The first round of probes is done. */
  ready(): boolean
  reload(): Promise<ReloadOutcome>
}

export interface AppOptions {
  /** `--web.config.file`, loaded. */
  web?: WebConfig
  /** `--web.enable-lifecycle`: without it `POST /-/reload` answers 403 (SIGHUP still reloads). */
  enableLifecycle?: boolean
}

/**
 * The app as the server's request listener. The two paths a Prometheus
 * server hits thousands of times a second (`GET /metrics`, `GET /probe`) are
 * answered straight on node:http, past Express' router, whose per-request
 * walk (layers, URL and query parsing, `res.send`'s checks) was ≈ 7 % of the
 * CPU of a `/probe` (README "Performance and scale"); they go through the same
 * web gate (headers, rate limit, basic auth) first. Every other path, and any
 * spelling of these two that is not exact, is Express'.
 */
export function createApp(view: View, log: Logger, options: AppOptions = {}): (req: IncomingMessage, res: ServerResponse) => void {
  const gate = webGate(options.web)
  const scrape = scrapeHandlers(view)
  const app = expressApp(view, log, options, gate, scrape)
  const failed = (res: ServerResponse, path: string) => (err: unknown) => {
    log.error('request failed', { path, error: String(err) })
    if (!res.headersSent) send(res, 500, 'internal error\n')
    else res.destroy()
  }
  return (req, res) => {
    const url = req.url ?? '/'
    const q = url.indexOf('?')
    const path = q < 0 ? url : url.slice(0, q)
    const handler = req.method === 'GET' || req.method === 'HEAD' ? scrape.get(path) : undefined
    if (!handler) return void app(req, res)
    const query = q < 0 ? {} : parseQuery(url.slice(q + 1))
    const passed = gate(req, res)
    if (passed === true) handler(query, res).catch(failed(res, path))
    else if (passed !== false) passed.then((ok) => (ok ? handler(query, res) : undefined)).catch(failed(res, path))
  }
}

/** Query parameters as Express' default ("simple") parser gives them: repeated keys become lists. */
type Query = Record<string, string | string[] | undefined>
type ScrapeHandler = (query: Query, res: ServerResponse) => Promise<void>

/** `/metrics` and `/probe`, on node:http's request and response (Express' are the same objects underneath). */
function scrapeHandlers(view: View): Map<string, ScrapeHandler> {
  return new Map<string, ScrapeHandler>([
    [
      '/metrics',
      async (_query, res) => {
        const m = await view.metrics()
        // 'close' comes once the socket has taken the last byte, or the answer was abandoned: the buffer is free again.
        if (m.done) res.once('close', m.done)
        send(res, 200, m.text, m.contentType)
      },
    ],
    [
      '/probe',
      async (query, res) => {
        const selection = { services: asList(query.service), groups: asList(query.group) }
        if (selection.services.length === 0 && selection.groups.length === 0) return send(res, 400, 'expected ?service=NAME (repeatable) or ?group=NAME\n')
        const unknown = view.unknownIn(selection)
        if (unknown.length > 0) return send(res, 400, `unknown service or group: ${unknown.join(', ')}\n`)
        const m = await view.probe(selection)
        // Every /probe shares one process-wide limit; when its queue is full the scraper is told to come back.
        if ('busy' in m) {
          res.setHeader('Retry-After', String(m.retryAfterSeconds))
          return send(res, 503, `too many probes queued; retry in ${m.retryAfterSeconds}s\n`)
        }
        send(res, 200, m.text, m.contentType)
      },
    ],
  ])
}

const TEXT = 'text/plain; charset=utf-8'

/** One whole answer with its length (node:http leaves the body out of a HEAD answer). */
function send(res: ServerResponse, status: number, body: string | Buffer, contentType = TEXT): void {
  res.statusCode = status
  res.setHeader('Content-Type', contentType)
  res.setHeader('Content-Length', typeof body === 'string' ? Buffer.byteLength(body) : body.length)
  res.end(body)
}

function parseQuery(text: string): Query {
  // querystring is what Express' "simple" query parser uses; a malformed escape is kept as sent.
  return parse(text) as Query
}

/**
 * The web config's checks, in its order: its headers on every answer, then
 * its rate limit (429), then basic auth (401). True when the request may go
 * on; false when the gate has answered it.
 */
type Gate = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>

function webGate(web: WebConfig | undefined): Gate {
  const headers = web && Object.keys(web.headers).length > 0 ? Object.entries(web.headers) : []
  const limit = web?.rateLimit ? rateLimiter(web.rateLimit.intervalMs, web.rateLimit.burst) : undefined
  const auth = web && web.users.size > 0 ? basicAuth(web.users) : undefined
  return (req, res) => {
    for (const [name, value] of headers) res.setHeader(name, value)
    if (limit && !limit()) {
      send(res, 429, 'Too Many Requests\n')
      return false
    }
    if (!auth) return true
    return auth.verify(req.headers.authorization).then((ok) => {
      if (!ok) {
        res.setHeader('WWW-Authenticate', 'Basic realm="groundtruth", charset="UTF-8"')
        send(res, 401, 'Unauthorized\n')
      }
      return ok
    })
  }
}

function expressApp(view: View, log: Logger, options: AppOptions, gate: Gate, scrape: Map<string, ScrapeHandler>): express.Express {
  const app = express()
  app.disable('x-powered-by')
  // Every answer is computed fresh (a scrape, a probe, the status): an ETag would only cost a hash per response.
  app.set('etag', false)

  app.use((req, res, next) => {
    const passed = gate(req, res)
    if (passed === true) next()
    else if (passed !== false) passed.then((ok) => ok && next(), next)
  })

  // Reached only by other spellings (`/metrics/`, `/PROBE`), which Express' routing accepts too.
  for (const [path, handler] of scrape) app.get(path, (req, res) => handler(req.query as Query, res))

  // Prometheus' HTTP service discovery: one target group per service, for the sharded scrape config (deploy/prometheus/sharded.yml).
  app.get('/sd', (_req, res) => {
    res.json(view.targetGroups())
  })

  app.get('/status', (_req, res) => {
    res.json(view.status())
  })

  app.get('/', (_req, res) => {
    res.type('html').send(renderPage(view.status()))
  })

  app.get('/-/healthy', (_req, res) => {
    res.type('text').send('Healthy\n')
  })

  app.get('/-/ready', (_req, res) => {
    if (view.ready()) res.type('text').send('Ready\n')
    else res.status(503).type('text').send('Not ready: the first round of probes is still running\n')
  })

  app.post('/-/reload', async (req, res) => {
    if (!options.enableLifecycle) {
      res.status(403).type('text').send('Lifecycle API is not enabled (start with --web.enable-lifecycle; SIGHUP reloads too)\n')
      return
    }
    if (crossOrigin(req)) {
      res.status(403).type('text').send('cross-origin request refused\n')
      return
    }
    const outcome = await view.reload()
    if (outcome.ok) res.type('text').send('config reloaded\n')
    else res.status(500).type('text').send(`config reload failed; the previous config stays in force\n${outcome.error}\n`)
  })

  app.use((_req, res) => {
    res.status(404).type('text').send('not found; see / for what is here\n')
  })

  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    log.error('request failed', { path: req.path, error: String(err) })
    res.status(500).type('text').send('internal error\n')
  })
  return app
}

/** A browser request from another origin: an `Origin` that is not this one, or `Sec-Fetch-Site: cross-site`. */
function crossOrigin(req: Request): boolean {
  if (req.get('sec-fetch-site')?.toLowerCase() === 'cross-site') return true
  const origin = req.get('origin')
  if (origin === undefined) return false
  const host = req.get('host')
  return host === undefined || origin.toLowerCase() !== `${req.protocol}://${host}`.toLowerCase()
}

/** The toolkit's `rate_limit`: a token bucket of `burst` tokens, one back every `intervalMs`; false when empty (a 429). */
function rateLimiter(intervalMs: number, burst: number): () => boolean {
  let tokens = burst
  let last = Date.now()
  return () => {
    const now = Date.now()
    tokens = Math.min(burst, tokens + (now - last) / intervalMs)
    last = now
    if (tokens < 1) return false
    tokens -= 1
    return true
  }
}

function asList(value: unknown): string[] {
  if (typeof value === 'string') return value.split(',').filter(Boolean)
  if (Array.isArray(value)) return value.flatMap(asList)
  return []
}
