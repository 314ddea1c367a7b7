// The node-pg-migrate reader against the machine's real PostgreSQL
// (127.0.0.1:5432, trust auth). node-pg-migrate is not installed here, so the
// history table is created with the exact DDL of its src/runner.ts
// (ensureMigrationsTable) and rows are written with the exact statement of
// src/migration.ts (_getMarkAsRun): clean, pending, ghost, out of order, run in
// progress, absent table, absent directory, custom table and schema. Each case
// gets its own database with a random name, dropped at the end.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import t from 'tap'
import { none, scratch, toolOf } from './harness.js'

const scratchDb = scratch('npm')
const { read, check } = toolOf(scratchDb, 'node-pg-migrate')
const { newDb, url, withClient } = scratchDb

function newDir(files: string[]): string {
  return scratchDb.newDir(Object.fromEntries(files.map((f) => [f, f.endsWith('.sql') ? '-- Up Migration\nSELECT 1;\n' : 'exports.up = (pgm) => {}\n'])))
}

/** ensureMigrationsTable's CREATE TABLE, verbatim. */
function createTable(schema = 'public', table = 'pgmigrations'): string {
  return `CREATE TABLE "${schema}"."${table}" (id SERIAL PRIMARY KEY, name varchar(255) NOT NULL, run_on timestamp NOT NULL)`
}

/** _getMarkAsRun('up'), verbatim. */
function markAsRun(name: string, schema = 'public', table = 'pgmigrations'): string {
  return `INSERT INTO "${schema}"."${table}" (name, run_on) VALUES ('${name}', NOW());`
}

async function sql(db: string, ...statements: string[]): Promise<void> {
  await withClient(db, async (c) => {
    for (const s of statements) await c.query(s)
  })
}


t.teardown(scratchDb.cleanup)

t.test('clean, pending, ghost', async (t) => {
  const db = await newDb()
  const dir = newDir(['1700000000000_init.js', '1700000000001_users.sql', '.gitkeep'])
  mkdirSync(join(dir, 'helpers')) // a sub-directory is not a migration
  const before = Date.now()
  await sql(db, createTable(), markAsRun('1700000000000_init'), markAsRun('1700000000001_users'))
  const after = Date.now()

  const clean = await read(db, dir)
  check(t, clean, { applied: 2, available: 2, pending: 0, failed: 0, unknown: 0, checksumMismatch: 0, heads: 1, current: '1700000000001_users', lastApplied: true, names: none })
  t.ok(clean.lastAppliedAt! >= before - 1000 && clean.lastAppliedAt! <= after + 1000, 'lastAppliedAt is max(run_on)')
  t.same(clean.notes, [])

  writeFileSync(join(dir, '1700000000002_posts.ts'), 'export async function up() {}\n')
  const pending = await read(db, dir)
  check(t, pending, { applied: 2, available: 3, pending: 1, failed: 0, unknown: 0, checksumMismatch: 0, heads: 1, current: '1700000000001_users', lastApplied: true, names: { ...none, pending: ['1700000000002_posts'] } })
  t.same(pending.notes, [])

  rmSync(join(dir, '1700000000001_users.sql'))
  const ghost = await read(db, dir)
  check(t, ghost, { applied: 2, available: 2, pending: 1, failed: 0, unknown: 1, checksumMismatch: 0, heads: 1, current: '1700000000001_users', lastApplied: true, names: { ...none, pending: ['1700000000002_posts'], unknown: ['1700000000001_users'] } })
})

t.test('a pending migration older than an applied one fails checkOrder', async (t) => {
  const db = await newDb()
  const dir = newDir(['20240101000000000_a.js', '20240102000000000_b.js', '20240103000000000_c.js'])
  await sql(db, createTable(), markAsRun('20240101000000000_a'), markAsRun('20240103000000000_c'))
  const s = await read(db, dir)
  check(t, s, { applied: 2, available: 3, pending: 1, failed: 0, unknown: 0, checksumMismatch: 0, heads: 1, current: '20240103000000000_c', lastApplied: true, names: { ...none, pending: ['20240102000000000_b'] } })
  t.match(s.notes.join('\n'), /order check fails: 20240102000000000_b on disk where 20240103000000000_c was run/)
})

t.test('a run in progress holds the advisory lock: a note, not a failure', async (t) => {
  const db = await newDb()
  const dir = newDir(['1700000000000_init.js'])
  await sql(db, createTable(), markAsRun('1700000000000_init'))
  const holder = new pg.Client({ connectionString: url(db) })
  await holder.connect()
  try {
    // runner.ts lock(): pg_try_advisory_lock(PG_MIGRATE_LOCK_ID)
    const got = await holder.query('SELECT pg_try_advisory_lock(7241865325823964) AS ok')
    t.equal(got.rows[0].ok, true)
    const s = await read(db, dir)
    check(t, s, { applied: 1, available: 1, pending: 0, failed: 0, unknown: 0, checksumMismatch: 0, heads: 1, current: '1700000000000_init', lastApplied: true, names: none })
    t.match(s.notes.join('\n'), /run is in progress/)
  } finally {
    await holder.end()
  }
  const after = await read(db, dir)
  t.same(after.notes, [], 'released with the session')
})

t.test('history table absent: everything pending', async (t) => {
  const db = await newDb()
  const dir = newDir(['1700000000001_b.js', '1700000000000_a.sql'])
  const s = await read(db, dir)
  check(t, s, { applied: 0, available: 2, pending: 2, failed: 0, unknown: 0, checksumMismatch: 0, heads: 1, current: undefined, lastApplied: false, names: { ...none, pending: ['1700000000000_a', '1700000000001_b'] } })
  t.match(s.notes.join('\n'), /history table public.pgmigrations absent: nothing applied/)
})

t.test('directory absent: dirReadable false, database still read', async (t) => {
  const db = await newDb()
  await sql(db, createTable(), markAsRun('1700000000000_init'))
  const s = await read(db, '/nonexistent/gt-npm-migrations')
  check(t, s, { applied: 1, available: 0, pending: 0, failed: 0, unknown: 0, checksumMismatch: 0, heads: 1, current: '1700000000000_init', lastApplied: true, dirReadable: false, names: none })
  t.match(s.notes.join('\n'), /not readable: ENOENT/)

  const empty = await read(await newDb(), '/nonexistent/gt-npm-migrations')
  check(t, empty, { applied: 0, available: 0, pending: 0, failed: 0, unknown: 0, checksumMismatch: 0, heads: 0, current: undefined, lastApplied: false, dirReadable: false, names: none })
})

t.test('custom table and schema (quoted identifiers)', async (t) => {
  const db = await newDb()
  const dir = newDir(['1700000000000_one.js', '1700000000001_two.js'])
  await sql(db, 'CREATE SCHEMA "Ops"', createTable('Ops', 'Migr'), markAsRun('1700000000000_one', 'Ops', 'Migr'))
  const s = await read(db, dir, { schema: 'Ops', table: 'Migr' })
  check(t, s, { applied: 1, available: 2, pending: 1, failed: 0, unknown: 0, checksumMismatch: 0, heads: 1, current: '1700000000000_one', lastApplied: true, names: { ...none, pending: ['1700000000001_two'] } })
  const d = await read(db, dir)
  t.equal(d.applied, 0, 'public.pgmigrations is not there')
  t.equal(d.pending, 2)
})
