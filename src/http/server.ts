// The HTTP face (SPEC §4). It sees groundtruth through a narrow view:
// metrics, probing a selection now, the status document, the services as
// discovery targets, readiness and reload. Handlers only read that view,
// except /probe (runs the asked probes now) and /-/reload. Every path is
// behind the web config (SPEC §4b): its headers on every response, its rate
// limit and its basic auth (gate.ts).
import type { IncomingMessage, ServerResponse } from 'node:http'
import { parse } from 'node:querystring'
import type { Logger } from '../log.js'
import { send } from './answer.js'
import { webGate } from './gate.js'
import type { AppOptions, Query, ScrapeHandler, View } from './view.js'

export type { AppOptions, Busy, Exposition, Query, ReloadOutcome, ScrapeHandler, Selection, View } from './view.js'

/**
 * The app as the server's request listener. The paths machines hit all day
 * (`GET /metrics`, `GET /probe` thousands of times a second, the health
 * checks) are answered straight on node:http, past Express' router, whose
 * per-request walk (layers, URL and query parsing, `res.send`'s checks) cost
 * a fifth of the CPU of a `/probe` (README "Performance and scale"); they go
 * through the same web gate (headers, rate limit, basic auth) first. Every
 * other path, and any other spelling of these, is Express'.
 */
export function createApp(view: View, log: Logger, options: AppOptions = {}): (req: IncomingMessage, res: ServerResponse) => void {
  const gate = webGate(options.web)
  const scrape = scrapeHandlers(view)
  const failed = (res: ServerResponse, path: string) => (err: unknown) => {
    log.error('request failed', { path, error: String(err) })
    if (!res.headersSent) send(res, 500, 'internal error\n')
    else res.destroy()
  }
  // Express (the page, /status, /sd, reload) loads with the first request for it: a daemon that is only scraped and health-checked never needs it.
  let routed: Promise<(req: IncomingMessage, res: ServerResponse) => void> | undefined
  const app = (req: IncomingMessage, res: ServerResponse) => {
    routed ??= import('./routes.js').then((m) => m.expressApp(view, log, options, gate, scrape))
    routed.then((handle) => handle(req, res), failed(res, (req.url ?? '/').split('?')[0]!))
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

/**
 * What machines ask for all day, on node:http's request and response
 * (Express' are the same objects underneath): `/metrics`, `/probe` and the
 * health and readiness checks an orchestrator polls every few seconds.
 */
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
    ['/-/healthy', async (_query, res) => send(res, 200, 'Healthy\n')],
    ['/-/ready', async (_query, res) => (view.ready() ? send(res, 200, 'Ready\n') : send(res, 503, 'Not ready: the first round of probes is still running\n'))],
  ])
}

function parseQuery(text: string): Query {
  // querystring is what Express' "simple" query parser uses; a malformed escape is kept as sent.
  return parse(text) as Query
}

function asList(value: unknown): string[] {
  if (typeof value === 'string') return value.split(',').filter(Boolean)
  if (Array.isArray(value)) return value.flatMap(asList)
  return []
}
