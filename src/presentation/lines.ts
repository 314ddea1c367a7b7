// The sentences every human rendering shares: why a service is not ready (in
// plain words, every cause), what it holds back, the readiness summary, the
// env audit's "configured N/M" and its findings, one line per migration tool.
// The table, the report and the page are built from these. Internal codes
// (reasons, placeholder reasons, weak rules) only ever follow the words, in
// parentheses.
import { formatDuration } from '../duration.js'
import { list, percent } from '../gates.js'
import type { EnvSourceFinding } from '../env/audit.js'
import { STATE_WORDS, whyWords } from '../env/words.js'
import type { MigrationStatus } from '../../probes/postgres/migrations/types.js'
import type { FindingStatus, ServiceStatus, StatusDocument } from '../exposition/status.js'
import { heldBackIndex } from '../exposition/waits.js'
import type { Reason } from '../probe.js'
import type { Cause } from '../readiness.js'

export const STATE_MARK: Record<ServiceStatus['state'], string> = { ready: '✅ ready', not_ready: '⚠️ not ready', down: '❌ down', pending: '… pending' }

/** What each failure reason means, its code in parentheses. */
export const REASON_WORDS: Record<Reason, string> = {
  refused: 'nothing answered (connection refused)',
  timeout: 'no answer within the timeout (timeout)',
  dns: 'the host name did not resolve (dns)',
  tls: 'the TLS handshake or certificate was refused (tls)',
  auth: 'the credentials were rejected (auth)',
  status: 'it answered with an unexpected status (status)',
  expectation: 'it answered, but a check failed (expectation)',
  container: 'its container is not well (container)',
  error: 'the probe failed (error)',
}

const isReason = (word: string): word is Reason => Object.hasOwn(REASON_WORDS, word)

export function latency(s: ServiceStatus): string {
  return s.duration_seconds === null ? '-' : formatDuration(s.duration_seconds * 1000)
}

/**
 * A failed run in words: "nothing answered (connection refused) — connect
 * ECONNREFUSED 10.0.0.5:5432". An error that starts with its reason word
 * (the `status` check's "status: got 500, expected 2xx") does not repeat it.
 */
export function failureWords(reason: string | null, error: string | null): string {
  const rest = error && reason && error.startsWith(`${reason}: `) ? error.slice(reason.length + 2) : error
  const words = reason && isReason(reason) ? REASON_WORDS[reason] : (reason ?? 'the probe failed')
  return rest ? `${words} — ${rest}` : words
}

/** A down cause's detail ("refused: connect ECONNREFUSED ...") in words. */
function downWords(detail: string, s: ServiceStatus): string {
  const m = /^([a-z]+): ([\s\S]*)$/.exec(detail)
  if (m && isReason(m[1]!)) return failureWords(m[1]!, m[2]!)
  if (detail === 'down' && s.reason) return failureWords(s.reason, s.error)
  return detail === 'down' ? 'its probe failed' : detail
}

/** A needed variable that is not configured, in words: "OPENAI_API_KEY holds a placeholder in .env". */
function variableWords(v: Extract<Cause, { cause: 'env' }>['variables'][number]): string {
  const where = v.sources.length ? ` in ${list(v.sources)}` : ''
  const why = v.state === 'weak' && v.rule ? `: ${whyWords({ state: 'weak', rule: v.rule })}` : ''
  return `${v.name} ${STATE_WORDS[v.state]}${where}${why}`
}

/** One cause that keeps a service from ready, in plain words. */
export function causeWords(c: Cause, s: ServiceStatus): string {
  switch (c.cause) {
    case 'down':
      return downWords(c.detail, s)
    case 'dependency': {
      const roots = c.roots.filter((r) => !c.services.includes(r))
      const root = roots.length ? `; ${list(roots)} ${roots.length > 1 ? 'are' : 'is'} down at the root` : ''
      return `waits on ${list(c.services)} (not ready${root})`
    }
    case 'env':
      return c.variables.map(variableWords).join('; ')
    case 'migrations':
      return c.findings.map((f) => f.summary).join('; ')
  }
}

/** Why a service is not ready, in one line: every cause, in plain words. Empty when it is ready and its last probe passed. */
export function explain(s: ServiceStatus): string {
  if (s.state === 'pending') return 'not probed yet'
  const causes = s.causes.map((c) => causeWords(c, s))
  if (s.state === 'down' && !s.causes.some((c) => c.cause === 'down')) causes.unshift(failureWords(s.reason, s.error))
  const flaky = lastProbeFailed(s)
  if (flaky) causes.push(flaky)
  return causes.join('; ')
}

/** For a service not (yet) counted as down: its last probe failed, in words; empty otherwise. */
export function lastProbeFailed(s: ServiceStatus): string {
  if (s.state === 'down' || s.state === 'pending' || s.last_probe_ok !== false) return ''
  const n = s.consecutive_failures
  return `its last probe failed${n > 1 ? ` (${n} in a row)` : ''}, not counted as down yet: ${failureWords(s.reason, s.error)}`
}

/** The services that are not ready because they wait on `name`, directly or through others, in the document's order. */
export function heldBackBy(doc: StatusDocument, name: string): string[] {
  let index = WAITS.get(doc)
  if (!index) WAITS.set(doc, (index = heldBackIndex(doc.services)))
  return index(name)
}

/** One index per document: the page and the report ask for every service. */
const WAITS = new WeakMap<StatusDocument, (name: string) => string[]>()

/** "holds back api, worker and web", or "holds nothing back". */
export function holdsBack(names: readonly string[]): string {
  return names.length ? `holds back ${list(names)}` : 'holds nothing back'
}

const capital = (text: string) => text.charAt(0).toUpperCase() + text.slice(1)

/** A finding of `doc.findings` in one sentence, what it holds back and whether the gates fail on it. */
export function findingLine(doc: StatusDocument, f: FindingStatus): string {
  return `${findingWords(doc, f)}. ${capital(holdsBack(f.blocks))}${f.gated ? '; the verdict fails on it' : ''}.`
}

/** What a finding is: "OPENAI_API_KEY holds a placeholder in .env: template text ... (template_words)". */
export function findingWords(doc: StatusDocument, f: FindingStatus): string {
  if (f.concern !== 'env') return f.summary
  const v = doc.env.find((e) => e.source === f.where)?.variables.find((u) => u.name === f.subject)
  const state = f.kind as keyof typeof STATE_WORDS
  const why = v && v.state !== 'missing' ? whyWords(v) : ''
  return `${f.subject} ${STATE_WORDS[state] ?? f.kind} in ${f.where}${v?.line ? ` (line ${v.line})` : ''}${why ? `: ${why}` : ''}`
}

/** "1/3 services ready (33.3%)", or a sentence when nothing is configured. */
export function summary(doc: StatusDocument): string {
  if (doc.services.length === 0) return 'nothing is configured, so nothing was probed'
  const ready = doc.services.filter((s) => s.ready).length
  return `${ready}/${doc.services.length} services ready (${percent(doc.ready_ratio ?? 0)})`
}

/** "configured 39/80 (48.8%)": the line hand-written reports carried. */
export function configuredLine(f: EnvSourceFinding): string {
  return `configured ${f.configured}/${f.total} (${percent(f.total ? f.configured / f.total : 1)})`
}

/** What is wrong with an env source itself: unreadable files, names set twice. */
export function envFileLines(f: EnvSourceFinding): string[] {
  return [...unreadableLines(f), ...duplicateLines(f)]
}

function unreadableLines(f: EnvSourceFinding): string[] {
  const lines: string[] = []
  if (!f.readable) lines.push(`${f.source} could not be read: ${f.error ?? 'unreadable'}`)
  if (f.example && !f.example.readable) lines.push(`example ${f.example.file} could not be read: ${f.example.error ?? 'unreadable'}`)
  return lines
}

const duplicateLines = (f: EnvSourceFinding) => f.duplicates.map((d) => `duplicate: ${d.name} on lines ${d.lines.join(', ')}; line ${d.winner} wins`)

/** The services an env finding holds back, from the document's findings. */
export function envBlocks(findings: readonly FindingStatus[], source: string, name: string): string[] {
  return findings.find((x) => x.concern === 'env' && x.where === source && x.subject === name)?.blocks ?? []
}

/**
 * The findings of an env source in words, empty when it is all configured:
 * an unreadable file, one line per placeholder or weak variable (why, and
 * what it holds back when `findings` says), a missing one that holds
 * something back, the other missing ones together, then names set twice.
 */
export function envFindingLines(f: EnvSourceFinding, findings: readonly FindingStatus[] = []): string[] {
  const lines = unreadableLines(f)
  const held = (name: string) => {
    const blocks = envBlocks(findings, f.source, name)
    return blocks.length ? `; ${holdsBack(blocks)}` : ''
  }
  for (const state of ['placeholder', 'weak'] as const) {
    for (const v of f.variables.filter((v) => v.state === state)) {
      const why = whyWords(v)
      lines.push(`${v.name}${v.line ? ` (line ${v.line})` : ''} ${STATE_WORDS[state]}${why ? `: ${why}` : ''}${held(v.name)}`)
    }
  }
  const missing = f.variables.filter((v) => v.state === 'missing')
  for (const v of missing.filter((v) => held(v.name))) lines.push(`${v.name} is missing${held(v.name)}`)
  const rest = missing.filter((v) => !held(v.name)).map((v) => v.name)
  if (rest.length) lines.push(`missing: ${rest.join(', ')}`)
  return [...lines, ...duplicateLines(f)]
}

/** "prisma: 12 applied, 2 not applied yet (a, b), current x": one line per tool. */
export function migrationLine(m: MigrationStatus): string {
  if (m.error) return `${m.tool}: could not be read: ${m.error}`
  const parts = [`${m.applied} applied`, `${m.available} on disk`]
  const named = (n: number, what: string, names: string[]) => n > 0 && parts.push(`${n} ${what}${names.length ? ` (${names.join(', ')})` : ''}`)
  named(m.pending, 'not applied yet', m.names.pending)
  named(m.failed, 'failed', m.names.failed)
  named(m.unknown, 'in the database but not in the code', m.names.unknown)
  named(m.checksumMismatch, 'edited after applying', m.names.checksumMismatch)
  if (m.heads > 1) parts.push(`${m.heads} heads (unmerged branches)`)
  const notes = m.notes.length ? `; ${m.notes.join('; ')}` : ''
  return `${m.tool}: ${parts.join(', ')}${m.current ? `; current ${m.current}` : ''}${notes}`
}
