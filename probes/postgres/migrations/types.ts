// What a migration reader reports for one (tool, directory) pair of a
// postgres service: the database's own history table compared with the
// migration files in the code (SPEC §3 groundtruth_migration_*).
import type pg from 'pg'

export const MIGRATION_TOOLS = ['alembic', 'prisma', 'django', 'knex', 'flyway', 'golang-migrate', 'typeorm', 'sequelize', 'drizzle', 'node-pg-migrate'] as const
export type MigrationToolName = (typeof MIGRATION_TOOLS)[number]

export interface MigrationSpec {
  tool: MigrationToolName
  /** The migration directory, relative to the config file's directory. */
  dir: string
  /** The history table when the project renamed it (each tool has its default). */
  table?: string
  /** The schema of the history table (each tool has its default, usually public). */
  schema?: string
}

export interface MigrationStatus {
  tool: MigrationToolName
  /** Recorded as applied in the database (rolled-back rows do not count). */
  applied: number
  /** Found in the migration directory. */
  available: number
  /** On disk, not applied. */
  pending: number
  /** Recorded as failed, unfinished or dirty (or a held lock). */
  failed: number
  /** Applied in the database but not on disk ("ghost" revisions). */
  unknown: number
  /** Applied, then edited on disk (tools that keep checksums). */
  checksumMismatch: number
  /** Heads of the revision graph (Alembic); 1 for a linear history with migrations, 0 without. */
  heads: number
  /** Epoch milliseconds of the newest applied migration, when the tool records it. */
  lastAppliedAt?: number
  /** The current revision / newest applied migration's name. */
  current?: string
  names: { pending: string[]; failed: string[]; unknown: string[]; checksumMismatch: string[] }
  /** Findings that are not counts: "directory not found", "history table absent: nothing applied" ... */
  notes: string[]
  /** False when the directory is missing or unreadable: counts from disk are then meaningless. */
  dirReadable: boolean
  /** Set (by the caller) when the reader failed: the counts are then not measured. */
  error?: string
}

/** One file per tool in src/migrations/, each exporting a reader. */
export interface MigrationReader {
  tool: MigrationToolName
  /**
   * Reads the history table over `client` (already connected to the
   * service's database, inside no transaction) and the files under `dir`
   * (already resolved to an absolute path). A missing history table means
   * nothing applied; a missing directory is a note with dirReadable false.
   * Must not write to the database.
   */
  read(client: pg.Client, spec: MigrationSpec & { dir: string }): Promise<MigrationStatus>
}

/** An empty status to fill in. */
export function emptyStatus(tool: MigrationToolName): MigrationStatus {
  return { tool, applied: 0, available: 0, pending: 0, failed: 0, unknown: 0, checksumMismatch: 0, heads: 0, names: { pending: [], failed: [], unknown: [], checksumMismatch: [] }, notes: [], dirReadable: true }
}
