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
import type { Dirent } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fsReason, listDir } from './disk.js'
import { readHistory } from './history-table.js'
import { defineReader } from './types.js'

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

/** The migration names the files declare, each once and ending with its timestamp, as TypeORM accepts them. */
async function declaredNames(dir: string, entries: Dirent[], notes: string[]): Promise<string[]> {
  const names: string[] = []
  for (const file of entries.map((e) => e.name).filter((f) => FILE.test(f))) {
    let found: string[]
    try {
      found = migrationNames(await readFile(join(dir, file), 'utf8'))
    } catch (err) {
      notes.push(`${file} not readable: ${fsReason(err)}`)
      continue
    }
    if (found.length === 0) notes.push(`${file}: no migration class found`)
    for (const name of found) {
      if (!/\d{13}$/.test(name)) notes.push(`${file}: ${name} does not end with a 13-digit timestamp (TypeORM refuses it)`)
      else if (names.includes(name)) notes.push(`duplicate migration ${name} (TypeORM refuses to run)`)
      else names.push(name)
    }
  }
  return names
}

export const typeorm = defineReader('typeorm', async (client, spec, notes) => {
  const entries = await listDir(spec.dir, notes)
  const names = entries && (await declaredNames(spec.dir, entries, notes))

  const history = await readHistory(client, { table: spec.table ?? DEFAULT_TABLE, schema: spec.schema }, notes, async (found) => {
    // getLatestExecutedMigration: the greatest id is the current one.
    const res = await client.query<{ name: string; ts: string }>(`SELECT name, "timestamp"::text AS ts FROM ${found.name} ORDER BY id`)
    if (res.rows.length > 0) notes.push("lastAppliedAt is the newest applied migration's own timestamp: TypeORM does not record when it ran")
    return res.rows.map((row) => ({ name: row.name, at: Number(row.ts) }))
  })
  return { disk: names?.map((name) => ({ name })), history }
})
