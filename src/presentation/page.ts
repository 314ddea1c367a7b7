// The human page at `/`: the verdict and every gate failure, the time of the
// last round, status per group with why each service is not ready, its
// history and uptime, then what holds services back, dependencies, env
// findings, migrations and containers. Server-rendered and complete without
// JavaScript; a small inline script refreshes it from /status at the probe
// interval. Every text it did not write is escaped.
import { list, percent } from '../gates.js'
import type { ServiceStatus, StatusDocument } from '../exposition/status.js'
import { VERSION } from '../version.js'
import { causeWords, configuredLine, envFindingLines, failureWords, findingLine, heldBackBy, lastProbeFailed, latency, migrationLine } from './lines.js'
import { PAGE_SCRIPT } from './page-script.js'
import { PAGE_STYLE } from './page-style.js'

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
const items = (lines: readonly string[]) => lines.map((l) => `<li>${escapeHtml(l)}</li>`).join('')

/** The state in an icon and a word, so it never rests on colour alone. */
export const PAGE_MARK: Record<ServiceStatus['state'], string> = { ready: '✔ ready', not_ready: '⚠ not ready', down: '✖ down', pending: '… pending' }
const SINCE: Record<ServiceStatus['state'], string> = { ready: 'ready since ', not_ready: 'not ready since ', down: 'down since ', pending: '' }

/** "2026-12-02 09:00:00 UTC" */
const when = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')
const time = (iso: string) => `<time datetime="${escapeHtml(iso)}">${escapeHtml(when(iso))}</time>`
const anchor = (name: string) => `svc-${encodeURIComponent(name)}`
const link = (name: string) => `<a href="#${escapeHtml(anchor(name))}">${escapeHtml(name)}</a>`
const links = (names: readonly string[]) => (names.length <= 1 ? names.map(link).join('') : `${names.slice(0, -1).map(link).join(', ')} and ${link(names.at(-1)!)}`)

/** Why a service is not ready, as HTML: every cause in words, dependencies linked to their rows, the container's last error line. */
function whyHtml(s: ServiceStatus): string {
  if (s.state === 'pending') return 'not probed yet'
  const parts = s.causes.map((c) => {
    if (c.cause !== 'dependency') return escapeHtml(causeWords(c, s))
    const roots = c.roots.filter((r) => !c.services.includes(r))
    const root = roots.length ? `; ${escapeHtml(list(roots))} ${roots.length > 1 ? 'are' : 'is'} down at the root` : ''
    return `waits on ${links(c.services)} (not ready${root})`
  })
  if (s.state === 'down' && !s.causes.some((c) => c.cause === 'down')) parts.unshift(escapeHtml(failureWords(s.reason, s.error)))
  const flaky = lastProbeFailed(s)
  if (flaky) parts.push(escapeHtml(flaky))
  if (s.container?.lastWords && s.state !== 'ready') parts.push(`container ${escapeHtml(s.container.name)} says: ${escapeHtml(s.container.lastWords)}`)
  return parts.join('; ')
}

function historyHtml(s: ServiceStatus): string {
  if (s.history.length === 0) return '<span class="hist-empty">no runs yet</span>'
  const failed = s.history.filter((h) => !h.ok).length
  const cells = s.history.map((h) => `<i class="${h.ok ? h.state : 'fail'}" title="${escapeHtml(when(h.at))}: ${h.ok ? 'passed' : 'failed'}, ${h.state.replace('_', ' ')}"></i>`).join('')
  return `<span class="hist" role="img" aria-label="last ${s.history.length} runs: ${s.history.length - failed} passed, ${failed} failed">${cells}</span>`
}

function row(s: ServiceStatus): string {
  const name = `${escapeHtml(s.name)}${s.critical ? ' <span class="crit" title="critical: the verdict fails when it is not ready">critical</span>' : ''}${s.description ? `<small class="desc">${escapeHtml(s.description)}</small>` : ''}<code class="target">${escapeHtml(s.target)}</code>`
  const since = s.state_since && SINCE[s.state] ? `${SINCE[s.state]}${time(s.state_since)}` : ''
  return (
    `<tr id="${escapeHtml(anchor(s.name))}" data-service="${escapeHtml(s.name)}" class="state-${s.state}">` +
    `<td class="name">${name}</td>` +
    `<td class="state" data-label="state"><span class="badge ${s.state}">${PAGE_MARK[s.state]}</span></td>` +
    `<td class="since">${since}</td>` +
    `<td class="why">${whyHtml(s)}</td>` +
    `<td class="latency num" data-label="latency">${escapeHtml(latency(s))}</td>` +
    `<td class="history" data-label="history">${historyHtml(s)}</td>` +
    `<td class="uptime num" data-label="uptime">${s.uptime === null ? '-' : percent(s.uptime)}</td></tr>`
  )
}

function groupSection(doc: StatusDocument, group: string): string {
  const rows = doc.services.filter((s) => s.group === group).map(row)
  return `<section class="group">
<h2>${escapeHtml(group)} — <span data-group-ratio="${escapeHtml(group)}">${percent(doc.groups[group] ?? 0)} ready</span></h2>
<table class="services"><colgroup><col class="c-name"><col class="c-state"><col class="c-since"><col><col class="c-lat"><col class="c-hist"><col class="c-up"></colgroup><thead><tr><th>service</th><th>state</th><th>since</th><th>why</th><th>latency</th><th>history</th><th>uptime</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table></section>`
}

function dependencies(doc: StatusDocument): string {
  const withDeps = doc.services.filter((s) => s.depends_on.length)
  if (!withDeps.length) return ''
  const state = new Map(doc.services.map((s) => [s.name, s.state]))
  const lines = withDeps.map((s) => {
    // "api waits on db ✖ down": the name in words, its state linked to its row.
    const deps = s.depends_on.map((d) => `${escapeHtml(d)} <a class="badge ${state.get(d) ?? 'pending'}" href="#${escapeHtml(anchor(d))}">${PAGE_MARK[state.get(d) ?? 'pending']}</a>`)
    const held = heldBackBy(doc, s.name)
    return `<li>${link(s.name)} waits on ${deps.join(', ')}${held.length ? `; it holds back ${links(held)}` : ''}</li>`
  })
  return `<h2>dependencies</h2><ul class="plain">${lines.join('')}</ul>`
}

function migrations(doc: StatusDocument): string {
  const dbs = doc.services.filter((s) => s.migrations.length)
  if (!dbs.length) return ''
  return `<h2>migrations</h2><ul class="plain">${dbs.map((s) => `<li>${link(s.name)}<ul>${items(s.migrations.map(migrationLine))}</ul></li>`).join('')}</ul>`
}

function containers(doc: StatusDocument): string {
  const boxed = doc.services.filter((s) => s.container)
  if (!boxed.length) return ''
  const rows = boxed.map((s) => {
    const c = s.container!
    const image = c.image ? `<code>${escapeHtml(c.image)}</code> ${c.imagePresent ? 'present' : '<strong>missing</strong>'}` : c.imagePresent ? 'present' : '<strong>missing</strong>'
    const cell = (label: string, html: string, cls = '') => `<td${cls ? ` class="${cls}"` : ''} data-label="${label}">${html}</td>`
    return `<tr><td class="name">${link(s.name)}</td>${cell('container', `<code>${escapeHtml(c.name)}</code>`)}${cell('state', `${escapeHtml(c.state)}${c.oomKilled ? ' (OOM killed)' : ''}`)}${cell('health', escapeHtml(c.health))}${cell('restarts', String(c.restartCount), 'num')}${cell('exit', String(c.exitCode), 'num')}${cell('image', image)}${cell('last error line', escapeHtml(c.lastWords ?? ''))}</tr>`
  })
  return `<h2>containers</h2><table class="grid"><thead><tr><th>service</th><th>container</th><th>state</th><th>health</th><th>restarts</th><th>exit</th><th>image</th><th>last error line</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
}

/**
 * A replica started with `serve --no-schedule` (its /status says
 * `scheduled: false`) measures nothing on its own: instead of every service
 * pending forever and a verdict nobody measured, the page says what the
 * replica does and lists the services it probes when /probe asks.
 */
function unscheduledMain(doc: StatusDocument): string {
  const groups = [...new Set(doc.services.map((s) => s.group))]
  const probeLink = (s: ServiceStatus) => `<li><a href="probe?service=${encodeURIComponent(s.name)}">${escapeHtml(s.name)}</a> <code class="target">${escapeHtml(s.target)}</code></li>`
  return groups.map((g) => `<section class="group"><h2>${escapeHtml(g)}</h2><ul class="plain">${doc.services.filter((s) => s.group === g).map(probeLink).join('')}</ul></section>`).join('\n')
}

export function renderPage(doc: StatusDocument & { scheduled?: unknown }): string {
  const scheduled = doc.scheduled !== false
  const groups = [...new Set(doc.services.map((s) => s.group))]
  const headline = !scheduled
    ? 'no scheduled probes: this replica answers /probe only (serve --no-schedule)'
    : doc.services.length === 0
      ? 'nothing is configured: the config names no services'
      : doc.ready_ratio === null
        ? 'first round of probes still running'
        : `${percent(doc.ready_ratio)} ready`
  const n = doc.gates.failures.length
  const gates = doc.gates.passed ? 'passed' : `failed: ${n === 1 ? 'one failure' : `${n} failures`}`
  const lastRun = doc.services.map((s) => s.last_run ?? '').sort().at(-1)
  const every = doc.refresh_seconds ? ` · refreshes every ${doc.refresh_seconds}s` : ''
  const findings = doc.findings.filter((f) => f.blocks.length || f.gated)
  const held = findings.length ? `<h2>what holds services back</h2><ul class="plain">${items(findings.map((f) => findingLine(doc, f)))}</ul>` : ''
  const env = doc.env.map((f) => `<h2>environment <code>${escapeHtml(f.source)}</code> — ${escapeHtml(configuredLine(f))}</h2><ul class="plain">${items(envFindingLines(f, doc.findings))}</ul>`).join('\n')
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>groundtruth</title><link rel="icon" href="data:,">
<style>${PAGE_STYLE}</style>
</head><body data-refresh="${doc.refresh_seconds ?? ''}">
<header>
<h1>groundtruth <small>${escapeHtml(VERSION)}</small></h1>
${
  scheduled
    ? `<section id="verdict" class="verdict ${doc.gates.passed ? 'pass' : 'fail'}" aria-live="polite">
<p class="headline"><span id="verdict-mark" aria-hidden="true">${doc.gates.passed ? '✔' : '✖'}</span> <strong id="headline">${escapeHtml(headline)}</strong> · gates <span id="gates">${gates}</span></p>
<ul id="failures" class="failures">${items(doc.gates.failures)}</ul>
<p class="meta">environment <code>${escapeHtml(doc.environment)}</code> · last round <time id="last-round"${lastRun ? ` datetime="${escapeHtml(lastRun)}"` : ''}>${lastRun ? escapeHtml(when(lastRun)) : 'none yet'}</time>${every} <span id="refresh-state"></span></p>
</section>`
    : `<section id="verdict" class="verdict">
<p class="headline"><strong id="headline">${escapeHtml(headline)}</strong></p>
<p class="meta">environment <code>${escapeHtml(doc.environment)}</code> · ${doc.services.length} services configured, each probed (with what it depends on) when Prometheus scrapes <code>/probe?service=NAME</code>; no result is kept here, so there is no verdict: readiness across the replicas is in Prometheus (<code>groundtruth:ready_ratio</code>)</p>
</section>`
}
<nav><a href="metrics">/metrics</a> · <a href="status">/status</a> · <a href="-/healthy">/-/healthy</a> · <a href="-/ready">/-/ready</a>${doc.links?.grafana ? ` · <a href="${escapeHtml(doc.links.grafana)}" rel="noopener">Grafana</a>` : ''}${doc.links?.runbooks ? ` · <a href="${escapeHtml(doc.links.runbooks)}" rel="noopener">runbooks</a>` : ''}</nav>
</header>
<main>
${
  scheduled
    ? `${groups.map((g) => groupSection(doc, g)).join('\n')}
${held}
${dependencies(doc)}
${env}
${migrations(doc)}
${containers(doc)}`
    : unscheduledMain(doc)
}
</main>
<script>${PAGE_SCRIPT}</script>
</body></html>
`
}
