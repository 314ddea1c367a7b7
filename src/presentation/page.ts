// The human page at `/`: status per group, readiness %, env findings.
import { percent } from '../gates.js'
import type { StatusDocument } from '../exposition/status.js'
import { VERSION } from '../version.js'
import { configuredLine, envFindingLines, explain } from './lines.js'

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

export function renderPage(doc: StatusDocument): string {
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
