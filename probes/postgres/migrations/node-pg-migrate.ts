// node-pg-migrate migration reader (issue 5). Sources, salsita/node-pg-migrate:
// - src/runner.ts `ensureMigrationsTable`: the history table is
//   `CREATE TABLE "<schema>"."<table>" (id SERIAL PRIMARY KEY, name varchar(255) NOT NULL, run_on timestamp NOT NULL)`;
//   `getRunMigrations` reads `SELECT name ... ORDER BY run_on, id`; `lock` takes
//   `pg_try_advisory_lock(7241865325823964)` for the run (released at the end or
//   when the session dies, so it means "running", never "failed").
// - src/migration.ts: `_getMarkAsRun` writes `INSERT INTO "<schema>"."<table>" (name, run_on)
//   VALUES ('<name>', NOW())` as the last step of the migration's own transaction,
//   so a failed migration leaves no row (nothing is ever recorded as failed, and
//   there are no checksums). The name is `basename(file, extname(file))`.
//   `getMigrationFilePaths`: every directory entry that is a file or a symlink and
//   does not match the ignore pattern (default `^\..*`, dot files), whatever its
//   extension (.js, .cjs, .mjs, .ts, .sql ...); sorted by the numeric prefix
//   (`getNumericPrefix`: 13-digit ms timestamp or 17-digit UTC date) then by name.
// - bin/node-pg-migrate.ts: migrations table default "pgmigrations", schema
//   default "public" (src/utils getMigrationTableSchema: migrationsSchema, else
//   the first of `schema`, else public).
// run_on is `timestamp` without time zone filled by NOW(): it is read back
// through the reading session's TimeZone (the server default unless the
// migrating client set another).
import type { Dirent } from 'node:fs'
import { basename, extname } from 'node:path'
import type pg from 'pg'
import { listDir } from './disk.js'
import { readHistory } from './history-table.js'
import { defineReader } from './types.js'

const DEFAULT_TABLE = 'pgmigrations'
const DEFAULT_SCHEMA = 'public'
/** PG_MIGRATE_LOCK_ID in src/runner.ts. */
const LOCK_ID = 7_241_865_325_823_964n

/** node-pg-migrate's getNumericPrefix: the part before the first "_", as a time. */
function numericPrefix(name: string): number {
  const prefix = name.split('_')[0] ?? ''
  if (/^\d+$/.test(prefix)) {
    if (prefix.length === 13) return Number(prefix)
    if (prefix.length === 17) {
      const p = (a: number, b: number) => prefix.slice(a, b)
      return new Date(`${p(0, 4)}-${p(4, 6)}-${p(6, 8)}T${p(8, 10)}:${p(10, 12)}:${p(12, 14)}.${p(14, 17)}Z`).valueOf()
    }
  }
  return Number(prefix) || 0
}

function byMigrationOrder(a: string, b: string): number {
  return numericPrefix(a) - numericPrefix(b) || a.localeCompare(b, undefined, { usage: 'sort', numeric: true, sensitivity: 'variant', ignorePunctuation: true })
}

export const nodePgMigrate = defineReader('node-pg-migrate', async (client, spec, notes) => {
  const entries = await listDir(spec.dir, notes)
  const files = entries && migrationNames(entries)

  const where = { table: spec.table ?? DEFAULT_TABLE, schema: spec.schema ?? DEFAULT_SCHEMA }
  const history = await readHistory(client, where, notes, async (found) => {
    const res = await client.query<{ name: string; at: string }>(
      `SELECT name, (extract(epoch FROM run_on::timestamptz) * 1000)::float8::text AS at FROM ${found.name} ORDER BY run_on, id`,
    )
    return res.rows.map((row) => ({ name: row.name, at: Number(row.at) }))
  })
  if (await runInProgress(client)) notes.push('a node-pg-migrate run is in progress (its advisory lock is held)')

  if (files) {
    // runner.ts checkOrder: the applied names, in run order, must be the first files.
    const at = history.findIndex((row, i) => i < files.length && files[i] !== row.name)
    if (at >= 0) notes.push(`order check fails: ${files[at]} on disk where ${history[at]!.name} was run (node-pg-migrate with checkOrder refuses to migrate)`)
  }
  return { disk: files?.map((name) => ({ name })), history }
})

/** getMigrationFilePaths: files and symlinks, not dot files, named without their extension, in node-pg-migrate's order. */
function migrationNames(entries: Dirent[]): string[] {
  const names = entries.filter((e) => (e.isFile() || e.isSymbolicLink()) && !e.name.startsWith('.')).map((e) => basename(e.name, extname(e.name)))
  return [...new Set(names)].sort(byMigrationOrder)
}

/** The advisory lock of a run in progress (a bigint key: classid = high word, objid = low word, objsubid 1). */
async function runInProgress(client: pg.Client): Promise<boolean> {
  const res = await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
       AND classid = $1::bigint::oid AND objid = $2::bigint::oid AND objsubid = 1`,
    [String(LOCK_ID >> 32n), String(LOCK_ID & 0xffffffffn)],
  )
  return (res.rows[0]?.n ?? 0) > 0
}
