// The flyway reader against the machine's real PostgreSQL. Flyway is not
// installed here: each case creates `flyway_schema_history` with the exact DDL of
// PostgreSQLDatabase.getRawCreateScript (flyway-database-postgresql) and inserts
// rows as Flyway writes them (SQL / BASELINE / SCHEMA / DELETE / JDBC types,
// checksum = CRC32 of the lines, signed).
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { flywayChecksum } from '../../probes/postgres/migrations/flyway.js'
import type { MigrationStatus } from '../../probes/postgres/migrations/types.js'
import { names, scratch, statusOf, withoutNotes } from './harness.js'

const scratchDb = scratch('flyway')
let DB = ''
const root = scratchDb.newDir()
const dir = join(root, 'db', 'migration')

const SQL = {
  'V1__init.sql': 'CREATE TABLE a (id int);\n',
  'V1.1__add_users.sql': 'CREATE TABLE users (id int);\nCREATE INDEX u ON users (id);\n',
  'V2__posts.sql': 'CREATE TABLE posts (id int);\n', // BOM + CRLF on disk
  'R__views.sql': 'CREATE OR REPLACE VIEW v AS SELECT 1;\n',
} as const
type File = keyof typeof SQL
const sum = (f: File) => flywayChecksum(SQL[f])
const T = (day: number) => `2024-01-0${day} 10:00:00`
const MS = (day: number) => Date.UTC(2024, 0, day, 10, 0, 0)

const sql = (text: string, params: unknown[] = []) => scratchDb.sql(DB, text, params)

function read(schema?: string, migrationsDir = dir): Promise<MigrationStatus> {
  return scratchDb.read(DB, { tool: 'flyway', dir: migrationsDir, ...(schema ? { schema } : {}) })
}

interface Rec {
  version: string | null
  description: string
  type?: string
  script: string
  checksum: number | null
  day: number
  success?: boolean
}

async function migrated(schema: string, recs: Rec[]) {
  const table = `"${schema}"."flyway_schema_history"`
  await sql(`CREATE SCHEMA IF NOT EXISTS "${schema}"`)
  await sql(`CREATE TABLE ${table} (
    "installed_rank" INT NOT NULL,
    "version" VARCHAR(50),
    "description" VARCHAR(200) NOT NULL,
    "type" VARCHAR(20) NOT NULL,
    "script" VARCHAR(1000) NOT NULL,
    "checksum" INTEGER,
    "installed_by" VARCHAR(100) NOT NULL,
    "installed_on" TIMESTAMP NOT NULL DEFAULT now(),
    "execution_time" INTEGER NOT NULL,
    "success" BOOLEAN NOT NULL
);
ALTER TABLE ${table} ADD CONSTRAINT "flyway_schema_history_pk" PRIMARY KEY ("installed_rank");
CREATE INDEX "flyway_schema_history_s_idx" ON ${table} ("success");`)
  let rank = 1
  for (const r of recs) {
    await sql(
      `INSERT INTO ${table} ("installed_rank", "version", "description", "type", "script", "checksum", "installed_by", "installed_on", "execution_time", "success")
       VALUES ($1, $2, $3, $4, $5, $6, 'postgres', $7, 12, $8)`,
      [rank++, r.version, r.description, r.type ?? 'SQL', r.script, r.checksum, T(r.day), r.success ?? true],
    )
  }
}

const V1: Rec = { version: '1', description: 'init', script: 'V1__init.sql', checksum: sum('V1__init.sql'), day: 1 }
const V11: Rec = { version: '1.1', description: 'add users', script: 'V1.1__add_users.sql', checksum: sum('V1.1__add_users.sql'), day: 2 }
const V2: Rec = { version: '2', description: 'posts', script: 'V2__posts.sql', checksum: sum('V2__posts.sql'), day: 3 }
const RV: Rec = { version: null, description: 'views', script: 'R__views.sql', checksum: sum('R__views.sql'), day: 4 }

const status = statusOf('flyway', { available: 4, heads: 1 })

t.before(async () => {
  DB = await scratchDb.newDb()
  // installed_on is read in the session's zone: every session of this database reads it in UTC.
  await sql(`ALTER DATABASE ${DB} SET TimeZone = 'UTC'`)
  mkdirSync(join(dir, 'v1'), { recursive: true })
  writeFileSync(join(dir, 'V1__init.sql'), SQL['V1__init.sql'])
  writeFileSync(join(dir, 'v1', 'V1.1__add_users.sql'), SQL['V1.1__add_users.sql']) // locations are recursive
  writeFileSync(join(dir, 'V2__posts.sql'), '\ufeff' + SQL['V2__posts.sql'].replace(/\n/g, '\r\n'))
  writeFileSync(join(dir, 'R__views.sql'), SQL['R__views.sql'])
  writeFileSync(join(dir, 'beforeMigrate.sql'), 'SELECT 1;\n') // a callback, not a migration
})

t.teardown(scratchDb.cleanup)

t.test('checksum of ChecksumCalculator: CRC32 over lines, signed, BOM and line endings ignored', async (t) => {
  t.equal(flywayChecksum('123456789'), -873187034) // CRC-32 check value 0xCBF43926 as a Java int
  t.equal(flywayChecksum('12345\n6789\n'), -873187034)
  t.equal(flywayChecksum('\ufeff12345\r\n6789\r'), -873187034)
  t.not(flywayChecksum('12345 6789'), -873187034)
})

t.test('clean (default schema = current_schema())', async (t) => {
  await migrated('public', [V1, V11, V2, RV])
  const st = await read()
  t.strictSame(withoutNotes(st), status({ applied: 4, lastAppliedAt: MS(4), current: '2' }))
  t.strictSame(st.notes, [])
})

t.test('pending, including one older than the current version (outOfOrder)', async (t) => {
  await migrated('c_pending', [V1, V2])
  const st = await read('c_pending')
  t.strictSame(withoutNotes(st), status({ applied: 2, pending: 2, lastAppliedAt: MS(3), current: '2', names: names({ pending: ['R__views.sql', 'V1.1__add_users.sql'] }) }))
  t.match(st.notes, [/1 pending migration\(s\) older than the current version/])
})

t.test('failed: success = false, neither applied nor pending', async (t) => {
  await migrated('c_failed', [V1, { ...V11, success: false }])
  const st = await read('c_failed')
  t.strictSame(withoutNotes(st), status({ applied: 1, pending: 2, failed: 1, lastAppliedAt: MS(1), current: '1', names: names({ pending: ['R__views.sql', 'V2__posts.sql'], failed: ['V1.1__add_users.sql'] }) }))
})

t.test('checksum mismatch for versioned; a changed repeatable is pending', async (t) => {
  await migrated('c_edit', [V1, { ...V11, checksum: flywayChecksum('CREATE TABLE users (id int);\n') }, V2, { ...RV, checksum: 12345 }])
  const st = await read('c_edit')
  t.strictSame(withoutNotes(st), status({ applied: 3, pending: 1, checksumMismatch: 1, lastAppliedAt: MS(4), current: '2', names: names({ pending: ['R__views.sql'], checksumMismatch: ['V1.1__add_users.sql'] }) }))
})

t.test('ghosts: versioned and repeatable rows without files; JDBC rows and deleted rows are not ghosts', async (t) => {
  await migrated('c_ghost', [
    V1, V11, V2, RV,
    { version: '2.5', description: 'java thing', type: 'JDBC', script: 'db.migration.V2_5__java_thing', checksum: null, day: 5 },
    { version: '3', description: 'gone', script: 'V3__gone.sql', checksum: 1, day: 5 },
    { version: null, description: 'old view', script: 'R__old_view.sql', checksum: 2, day: 5 },
    { version: '4', description: 'removed', script: 'V4__removed.sql', checksum: 3, day: 6 },
    { version: '4', description: 'removed', type: 'DELETE', script: 'V4__removed.sql', checksum: 3, day: 7 },
  ])
  const st = await read('c_ghost')
  t.strictSame(withoutNotes(st), status({ applied: 7, unknown: 2, lastAppliedAt: MS(5), current: '3', names: names({ unknown: ['R__old_view.sql', 'V3__gone.sql'] }) }))
  t.match(st.notes, [/1 applied non-SQL \(Java\/script\) migration\(s\) not checked/])
})

t.test('baseline: files at or below it are not pending; the schema marker is no migration', async (t) => {
  await migrated('c_base', [
    { version: null, description: '<< Flyway Schema Creation >>', type: 'SCHEMA', script: '"c_base"', checksum: null, day: 1 },
    { version: '1.1', description: '<< Flyway Baseline >>', type: 'BASELINE', script: '<< Flyway Baseline >>', checksum: null, day: 2 },
    V2,
  ])
  const st = await read('c_base')
  t.strictSame(withoutNotes(st), status({ applied: 1, pending: 1, lastAppliedAt: MS(3), current: '2', names: names({ pending: ['R__views.sql'] }) }))
  t.match(st.notes, [/baselined at version 1\.1: 2 migration\(s\) at or below it are never run/])
})

t.test('table absent: nothing applied, a note', async (t) => {
  await sql('CREATE SCHEMA c_empty')
  const st = await read('c_empty')
  t.strictSame(withoutNotes(st), status({ pending: 4, names: names({ pending: ['R__views.sql', 'V1.1__add_users.sql', 'V1__init.sql', 'V2__posts.sql'] }) }))
  t.match(st.notes, [/history table c_empty\.flyway_schema_history absent: nothing applied/])
})

t.test('directory absent: dirReadable false, a note', async (t) => {
  const st = await read(undefined, join(root, 'nope'))
  t.strictSame(withoutNotes(st), status({ available: 0, applied: 4, dirReadable: false, lastAppliedAt: MS(4), current: '2' }))
  t.match(st.notes, [/migration directory not readable: ENOENT/])
})
