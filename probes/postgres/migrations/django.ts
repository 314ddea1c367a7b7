// django migration reader (issue 5).
//
// Sources (Django's own code, django/django; checked against the Debian
// python3-django 3.2 used by the tests):
// - django/db/migrations/recorder.py, MigrationRecorder.Migration: the
//   history table is `django_migrations` (db_table), model fields
//   `app = CharField(max_length=255)`, `name = CharField(max_length=255)`,
//   `applied = DateTimeField(default=now)` plus the auto `id` primary key,
//   i.e. on PostgreSQL `CREATE TABLE django_migrations (id serial/bigserial
//   PRIMARY KEY, app varchar(255) NOT NULL, name varchar(255) NOT NULL,
//   applied timestamp with time zone NOT NULL)`. A row = applied (rows are
//   deleted on unapply, `record_unapplied`); no checksum, no failed state
//   (failed and checksumMismatch are always 0). `has_table()` false =
//   `applied_migrations()` returns {}: nothing applied.
// - django/db/migrations/loader.py, MigrationLoader.load_disk: the files are
//   the modules of each app's `migrations` package (`MIGRATIONS_MODULE_NAME`,
//   a real package: a namespace package without __init__.py is unmigrated),
//   `pkgutil.iter_modules`, `not is_pkg and name[0] not in '_~'`, each with a
//   `Migration` class; a migration's key is (app_label, module name).
// - django/db/migrations/loader.py, MigrationLoader.build_graph, replacing
//   (squashed) migrations, those with `replaces = [(app, name), ...]`:
//   "The replacing migration is only marked as applied if all of its
//   replacement targets are" (otherwise it is not applied, even with its own
//   row); "A replacing migration can be used if either all or none of its
//   replacement targets have been applied": then the replaced migrations
//   leave the graph (remove_replaced_nodes); when partially applied the
//   squash itself leaves the graph and the replaced ones stay.
// - django/db/migrations/executor.py, record_migration: applying a squash
//   records a row for each replaced migration; check_replacements then
//   records the squash itself.
// `applied` is timestamptz with USE_TZ = True (the default since Django 5.0,
// and in every startproject settings.py); with USE_TZ = False it is a naive
// timestamp in TIME_ZONE, read here as UTC.
// Scope: django_migrations also holds rows of installed apps whose
// migrations live outside `dir` (django.contrib.auth, admin, third-party
// packages). Only rows of the apps found under `dir` are counted; the others
// are named in a note, not reported as ghosts.
import type { Dirent } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { isFile, listDir } from './disk.js'
import { readHistory } from './history-table.js'
import { defineReader } from './types.js'

interface DjangoMigration {
  key: string
  replaces: string[]
}

const SKIP_DIRS = new Set(['node_modules', '.git', '.hg', '.svn', '__pycache__', 'site-packages', 'dist-packages', '.venv', 'venv', '.tox', '.nox', '.mypy_cache', '.pytest_cache', 'static', 'media', 'templates'])
const MAX_DEPTH = 6

/** The `(app, name)` tuples of `replaces = [...]`, as `app.name`. */
function parseReplaces(source: string): string[] {
  const start = /^[ \t]+replaces[ \t]*(?::[^=\n]*)?=[ \t]*[[(]/m.exec(source)
  if (!start) return []
  let depth = 0
  let end = source.length
  for (let i = start.index + start[0].length - 1; i < source.length; i++) {
    const c = source[i]
    if (c === '[' || c === '(') depth++
    else if ((c === ']' || c === ')') && --depth === 0) {
      end = i + 1
      break
    }
  }
  const body = source.slice(start.index + start[0].length - 1, end)
  const out: string[] = []
  for (const m of body.matchAll(/\(\s*(?:"([^"]*)"|'([^']*)')\s*,\s*(?:"([^"]*)"|'([^']*)')\s*,?\s*\)/g)) {
    out.push(`${m[1] ?? m[2]}.${m[3] ?? m[4]}`)
  }
  return out
}

/** The app label: `label = "..."` in the app's apps.py AppConfig, else the package's directory name. */
async function appLabel(appDir: string): Promise<string> {
  try {
    const source = await readFile(join(appDir, 'apps.py'), 'utf8')
    const m = /^[ \t]+label[ \t]*=[ \t]*(?:"([^"]+)"|'([^']+)')/m.exec(source)
    if (m) return (m[1] ?? m[2])!
  } catch {
    // no apps.py: the default label
  }
  return basename(appDir)
}

/** Every `<app>/migrations/` package under `root`, whose entries are given (or `root` itself when it is one). */
async function findMigrationPackages(root: string, top: Dirent[], notes: string[]): Promise<string[]> {
  if (basename(root) === 'migrations' && (await isFile(join(root, '__init__.py')))) return [root]
  const found: string[] = []
  const walk = async (dir: string, entries: Dirent[], depth: number): Promise<void> => {
    for (const e of entries) {
      if (!e.isDirectory() || SKIP_DIRS.has(e.name) || e.name.startsWith('.')) continue
      const path = join(dir, e.name)
      if (e.name === 'migrations') {
        if (await isFile(join(path, '__init__.py'))) found.push(path)
        else notes.push(`${path} has no __init__.py: Django treats the app as unmigrated`)
        continue
      }
      // A sub-directory that cannot be read holds no app Django could import either.
      if (depth < MAX_DEPTH) await walk(path, await readdir(path, { withFileTypes: true }).catch(() => []), depth + 1)
    }
  }
  await walk(root, top, 0)
  return found.sort()
}

/** The migrations of every package under `root`, by `app.name`; undefined when `root` cannot be read. */
async function readDisk(root: string, notes: string[]): Promise<Map<string, DjangoMigration> | undefined> {
  const top = await listDir(root, notes)
  if (!top) return undefined
  const disk = new Map<string, DjangoMigration>()
  for (const pkg of await findMigrationPackages(root, top, notes)) {
    const app = await appLabel(join(pkg, '..'))
    for (const file of (await listDir(pkg, notes)) ?? []) {
      const m = /^([^_~.][^.]*)\.py$/.exec(file.name)
      if (!m) continue
      let source: string
      try {
        source = await readFile(join(pkg, file.name), 'utf8')
      } catch {
        notes.push(`not readable: ${join(pkg, file.name)}`)
        continue
      }
      if (!/^class\s+Migration\b/m.test(source)) {
        notes.push(`not a migration (no Migration class): ${join(pkg, file.name)}`)
        continue
      }
      const key = `${app}.${m[1]}`
      if (disk.has(key)) notes.push(`migration ${key} found twice (two apps labelled ${app}?)`)
      disk.set(key, { key, replaces: parseReplaces(source) })
    }
  }
  return disk
}

interface Row {
  key: string
  app: string
  at: number
  id: number
}

/**
 * MigrationLoader.build_graph: the graph's nodes and which are applied once
 * squashes are accounted for. A squash is applied when all it replaces are;
 * it replaces them in the graph when all or none are applied, else it leaves
 * the graph itself.
 */
function graph(disk: Map<string, DjangoMigration>, rows: Row[], notes: string[]) {
  const applied = new Set(rows.map((r) => r.key))
  const nodes = new Set(disk.keys())
  const replaced = new Set<string>()
  for (const m of disk.values()) {
    if (m.replaces.length === 0) continue
    for (const r of m.replaces) replaced.add(r)
    const statuses = m.replaces.map((r) => applied.has(r))
    const all = statuses.every(Boolean)
    const none = !statuses.some(Boolean)
    if (all) applied.add(m.key)
    else applied.delete(m.key)
    if (all || none) for (const r of m.replaces) nodes.delete(r)
    else {
      nodes.delete(m.key)
      notes.push(`squashed migration ${m.key} partially applied: its replaced migrations are used instead`)
    }
  }
  return { nodes, applied, replaced }
}

export const django = defineReader('django', async (client, spec, notes) => {
  const disk = await readDisk(spec.dir, notes)
  let rows = await readHistory(client, { table: spec.table ?? 'django_migrations', schema: spec.schema }, notes, async (found) => {
    const res = await client.query<{ app: string; name: string; at: string; id: string }>(
      `SELECT app, name, (EXTRACT(EPOCH FROM applied) * 1000)::float8 AS at, id::text AS id FROM ${found.name}`,
    )
    return res.rows.map((r) => ({ key: `${r.app}.${r.name}`, app: r.app, at: Number(r.at), id: Number(r.id) }))
  })
  if (!disk) {
    // Without the files, the apps in scope are unknown: every row counts.
    return { disk: undefined, history: rows.map((r) => ({ name: r.key })), ...newest(rows) }
  }

  // Rows of apps with no migrations package under dir are out of scope.
  const apps = new Set([...disk.keys()].map((k) => k.slice(0, k.indexOf('.'))))
  const outside = [...new Set(rows.filter((r) => !apps.has(r.app)).map((r) => r.app))].sort()
  if (outside.length > 0) notes.push(`rows of apps outside ${spec.dir} not counted: ${outside.join(', ')}`)
  rows = rows.filter((r) => apps.has(r.app))

  const { nodes, applied, replaced } = graph(disk, rows, notes)
  // Ghosts: rows not on disk and not accounted for by a squash on disk.
  const unknown = [...new Set(rows.map((r) => r.key))].filter((k) => !disk.has(k) && !replaced.has(k)).sort()
  if (unknown.length > 0) notes.push(`django_migrations names migrations not on disk: ${unknown.join(', ')}`)
  return {
    disk: [...nodes].map((name) => ({ name })),
    history: [...[...nodes].filter((k) => applied.has(k)), ...unknown].map((name) => ({ name })),
    ...newest(rows),
  }
})

/** current = the newest row's `app.name` (the highest id among equal times), lastAppliedAt = its time. */
function newest(rows: Row[]): { current: string | null; lastAppliedAt?: number } {
  let last: Row | undefined
  for (const r of rows) if (!last || r.at > last.at || (r.at === last.at && r.id > last.id)) last = r
  return last ? { current: last.key, lastAppliedAt: last.at } : { current: null }
}
