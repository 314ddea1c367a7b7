// golang-migrate migration reader (github.com/golang-migrate/migrate/v4, postgres driver).
//
// Sources (golang-migrate's own code, golang-migrate/migrate):
// - Table and DDL: database/postgres/postgres.go, `ensureVersionTable`:
//     CREATE TABLE IF NOT EXISTS "<schema>"."schema_migrations"
//       (version bigint not null primary key, dirty boolean not null)
//   table `schema_migrations` (DefaultMigrationsTable, or x-migrations-table) in
//   the connection's CURRENT_SCHEMA() (or the schema of a quoted
//   x-migrations-table): spec.table / spec.schema here, the schema defaulting to
//   current_schema() of the connection.
// - Rows: `SetVersion` TRUNCATEs the table and inserts ONE row (version, dirty);
//   `Version` reads `SELECT version, dirty ... LIMIT 1`; no row or no table =
//   NilVersion (nothing applied). The migrator writes (target, dirty=true) before
//   running a file and (target, false) after it succeeded, so dirty = the move to
//   that version failed half way (`migrate force` is needed): reported as failed,
//   named by the version, and counted neither applied nor pending.
//   A dirty NilVersion (-1) is a failed down migration of the first version.
// - Applied: every up file whose version <= the current version (< when dirty);
//   pending: up files with a greater version; unknown: the current version has no
//   up file on disk (golang-migrate then fails with "no migration found for version").
//   No checksums, no timestamps: checksum_mismatch is always 0, lastAppliedAt absent.
// - Files: source/parse.go, Regex `^([0-9]+)_(.*)\.(down|up)\.(.*)$`: the version is
//   the leading number (uint64), so `000001_init.up.sql` is version 1; only the
//   top level of the directory is read (source/file). Names here are the versions.
import { readdir } from 'node:fs/promises'
import { emptyStatus, type MigrationReader, type MigrationStatus } from './types.js'
import { quoteIdent, tableExists } from './sql.js'

const DEFAULT_TABLE = 'schema_migrations'
const FILE = /^([0-9]+)_(.*)\.(down|up)\.(.*)$/

function byNumber(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** Versions that have an up file; undefined when the directory cannot be read. */
async function listUp(dir: string, notes: string[]): Promise<bigint[] | undefined> {
  let entries
  try {
    entries = await readdir(dir, { withFileTypes: true })
  } catch (err) {
    notes.push(`migration directory not readable: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
    return undefined
  }
  const seen = new Set<bigint>()
  const dup = new Set<string>()
  for (const e of entries) {
    if (e.isDirectory()) continue
    const m = FILE.exec(e.name)
    if (!m || m[3] !== 'up') continue
    const v = BigInt(m[1]!)
    if (seen.has(v)) dup.add(String(v))
    seen.add(v)
  }
  if (dup.size) notes.push(`duplicate up migrations for version(s) ${[...dup].join(', ')} (golang-migrate refuses them)`)
  return [...seen].sort(byNumber)
}

export const golangMigrate: MigrationReader = {
  tool: 'golang-migrate',
  async read(client, spec): Promise<MigrationStatus> {
    const st = emptyStatus('golang-migrate')
    const table = spec.table ?? DEFAULT_TABLE
    let schema = spec.schema
    if (!schema) {
      const r = await client.query<{ s: string | null }>('SELECT current_schema() AS s')
      schema = r.rows[0]?.s ?? 'public'
    }

    const ups = await listUp(spec.dir, st.notes)
    if (!ups) st.dirReadable = false
    const versions = ups ?? []

    let current: bigint | undefined
    let dirty = false
    if (await tableExists(client, schema, table)) {
      const r = await client.query<{ version: string; dirty: boolean }>(
        `SELECT version::text AS version, dirty FROM ${quoteIdent(schema)}.${quoteIdent(table)} LIMIT 1`,
      )
      const row = r.rows[0]
      if (row) {
        current = BigInt(row.version)
        dirty = row.dirty
      }
    } else {
      st.notes.push(`history table ${schema}.${table} absent: nothing applied`)
    }

    const applied: bigint[] = []
    const pending: bigint[] = []
    for (const v of versions) {
      if (current !== undefined && (dirty ? v < current : v <= current)) applied.push(v)
      else if (current !== undefined && dirty && v === current) continue // failed, not pending
      else pending.push(v)
    }
    const ghost = current !== undefined && current >= 0n && ups !== undefined && !versions.includes(current)

    st.available = versions.length
    st.applied = applied.length + (ghost && !dirty ? 1 : 0)
    st.pending = pending.length
    st.failed = dirty ? 1 : 0
    st.unknown = ghost ? 1 : 0
    st.checksumMismatch = 0
    st.names = {
      pending: pending.map(String),
      failed: dirty && current !== undefined ? [String(current)] : [],
      unknown: ghost ? [String(current)] : [],
      checksumMismatch: [],
    }
    if (!ups && current !== undefined && current >= 0n && !dirty) {
      st.notes.push(`current version ${current}: applied count unknown without the directory`)
    }
    st.heads = st.available > 0 || st.applied > 0 ? 1 : 0
    if (current !== undefined && current >= 0n) st.current = String(current)
    if (dirty) st.notes.push(`database is dirty at version ${current}: a migration failed half way, fix it and run \`migrate force\``)
    return st
  },
}
