// The HTTP face (SPEC §4). Handlers only read the daemon's state, except
// /probe (runs the asked probes now) and /-/reload.
import express, { type NextFunction, type Request, type Response } from 'express'
import { Registry } from 'prom-client'
import type { Daemon } from './daemon.js'
import type { Logger } from './log.js'
import { configuredLine, envFindingLines, explain } from './format.js'
import { percent } from './gates.js'
import { registerResultMetrics } from './metrics.js'
import { buildStatus } from './status.js'
import { VERSION } from './version.js'

export function createApp(daemon: Daemon, log: Logger): express.Express {
  const app = express()
  app.disable('x-powered-by')

  app.get('/metrics', async (_req, res) => {
    res.type(daemon.registry.contentType).send(await daemon.registry.metrics())
  })

  app.get('/probe', async (req, res) => {
    const wanted = asList(req.query.service)
    const groups = asList(req.query.group)
    const services = daemon.config.services
    if (wanted.length === 0 && groups.length === 0) {
      res.status(400).type('text').send('expected ?service=NAME (repeatable) or ?group=NAME\n')
      return
    }
    const unknown = [...wanted.filter((n) => !services.some((s) => s.name === n)), ...groups.filter((g) => !services.some((s) => s.group === g))]
    if (unknown.length > 0) {
      res.status(400).type('text').send(`unknown service or group: ${unknown.join(', ')}\n`)
      return
    }
    const chosen = services.filter((s) => wanted.includes(s.name) || groups.includes(s.group))
    const snapshot = await daemon.engine.probeNow(chosen)
    // A registry per request, as blackbox_exporter does: only these results, nothing cached.
    const registry = new Registry()
    registerResultMetrics(registry, () => snapshot, { counters: false })
    res.type(registry.contentType).send(await registry.metrics())
  })

  app.get('/status', (_req, res) => {
    const reload = daemon.reloadState
    res.json({
      version: VERSION,
      started_at: new Date(daemon.startedAt).toISOString(),
      config: { file: daemon.config.file, last_reload_successful: reload.ok, last_reload_success_at: new Date(reload.at * 1000).toISOString() },
      scheduler: daemon.scheduler.load,
      ...buildStatus(daemon.engine.store.snapshot(), daemon.config, daemon.engine.envFindings),
    })
  })

  app.get('/', (_req, res) => {
    res.type('html').send(renderPage(daemon))
  })

  app.get('/-/healthy', (_req, res) => {
    res.type('text').send('Healthy\n')
  })

  app.get('/-/ready', (_req, res) => {
    if (daemon.firstRoundDone) res.type('text').send('Ready\n')
    else res.status(503).type('text').send('Not ready: the first round of probes is still running\n')
  })

  app.post('/-/reload', async (_req, res) => {
    const outcome = await daemon.reload()
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

function asList(value: unknown): string[] {
  if (typeof value === 'string') return value.split(',').filter(Boolean)
  if (Array.isArray(value)) return value.flatMap(asList)
  return []
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

function renderPage(daemon: Daemon): string {
  const doc = buildStatus(daemon.engine.store.snapshot(), daemon.config, daemon.engine.envFindings)
  const colour = { ready: '#2e7d32', not_ready: '#ef6c00', down: '#c62828', pending: '#757575' }
  const groups = [...new Set(doc.services.map((s) => s.group))]
  const sections = groups.map((group) => {
    const rows = doc.services
      .filter((s) => s.group === group)
      .map(
        (s) =>
          `<tr><td>${escapeHtml(s.name)}</td><td style="color:${colour[s.state]};font-weight:bold">${s.state.replace('_', ' ')}</td>` +
          `<td>${escapeHtml(s.reason ?? '')}</td><td>${s.duration_seconds === null ? '' : Math.round(s.duration_seconds * 1000) + ' ms'}</td>` +
          `<td><code>${escapeHtml(s.target)}</code></td><td>${escapeHtml(explain(s))}</td></tr>`,
      )
      .join('\n')
    return `<h2>${escapeHtml(group)} — ${percent(doc.groups[group] ?? 0)} ready</h2>
<table><tr><th>service</th><th>state</th><th>reason</th><th>latency</th><th>target</th><th>why</th></tr>
${rows}</table>`
  })
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>groundtruth</title>
<style>body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{padding:.3em .8em;border-bottom:1px solid #ddd;text-align:left}</style>
</head><body>
<h1>groundtruth ${escapeHtml(VERSION)}</h1>
<p><strong>${doc.ready_ratio === null ? 'first round of probes still running' : `${percent(doc.ready_ratio)} ready`}</strong>
 · environment <code>${escapeHtml(doc.environment)}</code> · gates ${doc.gates.passed ? 'passed' : 'failed'}</p>
<p><a href="/metrics">/metrics</a> · <a href="/status">/status</a> · <a href="/-/healthy">/-/healthy</a> · <a href="/-/ready">/-/ready</a></p>
${sections.join('\n')}
${doc.env.map((f) => `<h2>environment <code>${escapeHtml(f.source)}</code> — ${escapeHtml(configuredLine(f))}</h2><ul>${envFindingLines(f).map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>`).join('\n')}
</body></html>
`
}
