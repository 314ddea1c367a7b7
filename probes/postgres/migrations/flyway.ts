// flyway migration reader (Flyway community, SQL migrations).
//
// Sources (flyway's own code, flyway/flyway):
// - Table and DDL: flyway-database/flyway-database-postgresql/src/main/java/org/flywaydb/
//   database/postgresql/PostgreSQLDatabase.java, `getRawCreateScript`:
//     CREATE TABLE "<schema>"."flyway_schema_history" (
//         "installed_rank" INT NOT NULL,
//         "version" VARCHAR(50),
//         "description" VARCHAR(200) NOT NULL,
//         "type" VARCHAR(20) NOT NULL,
//         "script" VARCHAR(1000) NOT NULL,
//         "checksum" INTEGER,
//         "installed_by" VARCHAR(100) NOT NULL,
//         "installed_on" TIMESTAMP NOT NULL DEFAULT now(),
//         "execution_time" INTEGER NOT NULL,
//         "success" BOOLEAN NOT NULL
//     );
//     ALTER TABLE ... ADD CONSTRAINT "flyway_schema_history_pk" PRIMARY KEY ("installed_rank");
//     CREATE INDEX "flyway_schema_history_s_idx" ON ... ("success");
//   table `flyway_schema_history` (flyway.table) in the first of flyway.schemas,
//   else the connection's current schema: spec.table / spec.schema here.
// - Rows, read in installed_rank order (`getSelectStatement`):
//   type SQL (versioned: version set; repeatable: version NULL, keyed by description),
//   success = false is a failed migration (on PostgreSQL a failed transactional
//   migration is rolled back with its row, so a false row comes from
//   non-transactional scripts) — counted failed, neither applied nor pending;
//   type BASELINE (legacy INIT): `baseline` marker, versioned files at or below its
//   version are "below baseline", never run, so not pending; type SCHEMA: the
//   "<< Flyway Schema Creation >>" marker, not a migration; type DELETE (written by
//   `repair` for a missing migration) and UNDO_* cancel the earlier applied row of
//   that version/description. Non-SQL types (JDBC, SPRING_JDBC, ...) have no file:
//   counted applied, not compared with disk.
// - Checksum: flyway-core/src/main/java/org/flywaydb/core/internal/resolver/
//   ChecksumCalculator.java `calculateChecksumForResource` (+ internal/util/BomFilter.java):
//   java.util.zip.CRC32 updated with each line read by BufferedReader.readLine()
//   (terminators \n, \r\n, \r removed, never hashed), the UTF-8 bytes of each line,
//   a leading U+FEFF BOM stripped from the first line; stored as (int), a signed
//   32-bit value. Equivalently: CRC32 of the text with every CR and LF removed.
//   Mismatch = a versioned, applied migration whose file checksum differs (what
//   `flyway validate` reports); a repeatable whose checksum changed is "outdated"
//   and re-applied by the next migrate: pending, not a mismatch.
// - Files: flyway-core/src/main/java/org/flywaydb/core/internal/resource/ResourceNameParser.java:
//   `V<version>__<description>.sql` and `R__<description>.sql` (default prefixes,
//   separator `__`, suffix `.sql`), description = the rest with `_` -> ` `; versions
//   compare numerically part by part (MigrationVersion: `.`/`_` separated, trailing
//   zero parts ignored, so 1.0 == 1). Locations are scanned recursively; other
//   files (callbacks, U undo scripts) are ignored. Names reported are the script
//   file names (the `script` column for rows without a file).
// - lastAppliedAt = max(installed_on) over the successful rows still in force (applied
//   migrations and the baseline; not SCHEMA, DELETE or undone rows); installed_on
//   is a TIMESTAMP without time zone written with now() in Flyway's session time
//   zone, read here in this session's time zone.
import { readFile } from 'node:fs/promises'
import { basename, relative } from 'node:path'
import { listTree } from './disk.js'
import { currentSchema, readHistory } from './history-table.js'
import { defineReader, type HistoryRow } from './types.js'

const DEFAULT_TABLE = 'flyway_schema_history'
const VERSION = /^\d+(?:[._]\d+)*$/

const CRC_TABLE = (() => {
  const t = new Int32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    t[n] = c
  }
  return t
})()

function crc32(bytes: Uint8Array): number {
  let c = ~0
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8)
  return ~c | 0
}

/** Flyway's checksum of a SQL script's text, as the signed int it stores. */
export function flywayChecksum(text: string): number {
  const body = text.startsWith('\ufeff') ? text.slice(1) : text
  return crc32(Buffer.from(body.replace(/[\r\n]/g, ''), 'utf8'))
}

/** MigrationVersion's identity: numeric parts, trailing zeros dropped. */
function versionKey(version: string): string | undefined {
  if (!VERSION.test(version)) return undefined
  const parts = version.split(/[._]/).map((p) => BigInt(p))
  while (parts.length > 1 && parts[parts.length - 1] === 0n) parts.pop()
  return parts.join('.')
}

function compareKeys(a: string, b: string): number {
  const pa = a.split('.').map(BigInt)
  const pb = b.split('.').map(BigInt)
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? 0n
    const y = pb[i] ?? 0n
    if (x !== y) return x < y ? -1 : 1
  }
  return 0
}

interface DiskFile {
  name: string
  checksum: number
}

interface Disk {
  versioned: Map<string, DiskFile>
  repeatable: Map<string, DiskFile>
}

/** The versioned and repeatable scripts below `dir` (locations are scanned recursively). */
async function readDisk(dir: string, notes: string[]): Promise<Disk | undefined> {
  const files = await listTree(dir, notes)
  if (!files) return undefined
  const disk: Disk = { versioned: new Map(), repeatable: new Map() }
  const invalid: string[] = []
  const duplicate: string[] = []
  for (const path of files) {
    const name = basename(path)
    if (!name.endsWith('.sql')) continue
    if (name.startsWith('R__')) {
      const description = name.slice(3, -4).replace(/_/g, ' ')
      if (disk.repeatable.has(description)) duplicate.push(relative(dir, path))
      else disk.repeatable.set(description, { name, checksum: flywayChecksum(await readFile(path, 'utf8')) })
      continue
    }
    if (!name.startsWith('V')) continue
    const sep = name.indexOf('__')
    const key = sep > 1 ? versionKey(name.slice(1, sep)) : undefined
    if (!key) {
      invalid.push(relative(dir, path))
      continue
    }
    if (disk.versioned.has(key)) duplicate.push(relative(dir, path))
    else disk.versioned.set(key, { name, checksum: flywayChecksum(await readFile(path, 'utf8')) })
  }
  if (invalid.length) notes.push(`files not recognised as versioned migrations (ignored): ${invalid.join(', ')}`)
  if (duplicate.length) notes.push(`duplicate migration versions/descriptions (flyway refuses them): ${duplicate.join(', ')}`)
  return disk
}

interface Row {
  installed_rank: number
  version: string | null
  description: string
  type: string
  script: string
  checksum: number | null
  installed_ms: number | null
  success: boolean
}

/** Rows with a script in the directory; the others (JDBC, SPRING_JDBC ...) come from code. */
const FILE_TYPES = new Set(['SQL', 'SQL_BASELINE'])

/** The rows still in force once the history is replayed: each version's and each repeatable's last, and the baseline. */
function replay(rows: Row[]) {
  const versioned = new Map<string, Row>()
  const repeatable = new Map<string, Row>()
  let baseline: { key: string; version: string; row: Row } | undefined
  for (const row of rows) {
    const type = row.type.toUpperCase()
    if (type === 'SCHEMA') continue
    const key = row.version === null ? undefined : versionKey(row.version)
    if (type === 'BASELINE' || type === 'INIT') {
      if (row.success && key) baseline = { key, version: row.version!, row }
      continue
    }
    if (type === 'DELETE' || type.startsWith('UNDO')) {
      if (!row.success) continue
      if (key) versioned.delete(key)
      else repeatable.delete(row.description)
      continue
    }
    if (row.version !== null) {
      if (key) versioned.set(key, row)
    } else repeatable.set(row.description, row)
  }
  return { versioned, repeatable, baseline }
}

export const flyway = defineReader('flyway', async (client, spec, notes) => {
  const schema = spec.schema ?? (await currentSchema(client))
  const disk = await readDisk(spec.dir, notes)
  const rows = await readHistory(client, { table: spec.table ?? DEFAULT_TABLE, schema }, notes, async (found) => {
    const res = await client.query<Row>(
      `SELECT installed_rank, version, description, type, script, checksum, success,
              (extract(epoch FROM installed_on::timestamptz) * 1000)::float8 AS installed_ms
         FROM ${found.name} ORDER BY installed_rank`,
    )
    return res.rows
  })
  const { versioned, repeatable, baseline } = replay(rows)
  const files: Disk = disk ?? { versioned: new Map(), repeatable: new Map() }

  const history: HistoryRow[] = []
  let notOnDisk = 0
  let maxApplied: { key: string; version: string } | undefined
  for (const [key, row] of versioned) {
    const file = files.versioned.get(key)
    const name = file?.name ?? row.script
    if (!row.success) {
      history.push({ name, failed: true })
      continue
    }
    if (!maxApplied || compareKeys(key, maxApplied.key) > 0) maxApplied = { key, version: row.version! }
    // Only a SQL row has a script to find and a checksum of it (what `flyway validate` compares).
    const script = FILE_TYPES.has(row.type.toUpperCase())
    if (!file && disk && !script) notOnDisk++
    history.push({ name, external: !script, ...(script && row.checksum !== null ? { checksum: String(row.checksum) } : {}) })
  }
  for (const [description, row] of repeatable) {
    const file = files.repeatable.get(description)
    const name = file?.name ?? row.script
    if (!row.success) history.push({ name, failed: true })
    else if (!file || row.checksum === file.checksum) history.push({ name })
    // else: outdated, re-applied by the next migrate: pending, not applied
  }

  // Versioned files without a row: below the baseline they are never run; older than the current version, flyway skips them.
  const belowBaseline: string[] = []
  let outOfOrder = 0
  for (const [key, file] of files.versioned) {
    if (versioned.has(key)) continue
    if (baseline && compareKeys(key, baseline.key) <= 0) belowBaseline.push(file.name)
    else if (maxApplied && compareKeys(key, maxApplied.key) < 0) outOfOrder++
  }
  if (baseline) notes.push(`baselined at version ${baseline.version}${belowBaseline.length ? `: ${belowBaseline.length} migration(s) at or below it are never run` : ''}`)
  if (outOfOrder) notes.push(`${outOfOrder} pending migration(s) older than the current version: flyway ignores them unless outOfOrder is set`)
  if (notOnDisk) notes.push(`${notOnDisk} applied non-SQL (Java/script) migration(s) not checked against the directory`)

  return {
    disk: disk && [...disk.versioned.values(), ...disk.repeatable.values()].map((f) => ({ name: f.name, checksums: [String(f.checksum)] })),
    history,
    skip: belowBaseline,
    current: (maxApplied ?? baseline)?.version ?? null,
    lastAppliedAt: lastInstalled([...versioned.values(), ...repeatable.values(), ...(baseline ? [baseline.row] : [])]),
  }
})

/** Newest installed_on among the rows still in force (applied migrations, outdated repeatables, the baseline). */
function lastInstalled(rows: Row[]): number | undefined {
  let last: number | undefined
  for (const row of rows) if (row.success && row.installed_ms !== null && (last === undefined || row.installed_ms > last)) last = row.installed_ms
  return last
}
