// alembic migration reader (issue 5).
//
// Sources (Alembic's own code, sqlalchemy/alembic; checked against the
// Debian python3-alembic 1.8.1 used by the tests):
// - alembic/runtime/migration.py, MigrationContext.__init__: the history
//   table is `version_table` (default "alembic_version") in
//   `version_table_schema` (default None = the connection's default schema),
//   `Table(version_table, MetaData(), Column("version_num", String(32),
//   nullable=False), schema=version_table_schema)` plus
//   `PrimaryKeyConstraint("version_num", name="%s_pkc" % version_table)`,
//   i.e. `CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL,
//   CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))`.
//   One row per applied head (HeadMaintainer); no timestamp, no checksum, no
//   failed/dirty state (each migration runs in the env.py transaction), so
//   failed and checksumMismatch are always 0 and lastAppliedAt is undefined.
//   `_has_version_table` absent = nothing applied.
// - alembic/script/base.py, ScriptDirectory._load_revisions /
//   Script._from_filename: revision files are the `*.py` files directly in
//   `<script_location>/versions` (`_only_source_rev_file =
//   (?!\.\#|__init__)(.*\.py)$`, not recursive by default); the id is the
//   module's `revision` variable, or for legacy files `([a-f0-9]+)\.py$`.
// - alembic/script/revision.py, Revision / RevisionMap: `down_revision` is a
//   string, a tuple (merge point) or None (a base); `branch_labels` and
//   `depends_on` (ids or branch labels, resolved by `_revision_for_ident`).
//   `is_head` = no revision names it in `_versioned_down_revisions` (the
//   down_revision only: depends_on does not make a head); an upgrade from the
//   current heads applies every ancestor along `_all_down_revisions`
//   (down_revision + depends_on), so applied = those ancestors of the rows.
import { readdir, readFile, stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import type pg from 'pg'
import { emptyStatus, type MigrationReader, type MigrationStatus } from './types.js'

interface Revision {
  id: string
  file: string
  down: string[]
  branchLabels: string[]
  dependsOn: string[]
}

/** `name = value` or `name: Type = value` at the start of a line; the value as written (multi-line brackets kept whole). */
function assignment(source: string, name: string): string | undefined {
  const re = new RegExp(`^${name}[ \\t]*(?::[^=\\n]*)?=[ \\t]*(.*)$`, 'm')
  const m = re.exec(source)
  if (!m) return undefined
  let value = (m[1] ?? '').trim()
  const open = value[0]
  if (open === '(' || open === '[') {
    const close = open === '(' ? ')' : ']'
    // Gather until the bracket closes, across lines.
    const start = m.index + m[0].length - (m[1] ?? '').length
    let depth = 0
    let end = start
    let quote: string | undefined
    for (let i = start; i < source.length; i++) {
      const c = source[i]!
      if (quote) {
        if (c === '\\') i++
        else if (c === quote) quote = undefined
        continue
      }
      if (c === '"' || c === "'") quote = c
      else if (c === open) depth++
      else if (c === close && --depth === 0) {
        end = i + 1
        break
      }
    }
    value = source.slice(start, end)
  }
  return value
}

/** The string literals of a Python value: None → [], 'a' → [a], ('a', 'b') → [a, b]. */
function strings(value: string | undefined): string[] | null {
  if (value === undefined) return null
  const out: string[] = []
  for (const m of value.matchAll(/"([^"\\]*(?:\\.[^"\\]*)*)"|'([^'\\]*(?:\\.[^'\\]*)*)'/g)) {
    out.push(m[1] ?? m[2] ?? '')
  }
  return out
}

/** Python comments stripped so that a commented-out `# revision = ...` does not count. */
function stripComments(source: string): string {
  return source.replace(/^[ \t]*#.*$/gm, '')
}

function parseRevision(file: string, source: string): Revision | null {
  const code = stripComments(source)
  let id = strings(assignment(code, 'revision'))?.[0]
  if (id === undefined) {
    const legacy = /^([a-f0-9]+)\.py$/.exec(file)
    if (!legacy) return null
    id = legacy[1]!
  }
  return {
    id,
    file,
    down: strings(assignment(code, 'down_revision')) ?? [],
    branchLabels: strings(assignment(code, 'branch_labels')) ?? [],
    dependsOn: strings(assignment(code, 'depends_on')) ?? [],
  }
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory()
  } catch {
    return false
  }
}

/** The revision files: `dir` is the versions directory, or the script location that holds `versions/`. */
async function readRevisions(dir: string, status: MigrationStatus): Promise<Map<string, Revision> | null> {
  const versions = basename(dir) !== 'versions' && (await isDir(join(dir, 'versions'))) ? join(dir, 'versions') : dir
  let entries: string[]
  try {
    entries = await readdir(versions)
  } catch (err) {
    status.dirReadable = false
    status.notes.push(`migration directory not readable: ${versions} (${(err as NodeJS.ErrnoException).code ?? String(err)})`)
    return null
  }
  const map = new Map<string, Revision>()
  for (const file of entries.sort()) {
    if (!/^(?!\.#|__init__).*\.py$/.test(file)) continue
    let source: string
    try {
      if (!(await stat(join(versions, file))).isFile()) continue
      source = await readFile(join(versions, file), 'utf8')
    } catch {
      status.notes.push(`revision file not readable: ${file}`)
      continue
    }
    const rev = parseRevision(file, source)
    if (!rev) {
      status.notes.push(`not a revision file (no revision id): ${file}`)
      continue
    }
    if (map.has(rev.id)) {
      status.notes.push(`revision ${rev.id} defined twice: ${map.get(rev.id)!.file}, ${file}`)
      continue
    }
    map.set(rev.id, rev)
  }
  return map
}

/** The history table's qualified name, or null when it does not exist. */
async function findTable(client: pg.Client, table: string, schema: string | undefined): Promise<string | null> {
  const res = await client.query<{ nspname: string }>(
    `SELECT n.nspname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
        AND (CASE WHEN $2::text IS NULL THEN n.nspname = current_schema() ELSE n.nspname = $2::text END)`,
    [table, schema ?? null],
  )
  const row = res.rows[0]
  return row ? `${client.escapeIdentifier(row.nspname)}.${client.escapeIdentifier(table)}` : null
}

export const alembic: MigrationReader = {
  tool: 'alembic',
  async read(client, spec) {
    const status = emptyStatus('alembic')
    const table = spec.table ?? 'alembic_version'
    const revisions = await readRevisions(spec.dir, status)
    const map = revisions ?? new Map<string, Revision>()

    // Resolving an identifier as Alembic's _revision_for_ident does: an id, a
    // branch label (the revision that declares it), or a unique id prefix.
    const labels = new Map<string, string>()
    for (const rev of map.values()) for (const label of rev.branchLabels) labels.set(label, rev.id)
    const resolve = (ident: string): string | undefined => {
      if (map.has(ident)) return ident
      if (labels.has(ident)) return labels.get(ident)
      const prefixed = [...map.keys()].filter((id) => id.startsWith(ident))
      return prefixed.length === 1 ? prefixed[0] : undefined
    }

    // Heads: revisions that no revision names as its down_revision.
    const named = new Set<string>()
    for (const rev of map.values()) for (const down of rev.down) named.add(down)
    for (const rev of map.values()) {
      for (const down of rev.down) if (!map.has(down)) status.notes.push(`revision ${rev.id} revises ${down}, which is not on disk`)
    }
    status.heads = [...map.keys()].filter((id) => !named.has(id)).length
    status.available = map.size

    const qualified = await findTable(client, table, spec.schema)
    let rows: string[] = []
    if (qualified === null) {
      status.notes.push(`history table ${spec.schema ? `${spec.schema}.` : ''}${table} absent: nothing applied`)
    } else {
      const res = await client.query<{ version_num: string }>(`SELECT version_num FROM ${qualified}`)
      rows = res.rows.map((r) => r.version_num).sort()
    }

    // Applied: every ancestor of an applied head, along down_revision and depends_on.
    const applied = new Set<string>()
    const unknown: string[] = []
    const stack: string[] = []
    for (const row of rows) {
      if (map.has(row)) stack.push(row)
      else if (revisions !== null) unknown.push(row)
    }
    while (stack.length > 0) {
      const id = stack.pop()!
      if (applied.has(id)) continue
      applied.add(id)
      const rev = map.get(id)!
      for (const down of rev.down) if (map.has(down)) stack.push(down)
      for (const dep of rev.dependsOn) {
        const target = resolve(dep)
        if (target !== undefined) stack.push(target)
      }
    }
    if (unknown.length > 0) status.notes.push(`alembic_version names revisions not on disk: ${unknown.join(', ')}`)
    if (rows.length > 1) status.notes.push(`${rows.length} applied heads`)
    if (status.heads > 1) status.notes.push(`${status.heads} heads in the revision files: unmerged branches`)

    status.applied = applied.size + unknown.length
    status.unknown = unknown.length
    status.names.unknown = unknown
    status.names.pending = [...map.keys()].filter((id) => !applied.has(id)).sort()
    status.pending = status.names.pending.length
    if (rows.length > 0) status.current = rows.join(',')
    if (revisions === null) {
      // Without the files the ancestors are unknown: only the rows themselves count.
      status.applied = rows.length
      status.heads = 0
    }
    return status
  },
}
