// The HTTP face (SPEC §4). It sees groundtruth through a narrow view:
// metrics, probing a selection now, the status document, the services as
// discovery targets, readiness and reload. Handlers only read that view, except /probe (runs the asked probes
// now) and /-/reload. Every path is behind the web config (SPEC §4b): its
// headers on every response, its rate limit and its basic auth.
import express, { type NextFunction, type Request, type Response } from 'express'
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

export function createApp(view: View, log: Logger, options: AppOptions = {}): express.Express {
  const app = express()
  app.disable('x-powered-by')
  // Every answer is computed fresh (a scrape, a probe, the status): an ETag would only cost a hash per response.
  app.set('etag', false)

  const web = options.web
  if (web && Object.keys(web.headers).length > 0) {
    app.use((_req, res, next) => {
      res.set(web.headers)
      next()
    })
  }
  if (web?.rateLimit) app.use(rateLimiter(web.rateLimit.intervalMs, web.rateLimit.burst))
  if (web && web.users.size > 0) {
    const auth = basicAuth(web.users)
    app.use((req, res, next) => {
      auth.verify(req.headers.authorization).then((ok) => {
        if (ok) return next()
        res.status(401).set('WWW-Authenticate', 'Basic realm="groundtruth", charset="UTF-8"').type('text').send('Unauthorized\n')
      }, next)
    })
  }

  app.get('/metrics', async (_req, res) => {
    const m = await view.metrics()
    res.type(m.contentType).send(m.text)
  })

  app.get('/probe', async (req, res) => {
    const selection = { services: asList(req.query.service), groups: asList(req.query.group) }
    if (selection.services.length === 0 && selection.groups.length === 0) {
      res.status(400).type('text').send('expected ?service=NAME (repeatable) or ?group=NAME\n')
      return
    }
    const unknown = view.unknownIn(selection)
    if (unknown.length > 0) {
      res.status(400).type('text').send(`unknown service or group: ${unknown.join(', ')}\n`)
      return
    }
    const m = await view.probe(selection)
    // Every /probe shares one process-wide limit; when its queue is full the scraper is told to come back.
    if ('busy' in m) {
      res.status(503).set('Retry-After', String(m.retryAfterSeconds)).type('text').send(`too many probes queued; retry in ${m.retryAfterSeconds}s\n`)
      return
    }
    res.type(m.contentType).send(m.text)
  })

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

/** The toolkit's `rate_limit`: a token bucket of `burst` tokens, one back every `intervalMs`; 429 when empty. */
function rateLimiter(intervalMs: number, burst: number) {
  let tokens = burst
  let last = Date.now()
  return (_req: Request, res: Response, next: NextFunction) => {
    const now = Date.now()
    tokens = Math.min(burst, tokens + (now - last) / intervalMs)
    last = now
    if (tokens >= 1) {
      tokens -= 1
      next()
    } else {
      res.status(429).type('text').send('Too Many Requests\n')
    }
  }
}

function asList(value: unknown): string[] {
  if (typeof value === 'string') return value.split(',').filter(Boolean)
  if (Array.isArray(value)) return value.flatMap(asList)
  return []
}
