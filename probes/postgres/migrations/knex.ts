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
import { readdir } from 'node:fs/promises'
import { extname } from 'node:path'
import type pg from 'pg'
import { emptyStatus, type MigrationReader, type MigrationStatus } from './types.js'
import { quoteIdent } from './sql.js'

const DEFAULT_TABLE = 'knex_migrations'
const LOAD_EXTENSIONS = new Set(['.co', '.coffee', '.eg', '.iced', '.js', '.cjs', '.litcoffee', '.ls', '.ts'])

/** The quoted, schema-qualified name when a schema is given; otherwise the search_path decides, as in knex. */
function qualified(schema: string | undefined, table: string): string {
  return schema ? `${quoteIdent(schema)}.${quoteIdent(table)}` : quoteIdent(table)
}

async function tableExists(client: pg.Client, name: string): Promise<boolean> {
  const r = await client.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [name])
  return r.rows[0]?.t != null
}

async function listDir(dir: string, status: MigrationStatus): Promise<string[] | undefined> {
  try {
    return (await readdir(dir)).filter((f) => LOAD_EXTENSIONS.has(extname(f))).sort()
  } catch (err) {
    status.dirReadable = false
    status.notes.push(`migration directory not readable: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
    return undefined
  }
}

export const knex: MigrationReader = {
  tool: 'knex',
  async read(client, spec) {
    const status = emptyStatus('knex')
    const table = spec.table ?? DEFAULT_TABLE
    const files = await listDir(spec.dir, status)

    const applied: string[] = []
    const historyTable = qualified(spec.schema, table)
    if (await tableExists(client, historyTable)) {
      const rows = await client.query<{ name: string | null; at: string | null }>(
        `SELECT name, (extract(epoch FROM migration_time) * 1000)::float8::text AS at FROM ${historyTable} ORDER BY id`,
      )
      let last: number | undefined
      for (const row of rows.rows) {
        if (row.name == null) continue
        applied.push(row.name)
        const at = row.at == null ? undefined : Number(row.at)
        if (at !== undefined && (last === undefined || at > last)) last = at
      }
      if (last !== undefined) status.lastAppliedAt = Math.round(last)
      status.current = applied[applied.length - 1]

      const lockTable = qualified(spec.schema, `${table}_lock`)
      if (await tableExists(client, lockTable)) {
        const lock = await client.query<{ held: boolean }>(`SELECT coalesce(bool_or(is_locked = 1), false) AS held FROM ${lockTable}`)
        if (lock.rows[0]?.held) {
          status.failed = 1
          status.notes.push(`migration lock held (${table}_lock.is_locked = 1): a run is in progress or crashed; knex refuses to migrate until "knex migrate:unlock"`)
        }
      }
    } else {
      status.notes.push(`history table ${table} absent: nothing applied`)
    }

    const appliedSet = new Set(applied)
    status.applied = appliedSet.size
    if (files) {
      const onDisk = new Set(files)
      status.available = files.length
      status.names.pending = files.filter((f) => !appliedSet.has(f)).sort()
      status.names.unknown = [...appliedSet].filter((n) => !onDisk.has(n)).sort()
      status.pending = status.names.pending.length
      status.unknown = status.names.unknown.length
      if (status.unknown > 0) status.notes.push('applied migrations missing from the directory: knex reports "the migration directory is corrupt" and will not migrate')
    }
    status.heads = status.available > 0 || status.applied > 0 ? 1 : 0
    return status
  },
}
