// knex migration reader (issue 5): the knex_migrations history table against
// the migration directory, with knex's own rules. Sources (knex 3.3.0, the
// package installed here, same as knex/knex on GitHub):
// - lib/migrations/migrate/table-creator.js: the history table is
//   `t.increments(); t.string('name'); t.integer('batch'); t.timestamp('migration_time')`,
//   i.e. on postgres `knex_migrations (id serial primary key, name varchar(255),
//   batch integer, migration_time timestamptz)`, and the lock table
//   `<table>_lock (index serial primary key, is_locked integer)` with one row.
// - lib/migrations/migrate/migrator-configuration-merger.js: tableName
//   'knex_migrations', schemaName null (the connection's search_path).
// - lib/migrations/migrate/Migrator.js: `_waterfallBatch` inserts
//   {name, batch, migration_time: new Date()} after each up (a failed migration
//   rolls back and leaves no row); `_lockMigrations` sets is_locked = 1 for the
//   run and `_freeLock` resets it, so is_locked = 1 while no migration runs means
//   a crashed run: knex then refuses to migrate ("Migration table is already
//   locked") until `migrate:unlock`. `validateMigrationList` calls applied rows
//   with no file "corrupt" (our unknown). There are no checksums.
// - lib/migrations/common/MigrationsLoader.js DEFAULT_LOAD_EXTENSIONS and
//   lib/migrations/migrate/sources/fs-migrations.js: every directory entry
//   whose extname is one of .co .coffee .eg .iced .js .cjs .litcoffee .ls .ts
//   (not .mjs: knex needs loadExtensions for it), sorted by file name; the
//   migration name is the file name with its extension.
// - lib/migrations/migrate/migration-list-resolver.js: applied = rows ordered by id.
import { extname } from 'node:path'
import type pg from 'pg'
import { listDir } from './disk.js'
import { findHistoryTable, readHistory } from './history-table.js'
import { defineReader } from './types.js'

const DEFAULT_TABLE = 'knex_migrations'
const LOAD_EXTENSIONS = new Set(['.co', '.coffee', '.eg', '.iced', '.js', '.cjs', '.litcoffee', '.ls', '.ts'])

export const knex = defineReader('knex', async (client, spec, notes) => {
  const table = spec.table ?? DEFAULT_TABLE
  const entries = await listDir(spec.dir, notes)
  const files = entries?.filter((e) => LOAD_EXTENSIONS.has(extname(e.name))).map((e) => e.name)

  let locked = false
  const history = await readHistory(client, { table, schema: spec.schema }, notes, async (found) => {
    const res = await client.query<{ name: string | null; at: string | null }>(
      `SELECT name, (extract(epoch FROM migration_time) * 1000)::float8::text AS at FROM ${found.name} ORDER BY id`,
    )
    locked = await lockHeld(client, `${table}_lock`, spec.schema)
    if (locked) {
      notes.push(`migration lock held (${table}_lock.is_locked = 1): a run is in progress or crashed; knex refuses to migrate until "knex migrate:unlock"`)
    }
    return res.rows.flatMap((row) => (row.name == null ? [] : [{ name: row.name, at: row.at == null ? undefined : Number(row.at) }]))
  })

  // validateMigrationList: an applied name with no file stops knex.
  if (files && history.some((row) => !files.includes(row.name))) {
    notes.push('applied migrations missing from the directory: knex reports "the migration directory is corrupt" and will not migrate')
  }
  return { disk: files?.map((name) => ({ name })), history, lockHeld: locked }
})

/** is_locked = 1 in the lock table while no migration runs: a crashed run. */
async function lockHeld(client: pg.Client, lockTable: string, schema: string | undefined): Promise<boolean> {
  const found = await findHistoryTable(client, lockTable, schema)
  if (!found) return false
  const res = await client.query<{ held: boolean }>(`SELECT coalesce(bool_or(is_locked = 1), false) AS held FROM ${found.name}`)
  return res.rows[0]?.held === true
}
