// The Markdown report (`groundtruth report`, `check --format markdown`): the
// honest "what actually works" that teams used to write by hand. It opens
// with the verdict and every gate failure, then says what is broken and why,
// most blocking first, then the detail per group, migrations and env.
import { percent } from '../gates.js'
import type { ServiceStatus, StatusDocument } from '../exposition/status.js'
import { whyWords } from '../env/words.js'
import { causeWords, configuredLine, envBlocks, envFileLines, failureWords, findingLine, heldBackBy, holdsBack, lastProbeFailed, latency, migrationLine, REASON_WORDS, STATE_MARK, summary } from './lines.js'
import type { Reason } from '../probe.js'

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ')

export function renderMarkdown(doc: StatusDocument, source: string): string {
  const out: string[] = []
  out.push('# groundtruth status report', '')
  out.push(...verdict(doc), '')
  out.push(`Generated ${doc.generated_at} from live probes · environment \`${doc.environment}\` · config \`${source}\``, '')
  out.push(...broken(doc))

  const groups = [...new Set(doc.services.map((s) => s.group))]
  for (const group of groups) {
    const members = doc.services.filter((s) => s.group === group)
    const ready = members.filter((s) => s.ready).length
    const described = members.some((s) => s.description)
    out.push(`## ${group} — ${ready}/${members.length} ready (${percent(doc.groups[group] ?? 0)})`, '')
    out.push(`| Service |${described ? ' Description |' : ''} State | Reason | Latency | Target | Checks |`, `|---|${described ? '---|' : ''}---|---|---|---|---|`)
    for (const s of members) {
      const checks = s.checks.map((c) => `${c.ok ? '✅' : '❌'} ${c.name}`).join(', ') || '-'
      const description = described ? ` ${cell(s.description ?? '-')} |` : ''
      out.push(`| ${cell(s.name)}${s.critical ? ' (critical)' : ''} |${description} ${STATE_MARK[s.state]} | ${s.reason ?? '-'} | ${latency(s)} | \`${cell(s.target)}\` | ${cell(checks)} |`)
    }
    out.push('')
  }

  out.push(...containerSection(doc.services))

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
        out.push('| Variable | State | Why | Holds back | Line |', '|---|---|---|---|---|')
        for (const v of flagged) {
          const blocks = envBlocks(doc.findings, f.source, v.name)
          out.push(`| \`${cell(v.name)}\` | ${v.state} | ${cell(whyWords(v) || '-')} | ${cell(blocks.join(', ') || '-')} | ${v.line ?? '-'} |`)
        }
        out.push('')
      }
      const other = envFileLines(f)
      for (const line of other) out.push(`- ${cell(line)}`)
      if (!flagged.length && !other.length) out.push('Every variable is configured.')
      out.push('')
    }
  }
  return out.join('\n')
}

/** The headline: readiness, the verdict and every gate failure, one bullet each. */
function verdict(doc: StatusDocument): string[] {
  const readiness = doc.services.length ? `**Readiness: ${summary(doc)}.**` : '**Nothing is configured: the config names no services, so nothing was probed.**'
  if (doc.gates.passed) return [`${readiness} Verdict: **passed** (gate ${percent(doc.gates.min_ready_ratio)}).`]
  const n = doc.gates.failures.length
  return [`${readiness} Verdict: **failed** — ${n === 1 ? 'one gate fails' : `${n} gates fail`}:`, '', ...doc.gates.failures.map((f) => `- ${cell(f)}`)]
}

/** "## What is broken and why": down services, then up-but-not-ready ones, then the findings, each naming what it holds back. */
function broken(doc: StatusDocument): string[] {
  const out = ['## What is broken and why', '']
  if (doc.services.length === 0) return [...out, 'Nothing can be judged: no service is configured.', '']
  const held = new Map(doc.services.map((s) => [s.name, heldBackBy(doc, s.name)]))
  const mostBlocking = (a: ServiceStatus, b: ServiceStatus) => held.get(b.name)!.length - held.get(a.name)!.length
  const byState = (state: ServiceStatus['state']) => doc.services.filter((s) => s.state === state).sort(mostBlocking)
  const who = (s: ServiceStatus) => `**${s.name}** (${s.group}${s.critical ? ', critical' : ''})`
  const blocks = (s: ServiceStatus) => (held.get(s.name)!.length ? ` It ${holdsBack(held.get(s.name)!)}.` : '')

  for (const s of byState('down')) {
    const down = s.causes.find((c) => c.cause === 'down')
    const failed = s.checks.filter((c) => !c.ok)
    const evaluated = failed.filter((c) => !c.detail?.startsWith('not evaluated'))
    const notEvaluated = failed.filter((c) => c.detail?.startsWith('not evaluated')).map((c) => `\`${c.name}\``)
    // When the failed checks say it all, the line gives the reason and each check follows once.
    const byChecks = s.last_probe_ok === false && evaluated.length > 0 && (s.reason === 'status' || s.reason === 'expectation')
    const why = byChecks ? REASON_WORDS[s.reason as Reason] : down ? causeWords(down, s) : failureWords(s.reason, s.error)
    out.push(`- ${who(s)} is **down**: ${cell(why)}.${blocks(s)}`)
    if (byChecks) for (const c of evaluated) out.push(`  - check \`${c.name}\`: ${cell(c.detail ?? 'failed')}`)
    if (notEvaluated.length) out.push(`  - not checked, since the probe failed first: ${notEvaluated.join(', ')}`)
    for (const c of s.causes.filter((c) => c.cause !== 'down')) out.push(`  - also ${cell(causeWords(c, s))}`)
  }
  for (const s of byState('not_ready')) {
    const all = [...s.causes.map((c) => causeWords(c, s)), lastProbeFailed(s)].filter((c) => c !== '')
    if (all.length === 1) out.push(`- ${who(s)} is up but **not ready**: ${cell(all[0]!)}.${blocks(s)}`)
    else {
      out.push(`- ${who(s)} is up but **not ready**:${blocks(s)}`)
      for (const c of all) out.push(`  - ${cell(c)}`)
    }
  }
  for (const s of byState('pending')) out.push(`- ${who(s)} has not been probed yet.${blocks(s)}`)

  // Findings that hold something back or fail the verdict, most blocking first (the document's order); the rest in one line.
  const shown = doc.findings.filter((f) => f.blocks.length || f.gated)
  for (const f of shown) out.push(`- ${cell(findingLine(doc, f))}`)
  const quiet = doc.findings.length - shown.length
  if (quiet) out.push(`- ${quiet === 1 ? 'One more finding holds' : `${quiet} more findings hold`} nothing back and no gate judges ${quiet === 1 ? 'it' : 'them'}; see below.`)

  if (out.length === 2) out.push('Nothing: every service is up and ready, and no finding holds anything back.')
  out.push('')
  return out
}

/**
 * The deployment as the container engine sees it: one row per service with a
 * container, and the "images built: 3/7" line of a hand report.
 */
function containerSection(services: readonly ServiceStatus[]): string[] {
  const boxed = services.filter((s) => s.container)
  if (boxed.length === 0) return []
  const present = boxed.filter((s) => s.container!.imagePresent).length
  const running = boxed.filter((s) => s.container!.state === 'running').length
  const out = ['## Containers', '', `Running: ${running}/${boxed.length}. Images on the host: ${present}/${boxed.length}.`, '']
  out.push('| Service | Container | State | Health | Restarts | Exit code | Image | Last words |', '|---|---|---|---|---|---|---|---|')
  for (const s of boxed) {
    const c = s.container!
    const image = `${c.image ? `\`${cell(c.image)}\` ` : ''}${c.imagePresent ? 'present' : '**missing**'}`
    const exit = c.state === 'running' ? '-' : `${c.exitCode}${c.oomKilled ? ' (out of memory)' : ''}`
    out.push(`| ${cell(s.name)} | \`${cell(c.name)}\` | ${c.state} | ${c.health} | ${c.restartCount} | ${exit} | ${image} | ${cell(c.lastWords ?? '-')} |`)
  }
  out.push('')
  return out
}
