// drizzle migration reader (drizzle-orm's migrator, as run by `drizzle-kit migrate`
// or `migrate(db, { migrationsFolder })`).
//
// Sources (drizzle's own code, drizzle-team/drizzle-orm):
// - Table and DDL: drizzle-orm/src/pg-core/dialect.ts, `PgDialect.migrate`:
//     CREATE SCHEMA IF NOT EXISTS "drizzle";
//     CREATE TABLE IF NOT EXISTS "drizzle"."__drizzle_migrations" (
//         id SERIAL PRIMARY KEY,
//         hash text NOT NULL,
//         created_at bigint
//     )
//   schema `drizzle` and table `__drizzle_migrations` unless the config sets
//   migrationsSchema / migrationsTable (spec.schema / spec.table here).
// - Rows: one INSERT ("hash", "created_at") per migration run, with
//   hash = the migration's sha256 and created_at = the journal entry's `when`
//   (folderMillis): the time the migration was GENERATED, not when it was applied.
// - Applied rule: the migrator reads only the newest row
//   (`order by created_at desc limit 1`) and runs every journal entry whose
//   `when` is greater than that created_at; so an entry counts as applied when
//   when <= max(created_at) — even if no row of its own exists (an entry merged
//   in later with an older `when` is silently skipped by drizzle; noted here).
//   It never compares hashes: checksum_mismatch is groundtruth's own finding, for a
//   row matched to its entry by created_at == when whose hash differs from the file's.
// - Failed: all pending migrations run in ONE transaction
//   (`session.transaction(...)`), so a failure leaves no row: drizzle has no
//   failed state; failed is always 0.
// - Files and hash: drizzle-orm/src/migrator.ts, `readMigrationFiles`: the journal
//   `<dir>/meta/_journal.json` ({ entries: [{ idx, when, tag, breakpoints }] }) lists
//   the migrations; each is `<dir>/<tag>.sql`; hash = sha256 hex of the file text
//   with CRLF normalised to LF (`.replace(/\r\n/g, '\n')`, added in later
//   versions; older ones hashed the text as is, so either hash is accepted).
//   A missing journal makes drizzle throw: reported as dirReadable false.
// - lastAppliedAt = max(created_at), which is the newest applied migration's
//   generation time (drizzle records no apply time).
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { sha256Hex } from './checksum.js'
import { fsReason } from './disk.js'
import { readHistory } from './history-table.js'
import { defineReader, type HistoryRow } from './types.js'

const DEFAULT_TABLE = '__drizzle_migrations'
const DEFAULT_SCHEMA = 'drizzle'

interface Entry {
  tag: string
  when: number
  /** Both accepted hashes (normalised, raw); undefined when the file is missing. */
  hashes?: string[]
}

/** The journal's entries; undefined, with a note, when drizzle could not read it either. */
async function readJournal(dir: string, notes: string[]): Promise<Entry[] | undefined> {
  let raw: string
  try {
    raw = await readFile(join(dir, 'meta', '_journal.json'), 'utf8')
  } catch (err) {
    notes.push((err as NodeJS.ErrnoException).code === 'ENOENT' ? `migration journal not found: ${join(dir, 'meta', '_journal.json')}` : `migration journal not readable: ${fsReason(err)}`)
    return undefined
  }
  let journal: unknown
  try {
    journal = JSON.parse(raw)
  } catch {
    notes.push('migration journal meta/_journal.json is not valid JSON')
    return undefined
  }
  const entries = (journal as { entries?: unknown }).entries
  if (!Array.isArray(entries)) {
    notes.push('migration journal meta/_journal.json has no entries array')
    return undefined
  }
  const out: Entry[] = []
  const missing: string[] = []
  for (const e of entries as { tag?: unknown; when?: unknown }[]) {
    if (typeof e?.tag !== 'string' || typeof e.when !== 'number') continue
    const entry: Entry = { tag: e.tag, when: e.when }
    try {
      const text = await readFile(join(dir, `${e.tag}.sql`), 'utf8')
      entry.hashes = [sha256Hex(text.replace(/\r\n/g, '\n')), sha256Hex(text)]
    } catch {
      missing.push(`${e.tag}.sql`)
    }
    out.push(entry)
  }
  if (missing.length) notes.push(`journal entries without their file (drizzle would fail): ${missing.join(', ')}`)
  return out
}

interface Row {
  hash: string
  created_at: string | null
}

export const drizzle = defineReader('drizzle', async (client, spec, notes) => {
  const journal = await readJournal(spec.dir, notes)
  const where = { table: spec.table ?? DEFAULT_TABLE, schema: spec.schema ?? DEFAULT_SCHEMA }
  const rows = await readHistory(client, where, notes, async (found) => {
    return (await client.query<Row>(`SELECT hash, created_at::text AS created_at FROM ${found.name} ORDER BY id`)).rows
  })
  const created = (row: Row) => (row.created_at === null ? NaN : Number(row.created_at))

  // drizzle's rule: Number(lastDbMigration.created_at) < folderMillis => run it.
  let last: number | undefined
  for (const row of rows) if (!Number.isNaN(created(row)) && (last === undefined || created(row) > last)) last = created(row)
  const entries = journal ?? []
  const byWhen = new Map<number, Entry>()
  for (const e of entries) if (!byWhen.has(e.when)) byWhen.set(e.when, e)

  // A row is its entry (matched by created_at == when, its hash checked against the file's), or a ghost.
  const history: HistoryRow[] = rows.map((row) => {
    const entry = byWhen.get(created(row))
    if (entry) return { name: entry.tag, checksum: row.hash }
    return { name: row.created_at === null ? `hash:${row.hash.slice(0, 12)}` : row.created_at }
  })
  // Every entry up to the newest created_at is applied, a row of its own or not.
  const recorded = new Set(history.map((h) => h.name))
  const rowWhens = new Set(rows.map(created))
  const skipped: string[] = []
  for (const e of entries) {
    if (last === undefined || e.when > last || recorded.has(e.tag)) continue
    history.push({ name: e.tag })
    if (!rowWhens.has(e.when)) skipped.push(e.tag)
  }
  if (skipped.length) {
    notes.push(`journal entries older than the newest applied migration but never recorded (drizzle will not run them): ${skipped.sort().join(', ')}`)
  }
  return {
    disk: journal?.map((e) => ({ name: e.tag, checksums: e.hashes })),
    history,
    current: last === undefined ? null : (byWhen.get(last)?.tag ?? String(last)),
    lastAppliedAt: last,
  }
})
