// The Markdown report (`groundtruth report`, `check --format markdown`): the
// honest "what actually works" that teams used to write by hand.
import { percent } from '../gates.js'
import type { StatusDocument } from '../exposition/status.js'
import { configuredLine, envFindingLines, latency, migrationLine, STATE_MARK, summary } from './lines.js'

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
