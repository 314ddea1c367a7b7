// sequelize (sequelize-cli) migration reader (issue 5). Sources:
// - sequelize/cli src/core/migrator.js: `new Umzug({ storage: 'sequelize', ...,
//   migrations: { path, pattern: /^(?!.*\.d\.ts$).*\.(cjs|js|cts|ts)$/ } })`
//   (older releases: /\.js$/).
// - sequelize/cli src/helpers/umzug-helper.js: table `migrationStorageTableName`
//   default 'SequelizeMeta', schema `migrationStorageTableSchema` default none
//   (the search_path), `migrationTimestamps` default false.
// - sequelize/umzug src/storages/SequelizeStorage.js (umzug 2, used by the CLI):
//   the model is `{ name: { type: STRING, allowNull: false, unique: true,
//   primaryKey: true } }`, timestamps off unless configured, which sequelize's
//   postgres query generator (sequelize/sequelize src/dialects/postgres/query-generator.js
//   createTableQuery) turns into
//   `CREATE TABLE IF NOT EXISTS "SequelizeMeta" ("name" VARCHAR(255) NOT NULL UNIQUE , PRIMARY KEY ("name"));`
//   plus "createdAt"/"updatedAt" TIMESTAMP WITH TIME ZONE NOT NULL with timestamps.
//   `logMigration(migration.file)` inserts one row after `up` succeeded, so a
//   failed migration leaves no row: nothing is ever recorded as failed; no checksums.
// - sequelize/umzug src/index.js + src/migration.js: `migration.file` is the
//   file's base name WITH its extension; pending = files whose name is not a row;
//   files and executed rows are sorted by name, and `db:migrate:undo` reverts the
//   last one, so the current migration is the greatest applied name.
// The time of application exists only with migrationTimestamps ("createdAt").
import type pg from 'pg'
import { byCodeUnit } from './compare.js'
import { listDir } from './disk.js'
import { readHistory } from './history-table.js'
import { defineReader } from './types.js'

const DEFAULT_TABLE = 'SequelizeMeta'
const PATTERN = /^(?!.*\.d\.ts$).*\.(cjs|js|cts|ts)$/

export const sequelize = defineReader('sequelize', async (client, spec, notes) => {
  const entries = await listDir(spec.dir, notes)
  const disk = entries?.filter((e) => PATTERN.test(e.name)).map((e) => ({ name: e.name }))

  const history = await readHistory(client, { table: spec.table ?? DEFAULT_TABLE, schema: spec.schema }, notes, async (found) => {
    const at = (await hasColumn(client, found.oid, 'createdAt')) ? '(extract(epoch FROM "createdAt") * 1000)::float8::text' : 'NULL'
    const res = await client.query<{ name: string; at: string | null }>(`SELECT name, ${at} AS at FROM ${found.name}`)
    // Executed migrations sorted by name: the greatest is the current one (the one `db:migrate:undo` reverts).
    return res.rows.map((row) => ({ name: row.name, at: row.at == null ? undefined : Number(row.at) })).sort((a, b) => byCodeUnit(a.name, b.name))
  })
  return { disk, history }
})

async function hasColumn(client: pg.Client, oid: string, column: string): Promise<boolean> {
  const res = await client.query('SELECT 1 FROM pg_attribute WHERE attrelid = $1::oid AND attname = $2 AND NOT attisdropped', [oid, column])
  return (res.rowCount ?? 0) > 0
}
