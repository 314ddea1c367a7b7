// The drizzle reader against the machine's real PostgreSQL. drizzle-orm is not
// installed here: each case creates the history table with the exact DDL of
// drizzle-orm's PgDialect.migrate (pg-core/dialect.ts) and inserts rows as it
// does: ("hash", "created_at") = (sha256 of the LF-normalised file, journal `when`).
import { createHash } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import type { MigrationStatus } from '../../probes/postgres/migrations/types.js'
import { scratch, statusOf, withoutNotes } from './harness.js'

const scratchDb = scratch('drizzle')
let DB = ''
const root = scratchDb.newDir()
const dir = join(root, 'drizzle')

const A = '0000_bitter_wolf'
const B = '0001_calm_eagle'
const C = '0002_brave_tiger'
const W = { [A]: 1718000000000, [B]: 1718100000000, [C]: 1718200000000 } as Record<string, number>
const SQL: Record<string, string> = {
  [A]: 'CREATE TABLE "users" ("id" serial PRIMARY KEY NOT NULL);\n--> statement-breakpoint\nCREATE INDEX "u_idx" ON "users" ("id");\n',
  [B]: 'ALTER TABLE "users" ADD COLUMN "email" text;\n',
  [C]: 'CREATE TABLE "posts" ("id" serial PRIMARY KEY NOT NULL);\n', // CRLF on disk
}
const sha = (s: string) => createHash('sha256').update(s).digest('hex')

const sql = (text: string, params: unknown[] = []) => scratchDb.sql(DB, text, params)

function read(schema?: string, migrationsDir = dir, table?: string): Promise<MigrationStatus> {
  return scratchDb.read(DB, { tool: 'drizzle', dir: migrationsDir, ...(schema ? { schema } : {}), ...(table ? { table } : {}) })
}

/** PgDialect.migrate's DDL, then one insert per migration run, as it does. */
async function migrated(schema: string, rows: { hash: string; when: number }[], table = '__drizzle_migrations') {
  await sql(`CREATE SCHEMA IF NOT EXISTS "${schema}"`)
  await sql(`
			CREATE TABLE IF NOT EXISTS "${schema}"."${table}" (
				id SERIAL PRIMARY KEY,
				hash text NOT NULL,
				created_at bigint
			)
		`)
  for (const r of rows) await sql(`insert into "${schema}"."${table}" ("hash", "created_at") values($1, $2)`, [r.hash, r.when])
}
const row = (tag: string) => ({ hash: sha(SQL[tag]!), when: W[tag]! })

const status = statusOf('drizzle', { available: 3, heads: 1 })

function writeJournal(d: string, tags: string[]) {
  mkdirSync(join(d, 'meta'), { recursive: true })
  writeFileSync(join(d, 'meta', '_journal.json'), JSON.stringify({
    version: '7', dialect: 'postgresql',
    entries: tags.map((tag, idx) => ({ idx, version: '7', when: W[tag], tag, breakpoints: true })),
  }, null, 2))
}

t.before(async () => {
  DB = await scratchDb.newDb()
  writeJournal(dir, [A, B, C])
  for (const [tag, text] of Object.entries(SQL)) writeFileSync(join(dir, `${tag}.sql`), tag === C ? text.replace(/\n/g, '\r\n') : text)
})

t.teardown(scratchDb.cleanup)

t.test('clean (default schema drizzle, table __drizzle_migrations)', async (t) => {
  await migrated('drizzle', [row(A), row(B), row(C)])
  const st = await read()
  t.strictSame(withoutNotes(st), status({ applied: 3, lastAppliedAt: W[C], current: C }))
  t.strictSame(st.notes, [])
})

t.test('pending: entries newer than the last created_at', async (t) => {
  await migrated('c_pending', [row(A)])
  const st = await read('c_pending')
  t.strictSame(withoutNotes(st), status({ applied: 1, pending: 2, lastAppliedAt: W[A], current: A, names: { pending: [B, C], failed: [], unknown: [], checksumMismatch: [] } }))
})

t.test('failed run: one transaction, nothing recorded, so no failed state (custom table name)', async (t) => {
  // B and C failed together in migrate()'s transaction: only A's row exists.
  await migrated('c_failed', [row(A)], 'my_migrations')
  const st = await read('c_failed', dir, 'my_migrations')
  t.strictSame(withoutNotes(st), status({ applied: 1, pending: 2, failed: 0, lastAppliedAt: W[A], current: A, names: { pending: [B, C], failed: [], unknown: [], checksumMismatch: [] } }))
})

t.test('drizzle rule: an older entry without a row counts as applied (it is never run), with a note', async (t) => {
  await migrated('c_skip', [row(A), row(C)])
  const st = await read('c_skip')
  t.strictSame(withoutNotes(st), status({ applied: 3, lastAppliedAt: W[C], current: C }))
  t.match(st.notes, [/never recorded \(drizzle will not run them\): 0001_calm_eagle/])
})

t.test('checksum mismatch: file edited after apply; CRLF checkout is not an edit', async (t) => {
  await migrated('c_edit', [row(A), { hash: sha('ALTER TABLE "users" ADD COLUMN "name" text;\n'), when: W[B]! }, row(C)])
  const st = await read('c_edit')
  t.strictSame(withoutNotes(st), status({ applied: 3, checksumMismatch: 1, lastAppliedAt: W[C], current: C, names: { pending: [], failed: [], unknown: [], checksumMismatch: [B] } }))
})

t.test('ghost: a row whose created_at is in no journal entry', async (t) => {
  const ghost = 1718300000000
  await migrated('c_ghost', [row(A), row(B), row(C), { hash: sha('DROP TABLE x;'), when: ghost }])
  const st = await read('c_ghost')
  t.strictSame(withoutNotes(st), status({ applied: 4, unknown: 1, lastAppliedAt: ghost, current: String(ghost), names: { pending: [], failed: [], unknown: [String(ghost)], checksumMismatch: [] } }))
})

t.test('table absent: nothing applied, a note', async (t) => {
  await sql('CREATE SCHEMA c_empty')
  const st = await read('c_empty')
  t.strictSame(withoutNotes(st), status({ pending: 3, names: { pending: [A, B, C], failed: [], unknown: [], checksumMismatch: [] } }))
  t.match(st.notes, [/history table c_empty\.__drizzle_migrations absent: nothing applied/])
})

t.test('directory absent: dirReadable false, a note', async (t) => {
  const st = await read(undefined, join(root, 'nope'))
  t.strictSame(withoutNotes(st), status({ available: 0, applied: 3, dirReadable: false, lastAppliedAt: W[C], current: String(W[C]) }))
  t.match(st.notes, [/migration journal not found/])
})

t.test('journal entry without its .sql file: counted, noted, not hash-checked', async (t) => {
  const d2 = join(root, 'd2')
  writeJournal(d2, [A, B])
  writeFileSync(join(d2, `${A}.sql`), SQL[A]!)
  const st = await read('c_pending', d2)
  t.strictSame(withoutNotes(st), status({ available: 2, applied: 1, pending: 1, lastAppliedAt: W[A], current: A, names: { pending: [B], failed: [], unknown: [], checksumMismatch: [] } }))
  t.match(st.notes, [/journal entries without their file \(drizzle would fail\): 0001_calm_eagle\.sql/])
})
