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
//   up file on disk (golang-migrate then fails with "no migration found for version");
//   a dirty version without its file is failed, like any failed migration, not also unknown.
//   No checksums, no timestamps: checksum_mismatch is always 0, lastAppliedAt absent.
// - Files: source/parse.go, Regex `^([0-9]+)_(.*)\.(down|up)\.(.*)$`: the version is
//   the leading number (uint64), so `000001_init.up.sql` is version 1; only the
//   top level of the directory is read (source/file). Names here are the versions.
import type { Dirent } from 'node:fs'
import { listDir } from './disk.js'
import { currentSchema, readHistory } from './history-table.js'
import { defineReader, type HistoryRow } from './types.js'

const DEFAULT_TABLE = 'schema_migrations'
const FILE = /^([0-9]+)_(.*)\.(down|up)\.(.*)$/

/** Versions as numbers (names are the versions: 2 before 10). */
function byVersion(a: string, b: string): number {
  const x = BigInt(a)
  const y = BigInt(b)
  return x < y ? -1 : x > y ? 1 : 0
}

/** The versions that have an up file, each once. */
function upVersions(entries: Dirent[], notes: string[]): bigint[] {
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
  return [...seen]
}

export const golangMigrate = defineReader('golang-migrate', async (client, spec, notes) => {
  const schema = spec.schema ?? (await currentSchema(client))
  const entries = await listDir(spec.dir, notes)
  const ups = entries && upVersions(entries, notes)

  const rows = await readHistory(client, { table: spec.table ?? DEFAULT_TABLE, schema }, notes, async (found) => {
    return (await client.query<{ version: string; dirty: boolean }>(`SELECT version::text AS version, dirty FROM ${found.name} LIMIT 1`)).rows
  })
  const current = rows[0] === undefined ? undefined : BigInt(rows[0].version)
  const dirty = rows[0]?.dirty === true

  // The one row stands for every up file up to it (below it when dirty: that move failed half way).
  const history: HistoryRow[] = []
  if (current !== undefined) {
    for (const v of ups ?? []) if (dirty ? v < current : v <= current) history.push({ name: String(v) })
    if (dirty) history.push({ name: String(current), failed: true })
    else if (current >= 0n && ups && !ups.includes(current)) history.push({ name: String(current) })
  }
  if (!ups && current !== undefined && current >= 0n && !dirty) notes.push(`current version ${current}: applied count unknown without the directory`)
  if (dirty) notes.push(`database is dirty at version ${current}: a migration failed half way, fix it and run \`migrate force\``)
  return {
    disk: ups?.map((v) => ({ name: String(v) })),
    history,
    current: current !== undefined && current >= 0n ? String(current) : null,
    order: byVersion,
  }
})
