// The golang-migrate reader against the machine's real PostgreSQL. The migrate
// CLI is not installed here: each case creates `schema_migrations` with the exact
// DDL of database/postgres/postgres.go (ensureVersionTable) and writes the one row
// as SetVersion does (TRUNCATE, then INSERT (version, dirty)).
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import type { MigrationStatus } from '../../probes/postgres/migrations/types.js'
import { names, scratch, statusOf, withoutNotes } from './harness.js'

const scratchDb = scratch('gomigrate')
let DB = ''
const root = scratchDb.newDir()
const dir = join(root, 'migrations')

const sql = (text: string, params: unknown[] = []) => scratchDb.sql(DB, text, params)

function read(schema?: string, migrationsDir = dir, table?: string): Promise<MigrationStatus> {
  return scratchDb.read(DB, { tool: 'golang-migrate', dir: migrationsDir, ...(schema ? { schema } : {}), ...(table ? { table } : {}) })
}

/** ensureVersionTable's DDL, then SetVersion(version, dirty) when a version is given. */
async function migrated(schema: string, version: number | undefined, dirty = false, table = 'schema_migrations') {
  await sql(`CREATE SCHEMA IF NOT EXISTS "${schema}"`)
  await sql(`CREATE TABLE IF NOT EXISTS "${schema}"."${table}" (version bigint not null primary key, dirty boolean not null)`)
  if (version === undefined) return
  await sql(`TRUNCATE "${schema}"."${table}"`)
  await sql(`INSERT INTO "${schema}"."${table}" (version, dirty) VALUES ($1, $2)`, [version, dirty])
}

const status = statusOf('golang-migrate', { available: 3, heads: 1 })

t.before(async () => {
  DB = await scratchDb.newDb()
  mkdirSync(dir)
  for (const f of ['000001_init', '000002_users', '000010_posts']) {
    writeFileSync(join(dir, `${f}.up.sql`), 'SELECT 1;\n')
    writeFileSync(join(dir, `${f}.down.sql`), 'SELECT 1;\n')
  }
  writeFileSync(join(dir, 'README.md'), 'not a migration\n')
})

t.teardown(scratchDb.cleanup)

t.test('clean: current version = newest file (default schema = current_schema())', async (t) => {
  await migrated('public', 10)
  const st = await read()
  t.strictSame(withoutNotes(st), status({ applied: 3, current: '10' }))
  t.strictSame(st.notes, [])
})

t.test('pending: versions above the current one, numerically', async (t) => {
  await migrated('c_pending', 1)
  const st = await read('c_pending')
  t.strictSame(withoutNotes(st), status({ applied: 1, pending: 2, current: '1', names: names({ pending: ['2', '10'] }) }))
})

t.test('failed: dirty version is failed, neither applied nor pending (custom table)', async (t) => {
  await migrated('c_dirty', 2, true, 'my_versions')
  const st = await read('c_dirty', dir, 'my_versions')
  t.strictSame(withoutNotes(st), status({ applied: 1, pending: 1, failed: 1, current: '2', names: names({ pending: ['10'], failed: ['2'] }) }))
  t.match(st.notes, [/database is dirty at version 2/])
})

t.test('ghost: current version has no file', async (t) => {
  await migrated('c_ghost', 11)
  const st = await read('c_ghost')
  t.strictSame(withoutNotes(st), status({ applied: 4, unknown: 1, current: '11', names: names({ unknown: ['11'] }) }))
})

t.test('table present but empty (all migrated down): nothing applied', async (t) => {
  await migrated('c_nil', undefined)
  const st = await read('c_nil')
  t.strictSame(withoutNotes(st), status({ pending: 3, names: names({ pending: ['1', '2', '10'] }) }))
})

t.test('table absent: nothing applied, a note', async (t) => {
  await sql('CREATE SCHEMA c_empty')
  const st = await read('c_empty')
  t.strictSame(withoutNotes(st), status({ pending: 3, names: names({ pending: ['1', '2', '10'] }) }))
  t.match(st.notes, [/history table c_empty\.schema_migrations absent: nothing applied/])
})

t.test('directory absent: dirReadable false, a note', async (t) => {
  const st = await read('c_pending', join(root, 'nope'))
  t.strictSame(withoutNotes(st), status({ available: 0, applied: 0, heads: 0, dirReadable: false, current: '1' }))
  t.match(st.notes, [/migration directory not readable: ENOENT/, /current version 1: applied count unknown without the directory/])
})
