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
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { emptyStatus, type MigrationReader, type MigrationStatus } from './types.js'
import { quoteIdent, tableExists } from './sql.js'

const DEFAULT_TABLE = '_prisma_migrations'
const DEFAULT_SCHEMA = 'public'

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex')
}

/** The unpadded hex rendering of old schema engines (`{byte:x}` per byte). */
function sha256HexOld(text: string): string {
  return [...createHash('sha256').update(text, 'utf8').digest()].map((b) => b.toString(16)).join('')
}

/** prisma-engines checksum.rs `script_matches_checksum`. */
export function prismaScriptMatchesChecksum(script: string, checksum: string): boolean {
  const variants = [script, script.replace(/\r\n/g, '\n'), script.replace(/\n/g, '\r\n')]
  const old = checksum.length !== 0 && checksum.length !== 64
  return variants.some((v) => (old ? sha256HexOld(v) : sha256Hex(v)) === checksum)
}

interface Row {
  migration_name: string
  checksum: string
  finished_at: Date | null
  rolled_back_at: Date | null
}

/** Migration directories and their scripts; undefined when the directory cannot be read. */
async function listDisk(dir: string, notes: string[]): Promise<Map<string, string | undefined> | undefined> {
  let entries
  try {
    entries = await readdir(dir, { withFileTypes: true })
  } catch (err) {
    notes.push(`migration directory not readable: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
    return undefined
  }
  const out = new Map<string, string | undefined>()
  const missing: string[] = []
  for (const e of entries.filter((x) => x.isDirectory()).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    try {
      out.set(e.name, await readFile(join(dir, e.name, 'migration.sql'), 'utf8'))
    } catch {
      out.set(e.name, undefined)
      missing.push(e.name)
    }
  }
  if (missing.length) notes.push(`migration.sql missing or unreadable in: ${missing.join(', ')}`)
  return out
}

export const prisma: MigrationReader = {
  tool: 'prisma',
  async read(client, spec): Promise<MigrationStatus> {
    const st = emptyStatus('prisma')
    const schema = spec.schema ?? DEFAULT_SCHEMA
    const table = spec.table ?? DEFAULT_TABLE

    const disk = await listDisk(spec.dir, st.notes)
    if (!disk) st.dirReadable = false
    const onDisk = disk ?? new Map<string, string | undefined>()

    let rows: Row[] = []
    if (await tableExists(client, schema, table)) {
      const r = await client.query<Row>(
        `SELECT migration_name, checksum, finished_at, rolled_back_at
           FROM ${quoteIdent(schema)}.${quoteIdent(table)} ORDER BY started_at, migration_name`,
      )
      rows = r.rows
    } else {
      st.notes.push(`history table ${schema}.${table} absent: nothing applied`)
    }

    const appliedRows = new Map<string, Row[]>() // finished, not rolled back
    const liveNames = new Set<string>() // any row not rolled back (deploy will not re-run it)
    const failed = new Set<string>()
    for (const row of rows) {
      if (row.rolled_back_at !== null) continue
      liveNames.add(row.migration_name)
      if (row.finished_at === null) failed.add(row.migration_name)
      else appliedRows.set(row.migration_name, [...(appliedRows.get(row.migration_name) ?? []), row])
    }

    const pending: string[] = []
    const mismatch: string[] = []
    for (const [name, script] of onDisk) {
      if (!liveNames.has(name)) pending.push(name)
      const applied = appliedRows.get(name)
      if (applied && script !== undefined && !applied.some((row) => prismaScriptMatchesChecksum(script, row.checksum))) {
        mismatch.push(name)
      }
    }
    const unknown = [...appliedRows.keys()].filter((n) => !onDisk.has(n))

    let newest: Row | undefined
    for (const list of appliedRows.values()) {
      for (const row of list) {
        if (!newest || row.finished_at!.getTime() > newest.finished_at!.getTime() ||
          (row.finished_at!.getTime() === newest.finished_at!.getTime() && row.migration_name > newest.migration_name)) newest = row
      }
    }

    st.available = onDisk.size
    st.applied = appliedRows.size
    st.pending = disk ? pending.length : 0
    st.failed = failed.size
    st.unknown = disk ? unknown.length : 0
    st.checksumMismatch = mismatch.length
    st.names = {
      pending: disk ? pending.sort() : [],
      failed: [...failed].sort(),
      unknown: disk ? unknown.sort() : [],
      checksumMismatch: mismatch.sort(),
    }
    st.heads = st.available > 0 || st.applied > 0 ? 1 : 0
    if (newest) {
      st.lastAppliedAt = newest.finished_at!.getTime()
      st.current = newest.migration_name
    }
    return st
  },
}
