// The sentences every human rendering shares: why a service is not ready,
// the readiness summary, the env audit's "configured N/M" and one line per
// migration tool. The table, the report and the page are built from these.
import { formatDuration } from '../duration.js'
import { percent } from '../gates.js'
import type { EnvSourceFinding } from '../env/audit.js'
import type { MigrationStatus } from '../../probes/postgres/migrations/types.js'
import type { ServiceStatus, StatusDocument } from '../exposition/status.js'

export const STATE_MARK: Record<ServiceStatus['state'], string> = { ready: '✅ ready', not_ready: '⚠️ not ready', down: '❌ down', pending: '… pending' }

export function latency(s: ServiceStatus): string {
  return s.duration_seconds === null ? '-' : formatDuration(s.duration_seconds * 1000)
}

/** Why a service is not ready, in one line. */
export function explain(s: ServiceStatus): string {
  if (s.state === 'pending') return 'not probed yet'
  if (s.state === 'down') return `${s.reason}: ${s.error ?? 'failed'}`
  if (s.state === 'not_ready') return `waits on ${s.blocked_by.join(', ')} (not up)`
  return ''
}

export function summary(doc: StatusDocument): string {
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
