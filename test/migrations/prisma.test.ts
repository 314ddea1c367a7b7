// The prisma reader against the machine's real PostgreSQL. Prisma itself cannot
// run here: each case creates `_prisma_migrations` with the exact DDL of
// prisma-engines (flavour/postgres.rs create_migrations_table) in its own schema
// and writes rows as `migrate deploy` / `migrate resolve` leave them.
import { createHash } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { prismaChecksums } from '../../probes/postgres/migrations/prisma.js'
import type { MigrationStatus } from '../../probes/postgres/migrations/types.js'
import { scratch, statusOf, withoutNotes } from './harness.js'

const scratchDb = scratch('prisma')
let DB = ''
const root = scratchDb.newDir()
const dir = join(root, 'migrations')

const INIT = '20240101000000_init'
const USERS = '20240102000000_users'
const POSTS = '20240103000000_posts'
// As generated on Linux (LF); POSTS is checked out with CRLF on disk.
const SQL: Record<string, string> = {
  [INIT]: '-- CreateTable\nCREATE TABLE "a" ("id" SERIAL PRIMARY KEY);\n',
  [USERS]: '-- CreateTable\nCREATE TABLE "users" ("id" SERIAL PRIMARY KEY, "email" TEXT);\n',
  [POSTS]: '-- CreateTable\nCREATE TABLE "posts" ("id" SERIAL PRIMARY KEY);\n',
}
const sha = (s: string) => createHash('sha256').update(s).digest('hex')
const T1 = Date.UTC(2024, 0, 1, 10, 0, 0)
const T2 = Date.UTC(2024, 0, 2, 10, 0, 0)
const T3 = Date.UTC(2024, 0, 3, 10, 0, 0, 123)

const sql = (text: string, params: unknown[] = []) => scratchDb.sql(DB, text, params)

function read(schema: string | undefined, migrationsDir = dir): Promise<MigrationStatus> {
  return scratchDb.read(DB, { tool: 'prisma', dir: migrationsDir, ...(schema ? { schema } : {}) })
}

/** `_prisma_migrations` exactly as prisma-engines creates it, in `schema`. */
async function createTable(schema: string) {
  await sql(`CREATE SCHEMA IF NOT EXISTS "${schema}"; SET search_path TO "${schema}";
    CREATE TABLE _prisma_migrations (
        id                      VARCHAR(36) PRIMARY KEY NOT NULL,
        checksum                VARCHAR(64) NOT NULL,
        finished_at             TIMESTAMPTZ,
        migration_name          VARCHAR(255) NOT NULL,
        logs                    TEXT,
        rolled_back_at          TIMESTAMPTZ,
        started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
        applied_steps_count     INTEGER NOT NULL DEFAULT 0
    );`)
}

interface Rec {
  name: string
  checksum?: string
  finished?: number | null
  rolledBack?: number
  logs?: string
}

/** Rows as apply_migrations.rs leaves them: started, then finished (1 step) or failed (logs). */
async function insert(schema: string, recs: Rec[]) {
  let i = 0
  for (const r of recs) {
    const finished = r.finished === undefined ? T1 : r.finished
    const started = (finished ?? T3) - 1000 + i++
    await sql(
      `INSERT INTO "${schema}"._prisma_migrations (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
       VALUES (gen_random_uuid()::text, $1, $2, $3, $4, $5, $6, $7)`,
      [
        r.checksum ?? sha(SQL[r.name] ?? r.name),
        finished === null ? null : new Date(finished),
        r.name,
        r.logs ?? null,
        r.rolledBack === undefined ? null : new Date(r.rolledBack),
        new Date(started),
        finished === null ? 0 : 1,
      ],
    )
  }
}

const status = statusOf('prisma', { available: 3, heads: 1 })

t.before(async () => {
  DB = await scratchDb.newDb()
  for (const [name, text] of Object.entries(SQL)) {
    mkdirSync(join(dir, name), { recursive: true })
    writeFileSync(join(dir, name, 'migration.sql'), name === POSTS ? text.replace(/\n/g, '\r\n') : text)
  }
  writeFileSync(join(dir, 'migration_lock.toml'), 'provider = "postgresql"\n')
})

t.teardown(scratchDb.cleanup)

t.test('checksum rule of prisma-engines checksum.rs', async (t) => {
  const matches = (script: string, checksum: string) => prismaChecksums(script).includes(checksum)
  t.equal(sha('hello'), '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824')
  t.ok(matches('ab\r\ncd\r\n', sha('ab\ncd\n')), 'CRLF file, LF checksum')
  t.ok(matches('ab\ncd\n', sha('ab\r\ncd\r\n')), 'LF file, CRLF checksum')
  t.notOk(matches('abc\n', sha('abc')), 'a real edit')
  const old = [...createHash('sha256').update('abcd').digest()].map((b) => b.toString(16)).join('')
  t.ok(old.length < 64)
  t.ok(matches('abcd', old), 'unpadded checksums of old engines')
  t.notOk(matches('abcd', ''), 'an empty checksum matches nothing')
})

t.test('clean: everything applied (default schema public)', async (t) => {
  await createTable('public')
  await insert('public', [{ name: INIT, finished: T1 }, { name: USERS, finished: T2 }, { name: POSTS, finished: T3 }])
  const st = await read(undefined)
  t.strictSame(withoutNotes(st), status({ applied: 3, lastAppliedAt: T3, current: POSTS }))
  t.strictSame(st.notes, [])
})

t.test('pending', async (t) => {
  await createTable('c_pending')
  await insert('c_pending', [{ name: INIT, finished: T1 }])
  const st = await read('c_pending')
  t.strictSame(withoutNotes(st), status({ applied: 1, pending: 2, lastAppliedAt: T1, current: INIT, names: { pending: [USERS, POSTS], failed: [], unknown: [], checksumMismatch: [] } }))
})

t.test('failed: unfinished row, neither applied nor pending', async (t) => {
  await createTable('c_failed')
  await insert('c_failed', [{ name: INIT, finished: T1 }, { name: USERS, finished: null, logs: 'Database error code: 42P07' }])
  const st = await read('c_failed')
  t.strictSame(withoutNotes(st), status({ applied: 1, pending: 1, failed: 1, lastAppliedAt: T1, current: INIT, names: { pending: [POSTS], failed: [USERS], unknown: [], checksumMismatch: [] } }))
})

t.test('rolled back: resolved failure is pending again, re-applied row counts', async (t) => {
  await createTable('c_rolled')
  await insert('c_rolled', [
    { name: INIT, finished: T1 },
    { name: USERS, finished: null, rolledBack: T2, logs: 'boom' }, // resolved, then deployed again:
    { name: USERS, finished: T2 },
    { name: POSTS, finished: null, rolledBack: T3, logs: 'boom' }, // resolved, not yet re-deployed
  ])
  const st = await read('c_rolled')
  t.strictSame(withoutNotes(st), status({ applied: 2, pending: 1, lastAppliedAt: T2, current: USERS, names: { pending: [POSTS], failed: [], unknown: [], checksumMismatch: [] } }))
})

t.test('checksum mismatch: edited after apply; CRLF checkout and old checksums are not edits', async (t) => {
  await createTable('c_edit')
  const oldInit = [...createHash('sha256').update(SQL[INIT]!).digest()].map((b) => b.toString(16)).join('')
  await insert('c_edit', [
    { name: INIT, finished: T1, checksum: oldInit },
    { name: USERS, finished: T2, checksum: sha('-- CreateTable\nCREATE TABLE "users" ("id" SERIAL PRIMARY KEY);\n') },
    { name: POSTS, finished: T3 }, // LF checksum, CRLF file
  ])
  const st = await read('c_edit')
  t.strictSame(withoutNotes(st), status({ applied: 3, checksumMismatch: 1, lastAppliedAt: T3, current: POSTS, names: { pending: [], failed: [], unknown: [], checksumMismatch: [USERS] } }))
})

t.test('ghost: applied but not on disk', async (t) => {
  await createTable('c_ghost')
  await insert('c_ghost', [
    { name: INIT, finished: T1 }, { name: USERS, finished: T2 }, { name: POSTS, finished: T2 + 1 },
    { name: '20240104000000_hotfix', finished: T3 },
  ])
  const st = await read('c_ghost')
  t.strictSame(withoutNotes(st), status({ applied: 4, unknown: 1, lastAppliedAt: T3, current: '20240104000000_hotfix', names: { pending: [], failed: [], unknown: ['20240104000000_hotfix'], checksumMismatch: [] } }))
})

t.test('table absent: nothing applied, a note, no error', async (t) => {
  await sql('CREATE SCHEMA c_empty')
  const st = await read('c_empty')
  t.strictSame(withoutNotes(st), status({ pending: 3, names: { pending: [INIT, USERS, POSTS], failed: [], unknown: [], checksumMismatch: [] } }))
  t.match(st.notes, [/history table c_empty\._prisma_migrations absent: nothing applied/])
})

t.test('directory absent: dirReadable false, a note, database side still read', async (t) => {
  const st = await read(undefined, join(root, 'nope'))
  t.strictSame(withoutNotes(st), status({ available: 0, applied: 3, dirReadable: false, lastAppliedAt: T3, current: POSTS }))
  t.match(st.notes, [/migration directory not readable: ENOENT/])
})

t.test('a migration directory without migration.sql is counted, with a note', async (t) => {
  const d2 = join(root, 'm2')
  mkdirSync(join(d2, INIT), { recursive: true })
  writeFileSync(join(d2, INIT, 'migration.sql'), SQL[INIT]!)
  mkdirSync(join(d2, USERS))
  const st = await read('c_pending', d2)
  t.strictSame(withoutNotes(st), status({ available: 2, applied: 1, pending: 1, lastAppliedAt: T1, current: INIT, names: { pending: [USERS], failed: [], unknown: [], checksumMismatch: [] } }))
  t.match(st.notes, [/migration\.sql missing or unreadable in: 20240102000000_users/])
})
