// The TypeORM reader against the machine's real PostgreSQL (127.0.0.1:5432,
// trust auth). TypeORM is not installed here, so "migrations" is created with
// the DDL TypeORM's PostgresQueryRunner emits for MigrationExecutor's table,
// and rows are inserted as insertExecutedMigration does ({timestamp, name}):
// clean, pending, ghost, name property vs class name, compiled JS, absent
// table, absent directory, custom table and schema. Each case gets its own
// database with a random name, dropped at the end.
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { none, scratch, toolOf } from './harness.js'

const scratchDb = scratch('torm')
const { read, check } = toolOf(scratchDb, 'typeorm')
const { newDb, withClient } = scratchDb

/** MigrationCreateCommand's TypeScript template, with the `name` field migration:generate adds. */
const tsMigration = (cls: string, name = cls) => `import { MigrationInterface, QueryRunner } from "typeorm";

export class ${cls} implements MigrationInterface {
    name = '${name}'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(\`UPDATE "user" SET name = 'bob'\`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
    }

}
`
/** What tsc (CommonJS, no define semantics) makes of it. */
const compiledJs = (cls: string) => `"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.${cls} = void 0;
class ${cls} {
    constructor() {
        this.name = '${cls}';
    }
    async up(queryRunner) { }
    async down(queryRunner) { }
}
exports.${cls} = ${cls};
`

function newDir(files: Record<string, string>): string {
  return scratchDb.newDir(files)
}

/** PostgresQueryRunner.createTable for MigrationExecutor's Table, default name. */
const CREATE = 'CREATE TABLE "migrations" ("id" SERIAL NOT NULL, "timestamp" bigint NOT NULL, "name" character varying NOT NULL, CONSTRAINT "PK_8c82d7f526340ab734260ea46be" PRIMARY KEY ("id"))'

async function insert(db: string, names: string[], table = '"migrations"'): Promise<void> {
  await withClient(db, async (c) => {
    for (const n of names) await c.query(`INSERT INTO ${table}("timestamp", "name") VALUES ($1, $2)`, [Number(n.slice(-13)), n])
  })
}


t.teardown(scratchDb.cleanup)

t.test('clean, pending, ghost; names from the name field, the class, compiled JS', async (t) => {
  const db = await newDb()
  const dir = newDir({
    '1700000000000-CreateUsers.ts': tsMigration('CreateUsers1700000000000'),
    '1700000000001-AddPosts.js': compiledJs('AddPosts1700000000001'),
    // the `name` field wins over the class name (migration.name || constructor.name)
    '1700000000002-Tags.ts': tsMigration('Tags1700000000002', 'RenamedTags1700000000002'),
    'index.d.ts': 'export declare class Nope1700000000009 {}\n',
    'README.md': 'class Nope1700000000008\n',
  })
  await withClient(db, (c) => c.query(CREATE))
  await insert(db, ['CreateUsers1700000000000', 'AddPosts1700000000001', 'RenamedTags1700000000002'])

  const clean = await read(db, dir)
  check(t, clean, { applied: 3, available: 3, pending: 0, failed: 0, unknown: 0, checksumMismatch: 0, heads: 1, current: 'RenamedTags1700000000002', lastApplied: true, names: none })
  t.equal(clean.lastAppliedAt, 1700000000002, 'the greatest "timestamp" column')
  t.match(clean.notes.join('\n'), /does not record when it ran/)

  writeFileSync(join(dir, '1700000000003-AddIndex.ts'), tsMigration('AddIndex1700000000003'))
  const pending = await read(db, dir)
  check(t, pending, { applied: 3, available: 4, pending: 1, failed: 0, unknown: 0, checksumMismatch: 0, heads: 1, current: 'RenamedTags1700000000002', lastApplied: true, names: { ...none, pending: ['AddIndex1700000000003'] } })

  rmSync(join(dir, '1700000000001-AddPosts.js'))
  const ghost = await read(db, dir)
  check(t, ghost, { applied: 3, available: 3, pending: 1, failed: 0, unknown: 1, checksumMismatch: 0, heads: 1, current: 'RenamedTags1700000000002', lastApplied: true, names: { ...none, pending: ['AddIndex1700000000003'], unknown: ['AddPosts1700000000001'] } })
})

t.test('files TypeORM would refuse are notes, not migrations', async (t) => {
  const db = await newDb()
  const dir = newDir({
    '1700000000000-A.ts': tsMigration('A1700000000000'),
    'helpers.ts': 'export const x = 1 // the class of helpers\n',
    'Bad.ts': 'export class BadMigration implements MigrationInterface {}\n',
    '1700000000000-A.js': compiledJs('A1700000000000'),
  })
  const s = await read(db, dir)
  check(t, s, { applied: 0, available: 1, pending: 1, failed: 0, unknown: 0, checksumMismatch: 0, heads: 1, current: undefined, lastApplied: false, names: { ...none, pending: ['A1700000000000'] } })
  const notes = s.notes.join('\n')
  t.match(notes, /helpers.ts: no migration class found/)
  t.match(notes, /BadMigration does not end with a 13-digit timestamp/)
  t.match(notes, /duplicate migration A1700000000000/)
  t.match(notes, /history table migrations absent: nothing applied/)
})

t.test('directory absent: dirReadable false, database still read', async (t) => {
  const db = await newDb()
  await withClient(db, (c) => c.query(CREATE))
  await insert(db, ['Init1700000000000'])
  const s = await read(db, '/nonexistent/gt-torm-migrations')
  check(t, s, { applied: 1, available: 0, pending: 0, failed: 0, unknown: 0, checksumMismatch: 0, heads: 1, current: 'Init1700000000000', lastApplied: true, dirReadable: false, names: none })
  t.match(s.notes.join('\n'), /not readable: ENOENT/)

  const empty = await read(await newDb(), '/nonexistent/gt-torm-migrations')
  check(t, empty, { applied: 0, available: 0, pending: 0, failed: 0, unknown: 0, checksumMismatch: 0, heads: 0, current: undefined, lastApplied: false, dirReadable: false, names: none })
})

t.test('custom table and schema (migrationsTableName, schema)', async (t) => {
  const db = await newDb()
  const dir = newDir({ '1700000000000-One.ts': tsMigration('One1700000000000'), '1700000000001-Two.ts': tsMigration('Two1700000000001') })
  await withClient(db, async (c) => {
    await c.query('CREATE SCHEMA "Ops"')
    await c.query('CREATE TABLE "Ops"."Hist" ("id" SERIAL NOT NULL, "timestamp" bigint NOT NULL, "name" character varying NOT NULL, CONSTRAINT "PK_hist" PRIMARY KEY ("id"))')
  })
  await insert(db, ['One1700000000000'], '"Ops"."Hist"')
  const s = await read(db, dir, { table: 'Hist', schema: 'Ops' })
  check(t, s, { applied: 1, available: 2, pending: 1, failed: 0, unknown: 0, checksumMismatch: 0, heads: 1, current: 'One1700000000000', lastApplied: true, names: { ...none, pending: ['Two1700000000001'] } })
  t.equal(s.lastAppliedAt, 1700000000000)
  const d = await read(db, dir)
  t.equal(d.applied, 0, 'no "migrations" on the search_path')
  t.equal(d.pending, 2)
})
