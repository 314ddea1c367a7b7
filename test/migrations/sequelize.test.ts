// The sequelize (sequelize-cli / umzug SequelizeStorage) reader against the
// machine's real PostgreSQL (127.0.0.1:5432, trust auth). sequelize is not
// installed here, so "SequelizeMeta" is created with the DDL sequelize's
// postgres query generator emits for umzug's storage model, and rows are
// inserted as Model.create does: clean, pending, ghost, timestamps, absent
// table, absent directory, custom table and schema. Each case gets its own
// database with a random name, dropped at the end.
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { none, scratch, toolOf } from './harness.js'

const scratchDb = scratch('seq')
const { read, check } = toolOf(scratchDb, 'sequelize')
const { newDb, withClient } = scratchDb

function newDir(files: string[]): string {
  return scratchDb.newDir(Object.fromEntries(files.map((f) => [f, "'use strict'\nmodule.exports = { async up() {}, async down() {} }\n"])))
}

/** What sequelize runs for umzug's SequelizeStorage model (default options). */
const CREATE = 'CREATE TABLE IF NOT EXISTS "SequelizeMeta" ("name" VARCHAR(255) NOT NULL UNIQUE , PRIMARY KEY ("name"));'
/** With migrationTimestamps: true (timestamps: true on the model). */
const CREATE_TS =
  'CREATE TABLE IF NOT EXISTS "SequelizeMeta" ("name" VARCHAR(255) NOT NULL UNIQUE , "createdAt" TIMESTAMP WITH TIME ZONE NOT NULL, "updatedAt" TIMESTAMP WITH TIME ZONE NOT NULL, PRIMARY KEY ("name"));'

async function log(db: string, names: string[], table = '"SequelizeMeta"'): Promise<void> {
  await withClient(db, async (c) => {
    for (const n of names) await c.query(`INSERT INTO ${table} ("name") VALUES ($1) RETURNING "name";`, [n])
  })
}


t.teardown(scratchDb.cleanup)

t.test('clean, pending, ghost (names keep their extension)', async (t) => {
  const db = await newDb()
  // Not migrations for sequelize-cli: a .d.ts, a .mjs, a README.
  const dir = newDir(['20240101000000-create-users.js', '20240102000000-create-posts.cjs', 'types.d.ts', '20240109000000-esm.mjs', 'README.md'])
  await withClient(db, (c) => c.query(CREATE))
  await log(db, ['20240101000000-create-users.js', '20240102000000-create-posts.cjs'])

  const clean = await read(db, dir)
  check(t, clean, { applied: 2, available: 2, pending: 0, failed: 0, unknown: 0, checksumMismatch: 0, heads: 1, current: '20240102000000-create-posts.cjs', lastApplied: false, names: none })
  t.same(clean.notes, [])

  writeFileSync(join(dir, '20240103000000-add-tags.ts'), 'export async function up() {}\n')
  const pending = await read(db, dir)
  check(t, pending, { applied: 2, available: 3, pending: 1, failed: 0, unknown: 0, checksumMismatch: 0, heads: 1, current: '20240102000000-create-posts.cjs', lastApplied: false, names: { ...none, pending: ['20240103000000-add-tags.ts'] } })

  rmSync(join(dir, '20240101000000-create-users.js'))
  const ghost = await read(db, dir)
  check(t, ghost, { applied: 2, available: 2, pending: 1, failed: 0, unknown: 1, checksumMismatch: 0, heads: 1, current: '20240102000000-create-posts.cjs', lastApplied: false, names: { ...none, pending: ['20240103000000-add-tags.ts'], unknown: ['20240101000000-create-users.js'] } })
})

t.test('migrationTimestamps: lastAppliedAt from createdAt', async (t) => {
  const db = await newDb()
  const dir = newDir(['20240101000000-a.js', '20240102000000-b.js'])
  await withClient(db, async (c) => {
    await c.query(CREATE_TS)
    await c.query('INSERT INTO "SequelizeMeta" ("name","createdAt","updatedAt") VALUES ($1,$2,$3) RETURNING "name","createdAt","updatedAt";', ['20240101000000-a.js', new Date('2024-03-01T10:00:00Z'), new Date('2024-03-01T10:00:00Z')])
    await c.query('INSERT INTO "SequelizeMeta" ("name","createdAt","updatedAt") VALUES ($1,$2,$3) RETURNING "name","createdAt","updatedAt";', ['20240102000000-b.js', new Date('2024-03-02T11:30:00.250Z'), new Date('2024-03-02T11:30:00.250Z')])
  })
  const s = await read(db, dir)
  check(t, s, { applied: 2, available: 2, pending: 0, failed: 0, unknown: 0, checksumMismatch: 0, heads: 1, current: '20240102000000-b.js', lastApplied: true, names: none })
  t.equal(s.lastAppliedAt, Date.parse('2024-03-02T11:30:00.250Z'))
})

t.test('history table absent: everything pending', async (t) => {
  const db = await newDb()
  const dir = newDir(['20240102000000-b.js', '20240101000000-a.js'])
  const s = await read(db, dir)
  check(t, s, { applied: 0, available: 2, pending: 2, failed: 0, unknown: 0, checksumMismatch: 0, heads: 1, current: undefined, lastApplied: false, names: { ...none, pending: ['20240101000000-a.js', '20240102000000-b.js'] } })
  t.match(s.notes.join('\n'), /history table SequelizeMeta absent: nothing applied/)
})

t.test('directory absent: dirReadable false, database still read', async (t) => {
  const db = await newDb()
  await withClient(db, (c) => c.query(CREATE))
  await log(db, ['20240101000000-a.js'])
  const s = await read(db, '/nonexistent/gt-seq-migrations')
  check(t, s, { applied: 1, available: 0, pending: 0, failed: 0, unknown: 0, checksumMismatch: 0, heads: 1, current: '20240101000000-a.js', lastApplied: false, dirReadable: false, names: none })
  t.match(s.notes.join('\n'), /not readable: ENOENT/)

  const empty = await read(await newDb(), '/nonexistent/gt-seq-migrations')
  check(t, empty, { applied: 0, available: 0, pending: 0, failed: 0, unknown: 0, checksumMismatch: 0, heads: 0, current: undefined, lastApplied: false, dirReadable: false, names: none })
})

t.test('custom table and schema (migrationStorageTableName / migrationStorageTableSchema)', async (t) => {
  const db = await newDb()
  const dir = newDir(['20240101000000-a.js', '20240102000000-b.js'])
  await withClient(db, async (c) => {
    await c.query('CREATE SCHEMA "Ops"')
    await c.query('CREATE TABLE IF NOT EXISTS "Ops"."Meta" ("name" VARCHAR(255) NOT NULL UNIQUE , PRIMARY KEY ("name"));')
  })
  await log(db, ['20240101000000-a.js'], '"Ops"."Meta"')
  const s = await read(db, dir, { table: 'Meta', schema: 'Ops' })
  check(t, s, { applied: 1, available: 2, pending: 1, failed: 0, unknown: 0, checksumMismatch: 0, heads: 1, current: '20240101000000-a.js', lastApplied: false, names: { ...none, pending: ['20240102000000-b.js'] } })
  const d = await read(db, dir)
  t.equal(d.applied, 0, 'no "SequelizeMeta" on the search_path')
  t.equal(d.pending, 2)
})
