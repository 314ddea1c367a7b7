// What is wrong with a service's migrations, as findings the verdict judges
// (SPEC "Up and ready", "The verdict"): pending, failed, unknown (ghost) and
// branched (more than one head). Each holds its own service back from ready
// unless the service's `fail_on` leaves its kind out.
import type { Finding } from '../../../src/probe.js'
import { MIGRATION_FINDINGS, type MigrationFindingKind } from '../../../src/settings/findings.js'
import type { MigrationStatus } from './types.js'

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`
const named = (names: string[]) => (names.length ? ` (${names.join(', ')})` : '')

/** One finding per kind present in each tool's status; a status that could not be read is no finding here (read_ok says so). */
export function migrationFindings(statuses: readonly MigrationStatus[], failOn: (tool: string) => readonly MigrationFindingKind[] = () => MIGRATION_FINDINGS): Finding[] {
  const out: Finding[] = []
  for (const m of statuses) {
    if (m.error) continue
    const add = (kind: MigrationFindingKind, names: string[], summary: string) =>
      out.push({ concern: 'migrations', kind, subject: m.tool, names, summary: `${m.tool}: ${summary}`, blocksReady: failOn(m.tool).includes(kind) })
    if (m.pending > 0) add('pending', m.names.pending, `${plural(m.pending, 'migration')} not applied yet${named(m.names.pending)}`)
    if (m.failed > 0) add('failed', m.names.failed, `${plural(m.failed, 'migration')} failed or left unfinished${named(m.names.failed)}`)
    if (m.unknown > 0) add('unknown', m.names.unknown, `${plural(m.unknown, 'migration')} applied in the database but not in the code${named(m.names.unknown)}`)
    if (m.heads > 1) add('branched', [], `${m.heads} heads: unmerged branches in the migration history`)
  }
  return out
}
