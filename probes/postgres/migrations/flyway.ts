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
import { readdir, readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { emptyStatus, type MigrationReader, type MigrationStatus } from './types.js'
import { quoteIdent, tableExists } from './sql.js'

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

async function walk(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) out.push(...(await walk(p)))
    else if (e.isFile()) out.push(p)
  }
  return out
}

async function readDisk(dir: string, notes: string[]): Promise<Disk | undefined> {
  let files: string[]
  try {
    files = await walk(dir)
  } catch (err) {
    notes.push(`migration directory not readable: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
    return undefined
  }
  const disk: Disk = { versioned: new Map(), repeatable: new Map() }
  const invalid: string[] = []
  const duplicate: string[] = []
  for (const path of files.sort()) {
    const name = path.slice(path.lastIndexOf('/') + 1)
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

const FILE_TYPES = new Set(['SQL', 'SQL_BASELINE'])

export const flyway: MigrationReader = {
  tool: 'flyway',
  async read(client, spec): Promise<MigrationStatus> {
    const st = emptyStatus('flyway')
    const table = spec.table ?? DEFAULT_TABLE
    let schema = spec.schema
    if (!schema) {
      const r = await client.query<{ s: string | null }>('SELECT current_schema() AS s')
      schema = r.rows[0]?.s ?? 'public'
    }

    const disk = await readDisk(spec.dir, st.notes)
    if (!disk) st.dirReadable = false
    const files: Disk = disk ?? { versioned: new Map(), repeatable: new Map() }

    let rows: Row[] = []
    if (await tableExists(client, schema, table)) {
      const r = await client.query<Row>(
        `SELECT installed_rank, version, description, type, script, checksum, success,
                (extract(epoch FROM installed_on::timestamptz) * 1000)::float8 AS installed_ms
           FROM ${quoteIdent(schema)}.${quoteIdent(table)} ORDER BY installed_rank`,
      )
      rows = r.rows
    } else {
      st.notes.push(`history table ${schema}.${table} absent: nothing applied`)
    }

    // Replay the history: the state of each version / repeatable description.
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

    let applied = 0
    const pending: string[] = []
    const failed: string[] = []
    const unknown: string[] = []
    const mismatch: string[] = []
    let belowBaseline = 0
    let notOnDisk = 0
    let maxApplied: { key: string; version: string } | undefined
    for (const [key, row] of versioned) {
      if (!row.success) {
        failed.push(files.versioned.get(key)?.name ?? row.script)
        continue
      }
      applied++
      if (!maxApplied || compareKeys(key, maxApplied.key) > 0) maxApplied = { key, version: row.version! }
      const file = files.versioned.get(key)
      if (!file) {
        if (!disk) continue
        if (FILE_TYPES.has(row.type.toUpperCase())) unknown.push(row.script)
        else notOnDisk++
      } else if (row.checksum !== null && FILE_TYPES.has(row.type.toUpperCase()) && row.checksum !== file.checksum) {
        mismatch.push(file.name)
      }
    }
    let outOfOrder = 0
    for (const [key, file] of files.versioned) {
      if (versioned.has(key)) continue
      if (baseline && compareKeys(key, baseline.key) <= 0) {
        belowBaseline++
        continue
      }
      if (maxApplied && compareKeys(key, maxApplied.key) < 0) outOfOrder++
      pending.push(file.name)
    }
    for (const [description, row] of repeatable) {
      const file = files.repeatable.get(description)
      if (!row.success) {
        failed.push(file?.name ?? row.script)
        continue
      }
      if (!file) {
        applied++
        if (disk) unknown.push(row.script)
      } else if (row.checksum === file.checksum) applied++
      // else: outdated, re-applied by the next migrate: pending (below)
    }
    for (const [description, file] of files.repeatable) {
      const row = repeatable.get(description)
      if (!row || (row.success && row.checksum !== file.checksum)) pending.push(file.name)
    }

    if (baseline) st.notes.push(`baselined at version ${baseline.version}${belowBaseline ? `: ${belowBaseline} migration(s) at or below it are never run` : ''}`)
    if (outOfOrder) st.notes.push(`${outOfOrder} pending migration(s) older than the current version: flyway ignores them unless outOfOrder is set`)
    if (notOnDisk) st.notes.push(`${notOnDisk} applied non-SQL (Java/script) migration(s) not checked against the directory`)

    st.available = files.versioned.size + files.repeatable.size
    st.applied = applied
    st.pending = pending.length
    st.failed = failed.length
    st.unknown = unknown.length
    st.checksumMismatch = mismatch.length
    st.names = { pending: pending.sort(), failed: failed.sort(), unknown: unknown.sort(), checksumMismatch: mismatch.sort() }
    st.heads = st.available > 0 || st.applied > 0 ? 1 : 0
    // Newest installed_on among the rows still in force (applied migrations, baseline).
    let lastMs: number | undefined
    for (const row of [...versioned.values(), ...repeatable.values(), ...(baseline ? [baseline.row] : [])]) {
      if (row.success && row.installed_ms !== null && (lastMs === undefined || row.installed_ms > lastMs)) lastMs = row.installed_ms
    }
    if (lastMs !== undefined) st.lastAppliedAt = Math.round(lastMs)
    const cur = maxApplied ?? baseline
    if (cur) st.current = cur.version
    return st
  },
}
