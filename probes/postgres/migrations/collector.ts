// The migrations concern's fact and gauges (SPEC §3 groundtruth_migration_*).
// Emitted only for a database that answered on the last run: a down database
// shows no zeros that would look healthy. A reader that failed shows only
// `read_ok 0`; an unreadable directory leaves only `failed` and the
// last-applied time, because without the directory most tools cannot even say
// how many are applied (golang-migrate counts files up to its version).
import { collector, gauge, series, type MetricDef } from '../../../src/exposition/metric.js'
import type { FactRow } from '../../../src/probe.js'
import type { MigrationStatus } from './types.js'

declare module '../../../src/probe.js' {
  interface Facts {
    migrations: MigrationStatus[]
  }
}

const LAST_RUN = 'from the last scheduled run, not measured at scrape time'
const LABELS = ['service', 'tool'] as const
const count = (suffix: string, help: string) => gauge(`groundtruth_migration_${suffix}`, `${help}, ${LAST_RUN}`, LABELS)

export const MIGRATION_APPLIED = count('applied', 'Migrations recorded as applied in the database')
export const MIGRATION_AVAILABLE = count('available', "Migrations found in the code's migration directory")
export const MIGRATION_PENDING = count('pending', 'Migrations on disk and not applied')
export const MIGRATION_FAILED = count('failed', 'Migrations recorded as failed, unfinished or dirty (or a held migration lock)')
export const MIGRATION_UNKNOWN = count('unknown', 'Migrations applied in the database but not on disk ("ghost" revisions)')
export const MIGRATION_CHECKSUM_MISMATCH = count('checksum_mismatch', 'Migrations applied, then edited on disk (tools that keep checksums)')
export const MIGRATION_HEADS = count('heads', 'Heads of the revision graph (Alembic); more than 1 means unmerged branches')
export const MIGRATION_LAST_APPLIED = gauge('groundtruth_migration_last_applied_timestamp_seconds', `When the newest applied migration was applied (Unix time), ${LAST_RUN}`, LABELS)
export const MIGRATION_READ_OK = gauge('groundtruth_migration_read_ok', `1 when the history table and the migration directory could both be read, ${LAST_RUN}`, LABELS)

type Count = 'applied' | 'available' | 'pending' | 'failed' | 'unknown' | 'checksumMismatch' | 'heads'

/** A count gauge; `dbOnly` counts are the database's own knowledge and survive an unreadable directory. */
function countSeries(def: MetricDef<(typeof LABELS)[number]>, field: Count, dbOnly = false) {
  return series(def, (rows: readonly FactRow[], emit) => {
    for (const r of rows) {
      for (const m of r.facts.migrations ?? []) {
        if (m.error || (!m.dirReadable && !dbOnly)) continue
        emit({ service: r.service, tool: m.tool }, m[field])
      }
    }
  })
}

export const migrationCollector = collector<readonly FactRow[]>('migrations', [
  countSeries(MIGRATION_APPLIED, 'applied'),
  countSeries(MIGRATION_AVAILABLE, 'available'),
  countSeries(MIGRATION_PENDING, 'pending'),
  countSeries(MIGRATION_FAILED, 'failed', true),
  countSeries(MIGRATION_UNKNOWN, 'unknown'),
  countSeries(MIGRATION_CHECKSUM_MISMATCH, 'checksumMismatch'),
  countSeries(MIGRATION_HEADS, 'heads'),
  series(MIGRATION_LAST_APPLIED, (rows, emit) => {
    for (const r of rows) for (const m of r.facts.migrations ?? []) if (!m.error && m.lastAppliedAt !== undefined) emit({ service: r.service, tool: m.tool }, m.lastAppliedAt / 1000)
  }),
  series(MIGRATION_READ_OK, (rows, emit) => {
    for (const r of rows) for (const m of r.facts.migrations ?? []) emit({ service: r.service, tool: m.tool }, !m.error && m.dirReadable ? 1 : 0)
  }),
])
