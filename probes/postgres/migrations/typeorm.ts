// TypeORM migration reader (issue 5). Sources, typeorm/typeorm:
// - src/migration/MigrationExecutor.ts `createMigrationsTableIfNotExist`: table
//   `migrationsTableName` (default "migrations") in the data source's schema
//   (default: the connection's current schema), columns id (migrationId,
//   generated increment, primary), "timestamp" (migrationTimestamp, NOT NULL),
//   name (migrationName, NOT NULL); with src/driver/postgres/PostgresDriver.ts
//   mappedDataTypes (migrationId int4, migrationTimestamp int8, migrationName
//   varchar) PostgresQueryRunner creates
//   `CREATE TABLE "migrations" ("id" SERIAL NOT NULL, "timestamp" bigint NOT NULL,
//   "name" character varying NOT NULL, CONSTRAINT "PK_8c82d7f526340ab734260ea46be" PRIMARY KEY ("id"))`.
// - MigrationExecutor `insertExecutedMigration`: {timestamp: migration.timestamp,
//   name: migration.name} after `up` succeeded, inside the run's transaction
//   (transaction "all" by default): a failed migration leaves no row, so nothing
//   is recorded as failed; no checksums. `getMigrations`: the name is
//   `migration.name || migration.constructor.name` (a `name` property, else the
//   class name) and the timestamp its last 13 digits (a JS ms timestamp, the
//   time the migration was CREATED, not run). `getPendingMigrations`: not
//   applied = no row with the same name. `getLatestExecutedMigration`: the row
//   with the greatest id is the current one.
// - src/commands/MigrationCreateCommand.ts: files `<timestamp>-<name>.ts` (or .js
//   with --outputJs) holding `export class <Name><timestamp> implements MigrationInterface`.
// TypeORM itself loads migrations from the data source's `migrations` globs;
// here the files of `dir` (.ts .js .mjs .cjs .mts .cts, not .d.ts) are parsed for
// their classes. TypeORM keeps no time of application: lastAppliedAt is the
// greatest "timestamp" column, the newest applied migration's own timestamp.
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { emptyStatus, type MigrationReader, type MigrationStatus } from './types.js'
import { quoteIdent } from './sql.js'

const DEFAULT_TABLE = 'migrations'
const FILE = /^(?!.*\.d\.[cm]?ts$).*\.(ts|js|mjs|cjs|mts|cts)$/
/** A class declared at the start of a line: `export class`, `module.exports = class`, tsc's CJS output. */
const CLASS = /^[ \t]*(?:export\s+(?:default\s+)?|(?:module\.)?exports(?:\.[\w$]+)?\s*=\s*)?class\s+([A-Za-z_$][\w$]*)/gm
/** A `name = '...'` class field, or `this.name = '...'` as compiled JavaScript writes it. */
const NAME_PROPERTY = /^\s*(?:public\s+|readonly\s+|override\s+|this\.)*name\s*(?::\s*string\s*)?=\s*(['"`])([^'"`\n]+)\1/m

/** The migration names one file declares: each class's `name` property, else its class name. */
function migrationNames(source: string): string[] {
  const matches = [...source.matchAll(CLASS)]
  return matches.map((m, i) => {
    const body = source.slice(m.index! + m[0].length, matches[i + 1]?.index ?? source.length)
    return NAME_PROPERTY.exec(body)?.[2] ?? m[1]!
  })
}

async function listDir(dir: string, status: MigrationStatus): Promise<string[] | undefined> {
  let files: string[]
  try {
    files = (await readdir(dir)).filter((f) => FILE.test(f)).sort()
  } catch (err) {
    status.dirReadable = false
    status.notes.push(`migration directory not readable: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
    return undefined
  }
  const names: string[] = []
  for (const file of files) {
    let found: string[]
    try {
      found = migrationNames(await readFile(join(dir, file), 'utf8'))
    } catch (err) {
      status.notes.push(`${file} not readable: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
      continue
    }
    if (found.length === 0) status.notes.push(`${file}: no migration class found`)
    for (const name of found) {
      if (!/\d{13}$/.test(name)) status.notes.push(`${file}: ${name} does not end with a 13-digit timestamp (TypeORM refuses it)`)
      else if (names.includes(name)) status.notes.push(`duplicate migration ${name} (TypeORM refuses to run)`)
      else names.push(name)
    }
  }
  return names.sort()
}

export const typeorm: MigrationReader = {
  tool: 'typeorm',
  async read(client, spec) {
    const status = emptyStatus('typeorm')
    const table = spec.table ?? DEFAULT_TABLE
    const files = await listDir(spec.dir, status)

    const applied: string[] = []
    const historyTable = spec.schema ? `${quoteIdent(spec.schema)}.${quoteIdent(table)}` : quoteIdent(table)
    const exists = await client.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [historyTable])
    if (exists.rows[0]?.t != null) {
      const rows = await client.query<{ name: string }>(`SELECT name FROM ${historyTable} ORDER BY id DESC`)
      for (const row of rows.rows) applied.push(row.name)
      status.current = applied[0]
      const last = await client.query<{ ts: string | null }>(`SELECT max("timestamp")::text AS ts FROM ${historyTable}`)
      const ts = last.rows[0]?.ts
      if (ts != null) {
        status.lastAppliedAt = Number(ts)
        status.notes.push('lastAppliedAt is the newest applied migration\'s own timestamp: TypeORM does not record when it ran')
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
    }
    status.heads = status.available > 0 || status.applied > 0 ? 1 : 0
    return status
  },
}
