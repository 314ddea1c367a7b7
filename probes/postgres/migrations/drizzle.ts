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
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { emptyStatus, type MigrationReader, type MigrationStatus } from './types.js'
import { quoteIdent, tableExists } from './sql.js'

const DEFAULT_TABLE = '__drizzle_migrations'
const DEFAULT_SCHEMA = 'drizzle'

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex')
}

interface Entry {
  tag: string
  when: number
  /** Both accepted hashes (normalised, raw); undefined when the file is missing. */
  hashes?: string[]
}

async function readJournal(dir: string, notes: string[]): Promise<Entry[] | undefined> {
  let raw: string
  try {
    raw = await readFile(join(dir, 'meta', '_journal.json'), 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    notes.push(code === 'ENOENT' ? `migration journal not found: ${join(dir, 'meta', '_journal.json')}` : `migration journal not readable: ${code ?? String(err)}`)
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

export const drizzle: MigrationReader = {
  tool: 'drizzle',
  async read(client, spec): Promise<MigrationStatus> {
    const st = emptyStatus('drizzle')
    const schema = spec.schema ?? DEFAULT_SCHEMA
    const table = spec.table ?? DEFAULT_TABLE

    const journal = await readJournal(spec.dir, st.notes)
    if (!journal) st.dirReadable = false
    const entries = journal ?? []

    let rows: { hash: string; created_at: string | null }[] = []
    if (await tableExists(client, schema, table)) {
      const r = await client.query<{ hash: string; created_at: string | null }>(
        `SELECT hash, created_at::text AS created_at FROM ${quoteIdent(schema)}.${quoteIdent(table)} ORDER BY id`,
      )
      rows = r.rows
    } else {
      st.notes.push(`history table ${schema}.${table} absent: nothing applied`)
    }

    // drizzle's rule: Number(lastDbMigration.created_at) < folderMillis => run it.
    let last: number | undefined
    for (const row of rows) {
      const c = row.created_at === null ? NaN : Number(row.created_at)
      if (!Number.isNaN(c) && (last === undefined || c > last)) last = c
    }
    const isApplied = (when: number): boolean => last !== undefined && when <= last

    const byWhen = new Map<number, Entry>()
    for (const e of entries) if (!byWhen.has(e.when)) byWhen.set(e.when, e)

    const pending: string[] = []
    const mismatch = new Set<string>()
    const skipped: string[] = []
    let appliedOnDisk = 0
    const rowWhens = new Set(rows.map((r) => (r.created_at === null ? NaN : Number(r.created_at))))
    for (const e of entries) {
      if (isApplied(e.when)) {
        appliedOnDisk++
        if (!rowWhens.has(e.when)) skipped.push(e.tag)
      } else pending.push(e.tag)
    }
    const unknownSet = new Set<string>()
    for (const row of rows) {
      const c = row.created_at === null ? NaN : Number(row.created_at)
      const entry = byWhen.get(c)
      if (!entry) {
        unknownSet.add(row.created_at === null ? `hash:${row.hash.slice(0, 12)}` : String(row.created_at))
        continue
      }
      if (entry.hashes && !entry.hashes.includes(row.hash)) mismatch.add(entry.tag)
    }
    const unknown = [...unknownSet]
    if (skipped.length) {
      st.notes.push(`journal entries older than the newest applied migration but never recorded (drizzle will not run them): ${skipped.sort().join(', ')}`)
    }

    st.available = entries.length
    st.applied = appliedOnDisk + (journal ? unknown.length : 0)
    if (!journal) st.applied = new Set(rows.map((r) => r.created_at)).size
    st.pending = pending.length
    st.failed = 0
    st.unknown = journal ? unknown.length : 0
    st.checksumMismatch = mismatch.size
    st.names = {
      pending: pending.sort(),
      failed: [],
      unknown: journal ? unknown.sort() : [],
      checksumMismatch: [...mismatch].sort(),
    }
    st.heads = st.available > 0 || st.applied > 0 ? 1 : 0
    if (last !== undefined) {
      st.lastAppliedAt = last
      st.current = byWhen.get(last)?.tag ?? String(last)
    }
    return st
  },
}
