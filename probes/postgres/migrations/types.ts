// What a migration reader reports for one (tool, directory) pair of a
// postgres service: the database's own history table compared with the
// migration files in the code (SPEC §3 groundtruth_migration_*).
//
// A reader does the tool-specific half: it lists what is on disk and reads
// the history table, applying the tool's own rules (a revision graph, squashed
// migrations, a single version row ...), and says what it found (`Found`).
// The comparison every tool shares (compare.ts) turns that into a status.
import type pg from 'pg'

export interface MigrationSpec {
  /** One of MIGRATION_TOOLS (index.ts); the setting validates it, so a reader never sees another. */
  tool: string
  /** The migration directory: relative to the config file's directory in the setting, absolute for a reader. */
  dir: string
  /** The history table when the project renamed it (each tool has its default). */
  table?: string
  /** The schema of the history table (each tool has its default, usually the search_path). */
  schema?: string
}

export interface MigrationStatus {
  /** The tool's name: the `tool` label of the migration gauges. */
  tool: string
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

/** A migration in the directory, by the name the history table knows it by. */
export interface DiskMigration {
  name: string
  /** Every checksum the tool accepts for the file as it is now (line-ending variants, old formats); absent when it keeps none. */
  checksums?: readonly string[]
}

/** A migration the history table records, after the tool's own rules. */
export interface HistoryRow {
  name: string
  /** Failed, unfinished or dirty: neither applied nor pending. */
  failed?: boolean
  /** The checksum recorded when it was applied, compared with the file's. */
  checksum?: string
  /** Epoch milliseconds it was applied. */
  at?: number
  /** Applied from code outside the directory (Flyway's Java migrations): never a ghost. */
  external?: boolean
}

/** What a reader found; compare.ts makes the status of it. */
export interface Found {
  /** The migrations on disk; undefined when the directory cannot be read (a note says why). */
  disk: readonly DiskMigration[] | undefined
  history: readonly HistoryRow[]
  /** On disk, neither applied nor pending (Flyway's files below its baseline). */
  skip?: readonly string[]
  /** A held migration lock: one failure without a migration's name (the tool refuses to run). */
  lockHeld?: boolean
  /** Heads of a revision graph; default 1 when anything is on disk or applied, else 0. */
  heads?: number
  /** The current migration; default the last applied history row; null when the tool has none. */
  current?: string | null
  /** When the newest migration was applied (epoch ms); default the greatest `at` of the applied rows. */
  lastAppliedAt?: number
  /** How the tool orders migration names, for the lists; default by code unit. */
  order?: (a: string, b: string) => number
  /** Findings that are not counts, in the order they were found. */
  notes: string[]
}

/** One file per tool beside this one, each exporting a reader; its `tool` is the tool's name (index.ts lists them). */
export interface MigrationReader<Tool extends string = string> {
  tool: Tool
  read(client: pg.Client, spec: MigrationSpec): Promise<Found>
}

/**
 * A reader from the tool's own code: `find` reads the history table over
 * `client` (already connected to the service's database, inside no
 * transaction) and the files under `spec.dir` (absolute), adding what is
 * not a count to `notes`. A missing history table means nothing applied; a
 * missing directory is a note with `disk` undefined. It must not write to
 * the database.
 */
export function defineReader<Tool extends string>(
  tool: Tool,
  find: (client: pg.Client, spec: MigrationSpec, notes: string[]) => Promise<Omit<Found, 'notes'>>,
): MigrationReader<Tool> {
  return {
    tool,
    async read(client, spec) {
      const notes: string[] = []
      return { ...(await find(client, spec, notes)), notes }
    },
  }
}
