// Human renderings of a status document: the terminal table of `check` and
// the Markdown report that replaces the hand-written "what actually works".
import { formatDuration } from './duration.js'
import { percent } from './gates.js'
import type { ServiceStatus, StatusDocument } from './status.js'

const STATE_MARK: Record<ServiceStatus['state'], string> = { ready: '✅ ready', not_ready: '⚠️ not ready', down: '❌ down', pending: '… pending' }

function latency(s: ServiceStatus): string {
  return s.duration_seconds === null ? '-' : formatDuration(s.duration_seconds * 1000)
}

/** Why a service is not ready, in one line. */
export function explain(s: ServiceStatus): string {
  if (s.state === 'pending') return 'not probed yet'
  if (s.state === 'down') return `${s.reason}: ${s.error ?? 'failed'}`
  if (s.state === 'not_ready') return `waits on ${s.blocked_by.join(', ')} (not up)`
  return ''
}

function summary(doc: StatusDocument): string {
  const ready = doc.services.filter((s) => s.ready).length
  return `${ready}/${doc.services.length} services ready (${percent(doc.ready_ratio ?? 0)})`
}

export function renderTable(doc: StatusDocument, color = false): string {
  const paint = (state: ServiceStatus['state'], text: string) => {
    if (!color) return text
    const code = state === 'ready' ? 32 : state === 'down' ? 31 : 33
    return `\x1b[${code}m${text}\x1b[0m`
  }
  const header = ['SERVICE', 'GROUP', 'PROBE', 'STATE', 'REASON', 'LATENCY', 'DETAIL']
  const rows = doc.services.map((s) => [s.name, s.group, s.probe, s.state, s.reason ?? '-', latency(s), explain(s) || s.target])
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: string[], state?: ServiceStatus['state']) =>
    cells
      .map((c, i) => {
        const padded = i === cells.length - 1 ? c : c.padEnd(widths[i]!)
        return i === 3 && state ? paint(state, padded) : padded
      })
      .join('  ')
  const out = [line(header), ...rows.map((r, i) => line(r, doc.services[i]!.state)), '']
  out.push(`Ready: ${summary(doc)}; gate ${percent(doc.gates.min_ready_ratio)}: ${doc.gates.passed ? 'PASSED' : 'FAILED'}`)
  for (const f of doc.gates.failures) out.push(`  - ${f}`)
  return out.join('\n') + '\n'
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ')

export function renderMarkdown(doc: StatusDocument, source: string): string {
  const out: string[] = []
  out.push('# groundtruth status report', '')
  out.push(`Generated ${doc.generated_at} from live probes · environment \`${doc.environment}\` · config \`${source}\``, '')
  out.push(`**Readiness: ${summary(doc)}.** Gates: ${doc.gates.passed ? 'passed' : `**failed** (${doc.gates.failures.join('; ')})`}.`, '')

  const groups = [...new Set(doc.services.map((s) => s.group))]
  for (const group of groups) {
    const members = doc.services.filter((s) => s.group === group)
    const ready = members.filter((s) => s.ready).length
    out.push(`## ${group} — ${ready}/${members.length} ready (${percent(doc.groups[group] ?? 0)})`, '')
    out.push('| Service | State | Reason | Latency | Target | Checks |', '|---|---|---|---|---|---|')
    for (const s of members) {
      const checks = s.checks.map((c) => `${c.ok ? '✅' : '❌'} ${c.name}`).join(', ') || '-'
      out.push(`| ${cell(s.name)}${s.critical ? ' (critical)' : ''} | ${STATE_MARK[s.state]} | ${s.reason ?? '-'} | ${latency(s)} | \`${cell(s.target)}\` | ${cell(checks)} |`)
    }
    out.push('')
  }

  out.push('## What is broken and why', '')
  const broken = doc.services.filter((s) => !s.ready)
  if (broken.length === 0) out.push('Nothing: every service is up and every dependency is ready.')
  for (const s of broken) {
    if (s.state === 'down') {
      out.push(`- **${s.name}** (${s.group}) is **down** — ${s.reason}: ${cell(s.error ?? 'failed')}`)
      for (const c of s.checks.filter((c) => !c.ok)) out.push(`  - check \`${c.name}\` failed: ${cell(c.detail ?? '')}`)
    } else if (s.state === 'not_ready') {
      out.push(`- **${s.name}** (${s.group}) is up but **not ready**: it depends on ${s.blocked_by.map((b) => `**${b}**`).join(', ')}, which ${s.blocked_by.length > 1 ? 'are' : 'is'} not up.`)
    } else {
      out.push(`- **${s.name}** (${s.group}) has not been probed yet.`)
    }
  }
  out.push('')
  return out.join('\n')
}
