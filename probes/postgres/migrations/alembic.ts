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
import { readFile, stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { isDirectory, listDir } from './disk.js'
import { readHistory } from './history-table.js'
import { defineReader } from './types.js'

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

/** The revision files: `dir` is the versions directory, or the script location that holds `versions/`. */
async function readRevisions(dir: string, notes: string[]): Promise<Map<string, Revision> | undefined> {
  const versions = basename(dir) !== 'versions' && (await isDirectory(join(dir, 'versions'))) ? join(dir, 'versions') : dir
  const entries = await listDir(versions, notes)
  if (!entries) return undefined
  const map = new Map<string, Revision>()
  for (const file of entries.map((e) => e.name).filter((f) => /^(?!\.#|__init__).*\.py$/.test(f))) {
    let source: string
    try {
      if (!(await stat(join(versions, file))).isFile()) continue
      source = await readFile(join(versions, file), 'utf8')
    } catch {
      notes.push(`revision file not readable: ${file}`)
      continue
    }
    const rev = parseRevision(file, source)
    if (!rev) {
      notes.push(`not a revision file (no revision id): ${file}`)
      continue
    }
    if (map.has(rev.id)) {
      notes.push(`revision ${rev.id} defined twice: ${map.get(rev.id)!.file}, ${file}`)
      continue
    }
    map.set(rev.id, rev)
  }
  return map
}

/** Heads: revisions that no revision names as its down_revision (depends_on does not make a head). */
function headsOf(map: Map<string, Revision>, notes: string[]): number {
  const named = new Set<string>()
  for (const rev of map.values()) for (const down of rev.down) named.add(down)
  for (const rev of map.values()) {
    for (const down of rev.down) if (!map.has(down)) notes.push(`revision ${rev.id} revises ${down}, which is not on disk`)
  }
  return [...map.keys()].filter((id) => !named.has(id)).length
}

/** Every ancestor of the applied heads, along down_revision and depends_on: what an upgrade to them applied. */
function ancestors(map: Map<string, Revision>, heads: string[]): Set<string> {
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
  const applied = new Set<string>()
  const stack = [...heads]
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
  return applied
}

export const alembic = defineReader('alembic', async (client, spec, notes) => {
  const table = spec.table ?? 'alembic_version'
  const revisions = await readRevisions(spec.dir, notes)
  const heads = revisions ? headsOf(revisions, notes) : 0
  const rows = (
    await readHistory(client, { table, schema: spec.schema }, notes, async (found) => {
      return (await client.query<{ version_num: string }>(`SELECT version_num FROM ${found.name}`)).rows.map((r) => r.version_num)
    })
  ).sort()
  const current = rows.length > 0 ? rows.join(',') : null
  if (!revisions) {
    // Without the files the ancestors are unknown: only the rows themselves count.
    return { disk: undefined, history: rows.map((name) => ({ name })), heads, current }
  }

  const unknown = rows.filter((row) => !revisions.has(row))
  const applied = ancestors(revisions, rows.filter((row) => revisions.has(row)))
  if (unknown.length > 0) notes.push(`alembic_version names revisions not on disk: ${unknown.join(', ')}`)
  if (rows.length > 1) notes.push(`${rows.length} applied heads`)
  if (heads > 1) notes.push(`${heads} heads in the revision files: unmerged branches`)
  return {
    disk: [...revisions.keys()].map((name) => ({ name })),
    history: [...applied, ...unknown].map((name) => ({ name })),
    heads,
    current,
  }
})
