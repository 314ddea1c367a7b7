// prisma migration reader (Prisma Migrate, `prisma migrate deploy/status`).
//
// Sources (prisma's own code):
// - Table and DDL: prisma/prisma-engines
//   schema-engine/connectors/sql-schema-connector/src/flavour/postgres.rs,
//   `create_migrations_table`:
//     CREATE TABLE _prisma_migrations (
//         id                  VARCHAR(36) PRIMARY KEY NOT NULL,
//         checksum            VARCHAR(64) NOT NULL,
//         finished_at         TIMESTAMPTZ,
//         migration_name      VARCHAR(255) NOT NULL,
//         logs                TEXT,
//         rolled_back_at      TIMESTAMPTZ,
//         started_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
//         applied_steps_count INTEGER NOT NULL DEFAULT 0
//     );
//   created unqualified, i.e. in the schema of the connection URL's `?schema=`
//   (default `public`); the name is fixed (spec.table only for odd setups).
// - Rows: prisma/prisma-engines schema-engine/core/src/commands/apply_migrations.rs
//   inserts a row (record_migration_started: checksum, started_at) before running
//   the script, then sets finished_at on success, or writes logs and leaves
//   finished_at NULL on failure. `migrate resolve --rolled-back` sets rolled_back_at
//   (schema-connector/src/migration_persistence.rs); a later deploy inserts a new
//   row for the same name.
// - Failed: finished_at IS NULL AND rolled_back_at IS NULL (`detect_failed_migrations`
//   in apply_migrations.rs, and diagnose_migration_history.rs). Deploy refuses to run
//   while one exists (P3009) and does not re-run it: a failed migration is counted as
//   failed, neither applied nor pending.
// - Applied: finished_at IS NOT NULL AND rolled_back_at IS NULL (the `applied_migrations`
//   filter in diagnose_migration_history.rs). Pending: on disk with no row whose
//   rolled_back_at IS NULL (the `unapplied_migrations` filter in apply_migrations.rs),
//   so a rolled-back migration is pending again until a later row applies it.
// - Checksum: schema-connector/src/checksum.rs — SHA-256 of the migration.sql text,
//   lower-case hex, zero-padded. Prisma DOES tolerate line-ending changes when it
//   compares (`script_matches_checksum`): the file matches if the checksum of the
//   text as is, with CRLF->LF, or with LF->CRLF equals the stored one; and a stored
//   checksum that is not 64 characters long is compared with the old unpadded hex
//   rendering (prisma-engines issue 1887). Implemented the same way here.
//   Mismatch = applied row whose file no longer matches (diagnose's
//   `edited_migration_names`).
// - Files: prisma/prisma packages/migrate/src/utils/listMigrations.ts — every
//   sub-directory of the migrations directory is one migration named after the
//   directory (`<timestamp>_<name>`), its script `migration.sql`, read as UTF-8;
//   sorted by name; migration_lock.toml (a file) is not a migration.
import { createHash } from 'node:crypto'
import type { Dirent } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { sha256Hex } from './checksum.js'
import { byCodeUnit } from './compare.js'
import { listDir } from './disk.js'
import { readHistory } from './history-table.js'
import { defineReader, type DiskMigration, type HistoryRow } from './types.js'

const DEFAULT_TABLE = '_prisma_migrations'
const DEFAULT_SCHEMA = 'public'

/** The unpadded hex rendering of old schema engines (`{byte:x}` per byte). */
function sha256HexOld(text: string): string {
  return [...createHash('sha256').update(text, 'utf8').digest()].map((b) => b.toString(16)).join('')
}

/**
 * Every checksum prisma-engines' checksum.rs `script_matches_checksum` accepts
 * for this script: the text as is, CRLF->LF and LF->CRLF, each as the padded
 * hex and as the old unpadded one (a stored checksum not 64 characters long is
 * compared with the latter; a 64-character old one equals the padded form).
 */
export function prismaChecksums(script: string): string[] {
  return [script, script.replace(/\r\n/g, '\n'), script.replace(/\n/g, '\r\n')].flatMap((v) => [sha256Hex(v), sha256HexOld(v)])
}

/** Each migration directory with the checksums of its migration.sql (none when it is missing). */
async function migrationDirs(dir: string, entries: Dirent[], notes: string[]): Promise<DiskMigration[]> {
  const out: DiskMigration[] = []
  const missing: string[] = []
  for (const e of entries.filter((x) => x.isDirectory())) {
    try {
      out.push({ name: e.name, checksums: prismaChecksums(await readFile(join(dir, e.name, 'migration.sql'), 'utf8')) })
    } catch {
      out.push({ name: e.name })
      missing.push(e.name)
    }
  }
  if (missing.length) notes.push(`migration.sql missing or unreadable in: ${missing.join(', ')}`)
  return out
}

interface Row {
  migration_name: string
  checksum: string
  finished_at: Date | null
}

export const prisma = defineReader('prisma', async (client, spec, notes) => {
  const entries = await listDir(spec.dir, notes)
  const disk = entries && (await migrationDirs(spec.dir, entries, notes))

  const where = { table: spec.table ?? DEFAULT_TABLE, schema: spec.schema ?? DEFAULT_SCHEMA }
  const history = await readHistory(client, where, notes, async (found) => {
    // Rolled-back rows are history only: the migration is pending again until a later row applies it.
    const res = await client.query<Row>(`SELECT migration_name, checksum, finished_at FROM ${found.name} WHERE rolled_back_at IS NULL`)
    return res.rows.map((row): HistoryRow => ({ name: row.migration_name, failed: row.finished_at === null, checksum: row.checksum, at: row.finished_at?.getTime() })).sort(byFinished)
  })
  return { disk, history }
})

/** Oldest first, so the last row is the newest (equal times: the greater name, as migrations are named by time). */
function byFinished(a: HistoryRow, b: HistoryRow): number {
  return (a.at ?? 0) - (b.at ?? 0) || byCodeUnit(a.name, b.name)
}
