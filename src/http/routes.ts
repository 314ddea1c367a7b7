// Every path but the scrape paths, on Express: the page, /status, /sd,
// health and readiness, reload. Loaded with the first request for one of
// them (src/http/server.ts).
import express, { type NextFunction, type Request, type Response } from 'express'
import type { Logger } from '../log.js'
import { renderPage } from '../presentation/page.js'
import type { Gate } from './gate.js'
import type { AppOptions, Query, ScrapeHandler, View } from './view.js'

export function expressApp(view: View, log: Logger, options: AppOptions, gate: Gate, scrape: Map<string, ScrapeHandler>): express.Express {
  const app = express()
  app.disable('x-powered-by')
  // Every answer is computed fresh (a scrape, a probe, the status): an ETag would only cost a hash per response.
  app.set('etag', false)

  app.use((req, res, next) => {
    const passed = gate(req, res)
    if (passed === true) next()
    else if (passed !== false) passed.then((ok) => ok && next(), next)
  })

  // Reached only by other spellings (`/metrics/`, `/-/Ready`), which Express' routing accepts too.
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

