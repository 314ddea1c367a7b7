// The human page at `/`: the verdict and every gate failure, status per
// group with why each service is not ready, what holds services back, env
// findings. Every text it did not write is escaped.
import { percent } from '../gates.js'
import type { StatusDocument } from '../exposition/status.js'
import { VERSION } from '../version.js'
import { configuredLine, envFindingLines, explain, findingLine } from './lines.js'

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
const items = (lines: readonly string[]) => lines.map((l) => `<li>${escapeHtml(l)}</li>`).join('')

export function renderPage(doc: StatusDocument): string {
  const colour = { ready: '#2e7d32', not_ready: '#ef6c00', down: '#c62828', pending: '#757575' }
  const groups = [...new Set(doc.services.map((s) => s.group))]
  const sections = groups.map((group) => {
    const rows = doc.services
      .filter((s) => s.group === group)
      .map(
        (s) =>
          `<tr><td>${escapeHtml(s.name)}${s.critical ? ' <small>(critical)</small>' : ''}${s.description ? `<br><small>${escapeHtml(s.description)}</small>` : ''}</td>` +
          `<td style="color:${colour[s.state]};font-weight:bold">${s.state.replace('_', ' ')}</td>` +
          `<td>${escapeHtml(s.reason ?? '')}</td><td>${s.duration_seconds === null ? '' : Math.round(s.duration_seconds * 1000) + ' ms'}</td>` +
          `<td><code>${escapeHtml(s.target)}</code></td><td>${escapeHtml(explain(s))}</td></tr>`,
      )
      .join('\n')
    return `<h2>${escapeHtml(group)} — ${percent(doc.groups[group] ?? 0)} ready</h2>
<table><tr><th>service</th><th>state</th><th>reason</th><th>latency</th><th>target</th><th>why</th></tr>
${rows}</table>`
  })
  const headline =
    doc.services.length === 0 ? 'nothing is configured: the config names no services' : doc.ready_ratio === null ? 'first round of probes still running' : `${percent(doc.ready_ratio)} ready`
  const failures = doc.gates.failures.length ? `\n<ul class="failures">${items(doc.gates.failures)}</ul>` : ''
  const findings = doc.findings.filter((f) => f.blocks.length || f.gated)
  const held = findings.length ? `<h2>what holds services back</h2><ul>${items(findings.map((f) => findingLine(doc, f)))}</ul>` : ''
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>groundtruth</title>
<style>body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{padding:.3em .8em;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}.failures{color:#c62828}</style>
</head><body>
<h1>groundtruth ${escapeHtml(VERSION)}</h1>
<p><strong>${escapeHtml(headline)}</strong>
 · environment <code>${escapeHtml(doc.environment)}</code> · gates ${doc.gates.passed ? 'passed' : `failed: ${doc.gates.failures.length === 1 ? 'one failure' : `${doc.gates.failures.length} failures`}`}</p>${failures}
<p><a href="/metrics">/metrics</a> · <a href="/status">/status</a> · <a href="/-/healthy">/-/healthy</a> · <a href="/-/ready">/-/ready</a></p>
${sections.join('\n')}
${held}
${doc.env.map((f) => `<h2>environment <code>${escapeHtml(f.source)}</code> — ${escapeHtml(configuredLine(f))}</h2><ul>${items(envFindingLines(f, doc.findings))}</ul>`).join('\n')}
</body></html>
`
}
