// The knex migration reader against the machine's real PostgreSQL
// (127.0.0.1:5432, trust auth), with migrations run by the real knex
// (dev dependency): clean, pending, held lock, ghost, absent table, absent
// directory, custom table and schema. Each case gets its own database with a
// random name, dropped at the end.
import { unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import knexFactory from 'knex'
import t from 'tap'
import { none, scratch, toolOf } from './harness.js'

const scratchDb = scratch('knex')
const { read, check } = toolOf(scratchDb, 'knex')
const { newDb, url, withClient } = scratchDb

function newDir(): string {
  return scratchDb.newDir()
}

function writeMigration(dir: string, file: string, table: string): void {
  writeFileSync(
    join(dir, file),
    `exports.up = (knex) => knex.schema.createTable(${JSON.stringify(table)}, (t) => { t.increments() })\n` +
      `exports.down = (knex) => knex.schema.dropTable(${JSON.stringify(table)})\n`,
  )
}

async function migrate(db: string, dir: string, extra: { tableName?: string; schemaName?: string } = {}): Promise<void> {
  const k = knexFactory({ client: 'pg', connection: url(db) })
  try {
    await k.migrate.latest({ directory: dir, ...extra })
  } finally {
    await k.destroy()
  }
}


t.teardown(scratchDb.cleanup)

t.test('clean, then pending, held lock and ghost', async (t) => {
  const db = await newDb()
  const dir = newDir()
  writeMigration(dir, '20240101000000_users.cjs', 'users')
  writeMigration(dir, '20240102000000_posts.js', 'posts')
  writeFileSync(join(dir, 'README.md'), 'not a migration\n')
  writeFileSync(join(dir, '20240105000000_esm.mjs'), 'export const up = () => {}\n') // not in knex's default loadExtensions
  const before = Date.now()
  await migrate(db, dir)
  const after = Date.now()

  const clean = await read(db, dir)
  check(t, clean, { applied: 2, available: 2, pending: 0, failed: 0, unknown: 0, checksumMismatch: 0, heads: 1, current: '20240102000000_posts.js', lastApplied: true, names: none })
  t.ok(clean.lastAppliedAt! >= before - 1000 && clean.lastAppliedAt! <= after + 1000, 'lastAppliedAt is the migration_time knex wrote')
  t.same(clean.notes, [])

  writeMigration(dir, '20240103000000_tags.ts', 'tags')
  const pending = await read(db, dir)
  check(t, pending, { applied: 2, available: 3, pending: 1, failed: 0, unknown: 0, checksumMismatch: 0, heads: 1, current: '20240102000000_posts.js', lastApplied: true, names: { ...none, pending: ['20240103000000_tags.ts'] } })

  // A crashed run leaves the lock row at 1 (the inverse of knex's forceFreeMigrationsLock).
  await withClient(db, (c) => c.query('UPDATE knex_migrations_lock SET is_locked = 1'))
  const locked = await read(db, dir)
  check(t, locked, { applied: 2, available: 3, pending: 1, failed: 1, unknown: 0, checksumMismatch: 0, heads: 1, current: '20240102000000_posts.js', lastApplied: true, names: { ...none, pending: ['20240103000000_tags.ts'] } })
  t.match(locked.notes.join('\n'), /lock held/)
  // knex itself agrees: it refuses to run.
  await t.rejects(migrate(db, dir), /already locked/)
  const k = knexFactory({ client: 'pg', connection: url(db) })
  await k.migrate.forceFreeMigrationsLock({ directory: dir })
  await k.destroy()

  unlinkSync(join(dir, '20240101000000_users.cjs'))
  const ghost = await read(db, dir)
  check(t, ghost, { applied: 2, available: 2, pending: 1, failed: 0, unknown: 1, checksumMismatch: 0, heads: 1, current: '20240102000000_posts.js', lastApplied: true, names: { ...none, pending: ['20240103000000_tags.ts'], unknown: ['20240101000000_users.cjs'] } })
  await t.rejects(migrate(db, dir), /corrupt/, 'knex calls it corrupt too')
})

t.test('history table absent: everything pending', async (t) => {
  const db = await newDb()
  const dir = newDir()
  writeMigration(dir, '001_b.js', 'b')
  writeMigration(dir, '000_a.cjs', 'a')
  const s = await read(db, dir)
  check(t, s, { applied: 0, available: 2, pending: 2, failed: 0, unknown: 0, checksumMismatch: 0, heads: 1, current: undefined, lastApplied: false, names: { ...none, pending: ['000_a.cjs', '001_b.js'] } })
  t.match(s.notes.join('\n'), /history table knex_migrations absent: nothing applied/)
})

t.test('directory absent: dirReadable false, database still read', async (t) => {
  const db = await newDb()
  const dir = newDir()
  writeMigration(dir, '001_x.cjs', 'x')
  await migrate(db, dir)
  const s = await read(db, join(dir, 'nope'))
  check(t, s, { applied: 1, available: 0, pending: 0, failed: 0, unknown: 0, checksumMismatch: 0, heads: 1, current: '001_x.cjs', lastApplied: true, dirReadable: false, names: none })
  t.match(s.notes.join('\n'), /not readable: ENOENT/)

  const empty = await read(await newDb(), join(dir, 'nope'))
  check(t, empty, { applied: 0, available: 0, pending: 0, failed: 0, unknown: 0, checksumMismatch: 0, heads: 0, current: undefined, lastApplied: false, dirReadable: false, names: none })
})

t.test('custom table and schema (quoted identifiers)', async (t) => {
  const db = await newDb()
  const dir = newDir()
  await withClient(db, (c) => c.query('CREATE SCHEMA "Ops"'))
  writeMigration(dir, '001_one.cjs', 'one')
  await migrate(db, dir, { tableName: 'Hist', schemaName: 'Ops' })
  writeMigration(dir, '002_two.cjs', 'two')
  const s = await read(db, dir, { table: 'Hist', schema: 'Ops' })
  check(t, s, { applied: 1, available: 2, pending: 1, failed: 0, unknown: 0, checksumMismatch: 0, heads: 1, current: '001_one.cjs', lastApplied: true, names: { ...none, pending: ['002_two.cjs'] } })
  // The default table is not there.
  const d = await read(db, dir)
  t.equal(d.applied, 0)
  t.equal(d.pending, 2)
})
