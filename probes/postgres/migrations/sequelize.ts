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
import { readdir } from 'node:fs/promises'
import { emptyStatus, type MigrationReader, type MigrationStatus } from './types.js'
import { quoteIdent } from './sql.js'

const DEFAULT_TABLE = 'SequelizeMeta'
const PATTERN = /^(?!.*\.d\.ts$).*\.(cjs|js|cts|ts)$/

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

async function listDir(dir: string, status: MigrationStatus): Promise<string[] | undefined> {
  try {
    return (await readdir(dir)).filter((f) => PATTERN.test(f)).sort(byCodeUnit)
  } catch (err) {
    status.dirReadable = false
    status.notes.push(`migration directory not readable: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
    return undefined
  }
}

export const sequelize: MigrationReader = {
  tool: 'sequelize',
  async read(client, spec) {
    const status = emptyStatus('sequelize')
    const table = spec.table ?? DEFAULT_TABLE
    const files = await listDir(spec.dir, status)

    const applied: string[] = []
    const historyTable = spec.schema ? `${quoteIdent(spec.schema)}.${quoteIdent(table)}` : quoteIdent(table)
    const exists = await client.query<{ oid: string | null }>('SELECT to_regclass($1)::oid::text AS oid', [historyTable])
    const oid = exists.rows[0]?.oid
    if (oid != null) {
      const rows = await client.query<{ name: string }>(`SELECT name FROM ${historyTable}`)
      for (const row of rows.rows) applied.push(row.name)
      applied.sort(byCodeUnit)
      status.current = applied[applied.length - 1]
      const ts = await client.query('SELECT 1 FROM pg_attribute WHERE attrelid = $1::oid AND attname = $2 AND NOT attisdropped', [oid, 'createdAt'])
      if (ts.rowCount) {
        const last = await client.query<{ at: string | null }>(`SELECT (extract(epoch FROM max("createdAt")) * 1000)::float8::text AS at FROM ${historyTable}`)
        const at = last.rows[0]?.at
        if (at != null) status.lastAppliedAt = Math.round(Number(at))
      }
    } else {
      status.notes.push(`history table ${table} absent: nothing applied`)
    }

    const appliedSet = new Set(applied)
    status.applied = appliedSet.size
    if (files) {
      const onDisk = new Set(files)
      status.available = files.length
      status.names.pending = files.filter((f) => !appliedSet.has(f))
      status.names.unknown = [...appliedSet].filter((n) => !onDisk.has(n))
      status.pending = status.names.pending.length
      status.unknown = status.names.unknown.length
    }
    status.heads = status.available > 0 || status.applied > 0 ? 1 : 0
    return status
  },
}
