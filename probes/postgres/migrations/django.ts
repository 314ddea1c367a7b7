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
import { readdir, readFile, stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import type pg from 'pg'
import { emptyStatus, type MigrationReader, type MigrationStatus } from './types.js'

interface DiskMigration {
  key: string
  replaces: string[]
}

const SKIP_DIRS = new Set(['node_modules', '.git', '.hg', '.svn', '__pycache__', 'site-packages', 'dist-packages', '.venv', 'venv', '.tox', '.nox', '.mypy_cache', '.pytest_cache', 'static', 'media', 'templates'])
const MAX_DEPTH = 6

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}

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

/** Every `<app>/migrations/` package under `root` (or `root` itself when it is one). */
async function findMigrationPackages(root: string, status: MigrationStatus): Promise<string[]> {
  const found: string[] = []
  const walk = async (dir: string, depth: number): Promise<void> => {
    let entries: import('node:fs').Dirent[]
    try {
      entries = await readdir(dir, { withFileTypes: true })
    } catch {
      return
    }
    for (const e of entries) {
      if (!e.isDirectory() || SKIP_DIRS.has(e.name) || e.name.startsWith('.')) continue
      const path = join(dir, e.name)
      if (e.name === 'migrations') {
        if (await isFile(join(path, '__init__.py'))) found.push(path)
        else status.notes.push(`${path} has no __init__.py: Django treats the app as unmigrated`)
        continue
      }
      if (depth < MAX_DEPTH) await walk(path, depth + 1)
    }
  }
  if (basename(root) === 'migrations' && (await isFile(join(root, '__init__.py')))) found.push(root)
  else await walk(root, 0)
  return found.sort()
}

async function readDisk(root: string, status: MigrationStatus): Promise<Map<string, DiskMigration> | null> {
  try {
    if (!(await stat(root)).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' })
    await readdir(root)
  } catch (err) {
    status.dirReadable = false
    status.notes.push(`migration directory not readable: ${root} (${(err as NodeJS.ErrnoException).code ?? String(err)})`)
    return null
  }
  const disk = new Map<string, DiskMigration>()
  for (const pkg of await findMigrationPackages(root, status)) {
    const app = await appLabel(join(pkg, '..'))
    let files: string[]
    try {
      files = await readdir(pkg)
    } catch {
      status.notes.push(`not readable: ${pkg}`)
      continue
    }
    for (const file of files.sort()) {
      const m = /^([^_~.][^.]*)\.py$/.exec(file)
      if (!m) continue
      let source: string
      try {
        source = await readFile(join(pkg, file), 'utf8')
      } catch {
        status.notes.push(`not readable: ${join(pkg, file)}`)
        continue
      }
      if (!/^class\s+Migration\b/m.test(source)) {
        status.notes.push(`not a migration (no Migration class): ${join(pkg, file)}`)
        continue
      }
      const key = `${app}.${m[1]}`
      if (disk.has(key)) status.notes.push(`migration ${key} found twice (two apps labelled ${app}?)`)
      disk.set(key, { key, replaces: parseReplaces(source) })
    }
  }
  return disk
}

/** The history table's qualified name, or null when it does not exist (visible on the search_path, as Django's introspection sees it). */
async function findTable(client: pg.Client, table: string, schema: string | undefined): Promise<string | null> {
  const res = await client.query<{ nspname: string }>(
    `SELECT n.nspname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
        AND (CASE WHEN $2::text IS NULL THEN pg_catalog.pg_table_is_visible(c.oid) ELSE n.nspname = $2::text END)`,
    [table, schema ?? null],
  )
  const row = res.rows[0]
  return row ? `${client.escapeIdentifier(row.nspname)}.${client.escapeIdentifier(table)}` : null
}

export const django: MigrationReader = {
  tool: 'django',
  async read(client, spec) {
    const status = emptyStatus('django')
    const table = spec.table ?? 'django_migrations'
    const disk = await readDisk(spec.dir, status)

    interface Row {
      key: string
      app: string
      at: number
      id: number
    }
    let rows: Row[] = []
    const qualified = await findTable(client, table, spec.schema)
    if (qualified === null) {
      status.notes.push(`history table ${spec.schema ? `${spec.schema}.` : ''}${table} absent: nothing applied`)
    } else {
      const res = await client.query<{ app: string; name: string; at: string; id: string }>(
        `SELECT app, name, (EXTRACT(EPOCH FROM applied) * 1000)::float8 AS at, id::text AS id FROM ${qualified}`,
      )
      rows = res.rows.map((r) => ({ key: `${r.app}.${r.name}`, app: r.app, at: Number(r.at), id: Number(r.id) }))
    }

    if (disk === null) {
      // Without the files, the apps in scope are unknown: every row counts.
      status.applied = new Set(rows.map((r) => r.key)).size
      finishTimes(status, rows)
      return status
    }

    // Rows of apps with no migrations package under dir are out of scope.
    const apps = new Set([...disk.keys()].map((k) => k.slice(0, k.indexOf('.'))))
    const outside = [...new Set(rows.filter((r) => !apps.has(r.app)).map((r) => r.app))].sort()
    if (outside.length > 0) status.notes.push(`rows of apps outside ${spec.dir} not counted: ${outside.join(', ')}`)
    rows = rows.filter((r) => apps.has(r.app))

    // MigrationLoader.build_graph: the nodes and the applied set after replacements.
    const applied = new Set(rows.map((r) => r.key))
    const nodes = new Set(disk.keys())
    const replacedBySquash = new Set<string>()
    for (const m of disk.values()) {
      if (m.replaces.length === 0) continue
      for (const r of m.replaces) replacedBySquash.add(r)
      const statuses = m.replaces.map((r) => applied.has(r))
      const all = statuses.every(Boolean)
      const none = !statuses.some(Boolean)
      if (all) applied.add(m.key)
      else applied.delete(m.key)
      if (all || none) for (const r of m.replaces) nodes.delete(r)
      else {
        nodes.delete(m.key)
        status.notes.push(`squashed migration ${m.key} partially applied: its replaced migrations are used instead`)
      }
    }

    // Ghosts: rows not on disk and not accounted for by a squash on disk.
    const unknown = [...new Set(rows.map((r) => r.key))].filter((k) => !disk.has(k) && !replacedBySquash.has(k)).sort()
    const appliedNodes = [...nodes].filter((k) => applied.has(k))
    status.available = nodes.size
    status.applied = appliedNodes.length + unknown.length
    status.unknown = unknown.length
    status.names.unknown = unknown
    status.names.pending = [...nodes].filter((k) => !applied.has(k)).sort()
    status.pending = status.names.pending.length
    status.heads = nodes.size > 0 ? 1 : 0
    if (unknown.length > 0) status.notes.push(`django_migrations names migrations not on disk: ${unknown.join(', ')}`)
    finishTimes(status, rows)
    return status
  },
}

/** lastAppliedAt = max(applied); current = that row's `app.name` (the highest id among equal times). */
function finishTimes(status: MigrationStatus, rows: { key: string; at: number; id: number }[]): void {
  let newest: { key: string; at: number; id: number } | undefined
  for (const r of rows) if (!newest || r.at > newest.at || (r.at === newest.at && r.id > newest.id)) newest = r
  if (newest) {
    status.lastAppliedAt = Math.round(newest.at)
    status.current = newest.key
  }
}
