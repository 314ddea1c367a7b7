// Human renderings of a status document: the terminal table of `check` and
// the Markdown report that replaces the hand-written "what actually works".
import { formatDuration } from '../duration.js'
import { percent } from '../gates.js'
import type { EnvSourceFinding } from '../env/audit.js'
import type { MigrationStatus } from '../migrations/types.js'
import type { ServiceStatus, StatusDocument } from '../exposition/status.js'

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

/** "configured 39/80 (48.8%)": the line hand-written reports carried. */
export function configuredLine(f: EnvSourceFinding): string {
  return `configured ${f.configured}/${f.total} (${percent(f.total ? f.configured / f.total : 1)})`
}

/** One line per kind of finding of an env source; empty when it is all configured. */
export function envFindingLines(f: EnvSourceFinding): string[] {
  const lines: string[] = []
  if (!f.readable) lines.push(`${f.source} could not be read: ${f.error ?? 'unreadable'}`)
  if (f.example && !f.example.readable) lines.push(`example ${f.example.file} could not be read: ${f.example.error ?? 'unreadable'}`)
  const named = (state: string, show: (v: EnvSourceFinding['variables'][number]) => string) => {
    const vars = f.variables.filter((v) => v.state === state)
    if (vars.length) lines.push(`${state}: ${vars.map(show).join(', ')}`)
  }
  named('placeholder', (v) => v.name)
  named('missing', (v) => v.name)
  named('weak', (v) => `${v.name} (${v.rule})`)
  for (const d of f.duplicates) lines.push(`duplicate: ${d.name} on lines ${d.lines.join(', ')}; line ${d.winner} wins`)
  return lines
}

/** "prisma: 12 applied, 2 pending (a, b), current x": one line per tool. */
export function migrationLine(m: MigrationStatus): string {
  if (m.error) return `${m.tool}: could not be read: ${m.error}`
  const parts = [`${m.applied} applied`, `${m.available} on disk`]
  const named = (n: number, what: string, names: string[]) => n > 0 && parts.push(`${n} ${what}${names.length ? ` (${names.join(', ')})` : ''}`)
  named(m.pending, 'pending', m.names.pending)
  named(m.failed, 'failed', m.names.failed)
  named(m.unknown, 'unknown', m.names.unknown)
  named(m.checksumMismatch, 'edited after applying', m.names.checksumMismatch)
  if (m.heads > 1) parts.push(`${m.heads} heads`)
  const notes = m.notes.length ? `; ${m.notes.join('; ')}` : ''
  return `${m.tool}: ${parts.join(', ')}${m.current ? `; current ${m.current}` : ''}${notes}`
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
  for (const s of doc.services) for (const m of s.migrations) out.push(`Migrations ${s.name} ${migrationLine(m)}`)
  for (const f of doc.env) {
    out.push(`Environment ${f.source} (${f.environment}): ${configuredLine(f)}`)
    for (const line of envFindingLines(f)) out.push(`  - ${line}`)
  }
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

  const migrating = doc.services.filter((s) => s.migrations.length)
  if (migrating.length) {
    out.push('## Migrations', '')
    out.push('| Service | Tool | Current | Applied | On disk | Pending | Failed | Unknown | Edited | Heads |', '|---|---|---|---|---|---|---|---|---|---|')
    for (const s of migrating) {
      for (const m of s.migrations) {
        const n = (v: number) => (m.error ? '?' : String(v))
        out.push(`| ${cell(s.name)} | ${m.tool} | ${cell(m.current ?? '-')} | ${n(m.applied)} | ${m.dirReadable ? n(m.available) : '?'} | ${n(m.pending)} | ${n(m.failed)} | ${n(m.unknown)} | ${n(m.checksumMismatch)} | ${n(m.heads)} |`)
      }
    }
    out.push('')
    for (const s of migrating) for (const m of s.migrations) out.push(`- **${s.name}** ${cell(migrationLine(m))}`)
    out.push('')
  }

  if (doc.env.length) {
    out.push('## Environment configuration', '')
    for (const f of doc.env) {
      out.push(`### \`${f.source}\` (${f.environment}) — ${configuredLine(f)}`, '')
      const flagged = f.variables.filter((v) => v.state !== 'configured')
      if (flagged.length) {
        out.push('| Variable | State | Why | Line |', '|---|---|---|---|')
        for (const v of flagged) out.push(`| \`${cell(v.name)}\` | ${v.state} | ${v.rule ?? v.reason ?? '-'} | ${v.line ?? '-'} |`)
        out.push('')
      }
      const other = envFindingLines(f).filter((l) => !/^(placeholder|missing|weak): /.test(l))
      for (const line of other) out.push(`- ${cell(line)}`)
      if (!flagged.length && !other.length) out.push('Every variable is configured.')
      out.push('')
    }
  }
  return out.join('\n')
}
