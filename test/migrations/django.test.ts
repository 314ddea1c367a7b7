// The django migration reader against the machine's real PostgreSQL
// (127.0.0.1:5432, trust auth) and the REAL Django (Debian's python3-django,
// run as `/usr/bin/python3 -m django` in a child process): a tiny project in
// a temp dir (apps `shop` and `blog`, the latter labelled `news` in its
// AppConfig, plus django.contrib.contenttypes whose migrations live outside
// the project), migrated for real step by step. After each step the reader's
// pending list is also compared with Django's own `showmigrations`.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { mkdirSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import t, { type Test } from 'tap'
import type { MigrationStatus } from '../../probes/postgres/migrations/types.js'
import { none, scratch, statusOf, withoutNotes } from './harness.js'

const scratchDb = scratch('django')
let DB = ''
const ROOT = scratchDb.newDir()

async function sql<R>(text: string): Promise<R[]> {
  return (await scratchDb.sql(DB, text)).rows as R[]
}

function read(dir = ROOT): Promise<MigrationStatus> {
  return scratchDb.read(DB, { tool: 'django', dir })
}

// One Python process runs every management command through call_command (a
// fresh interpreter per command costs about a second): the loader re-reads
// the migration packages each time, import caches invalidated first.
const DRIVER = `
import importlib, io, json, sys
import django
django.setup()
from django.core.management import call_command
from django.db import connections
for line in sys.stdin:
    importlib.invalidate_caches()
    out = io.StringIO()
    try:
        call_command(*json.loads(line), stdout=out, stderr=out)
        ok = True
    except BaseException as e:
        out.write(repr(e))
        ok = False
    connections.close_all()
    print(json.dumps({"ok": ok, "out": out.getvalue()}), flush=True)
`
let driver: ChildProcessWithoutNullStreams | undefined
let lines: AsyncIterator<string> | undefined

async function manage(...args: string[]): Promise<string> {
  if (!driver) {
    driver = spawn('/usr/bin/python3', ['-c', DRIVER], {
      cwd: ROOT,
      env: { ...process.env, PYTHONPATH: ROOT, PYTHONDONTWRITEBYTECODE: '1', DJANGO_SETTINGS_MODULE: 'settings' },
    })
    driver.stderr.on('data', (d: Buffer) => process.stderr.write(d))
    lines = createInterface({ input: driver.stdout })[Symbol.asyncIterator]()
  }
  driver.stdin.write(`${JSON.stringify(args)}\n`)
  const next = await lines!.next()
  if (next.done) throw new Error('the Django driver exited')
  const reply = JSON.parse(next.value) as { ok: boolean; out: string }
  if (!reply.ok) throw new Error(`manage.py ${args.join(' ')} failed: ${reply.out}`)
  return reply.out
}

/** Django's own view: the unapplied migrations `showmigrations` lists for the project's apps, as app.name. */
async function djangoPending(): Promise<string[]> {
  const out = await manage('showmigrations', 'shop', 'news')
  const pending: string[] = []
  let app = ''
  for (const line of out.split('\n')) {
    const m = /^ \[( |X|-)\] (\S+)/.exec(line)
    if (!m) app = line.trim() || app
    else if (m[1] !== 'X') pending.push(`${app}.${m[2]}`)
  }
  return pending.sort()
}

function write(path: string, text: string): void {
  mkdirSync(join(ROOT, path, '..'), { recursive: true })
  writeFileSync(join(ROOT, path), text)
}

function migration(app: string, name: string, deps: string[], op: string): void {
  write(
    `${app === 'news' ? 'blog' : app}/migrations/${name}.py`,
    `from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [${deps.map((d) => `('${app}', '${d}')`).join(', ')}]

    operations = [
        ${op},
    ]
`,
  )
}
const addField = (model: string, field: string) => `migrations.AddField(model_name='${model}', name='${field}', field=models.IntegerField(default=0))`

async function newestAppliedMs(): Promise<number> {
  const rows = await sql<{ ms: number }>(`SELECT (EXTRACT(EPOCH FROM max(applied)) * 1000)::float8 AS ms FROM django_migrations WHERE app IN ('shop', 'news')`)
  return Math.round(rows[0]!.ms)
}

const status = statusOf('django', {})

async function expectStatus(t: Test, got: MigrationStatus, want: Partial<MigrationStatus> & { names: MigrationStatus['names'] }): Promise<void> {
  const { lastAppliedAt, ...rest } = withoutNotes(got)
  // Through JSON, so that an undefined `current` must be absent on both sides.
  const plain = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown
  t.strictSame(plain(rest), plain(status(want)), 'every field')
  if (want.applied === 0) t.equal(lastAppliedAt, undefined, 'no lastAppliedAt')
  else t.equal(lastAppliedAt, await newestAppliedMs(), 'lastAppliedAt = max(applied)')
}

t.before(async () => {
  DB = await scratchDb.newDb()
  write(
    'settings.py',
    `SECRET_KEY = 'test'
USE_TZ = True
INSTALLED_APPS = ['django.contrib.contenttypes', 'shop', 'blog']
DATABASES = {'default': {'ENGINE': 'django.db.backends.postgresql', 'NAME': '${DB}', 'USER': 'postgres', 'HOST': '127.0.0.1', 'PORT': '5432'}}
DEFAULT_AUTO_FIELD = 'django.db.models.AutoField'
`,
  )
  write('shop/__init__.py', '')
  write('shop/models.py', 'from django.db import models\n\n\nclass Item(models.Model):\n    name = models.CharField(max_length=50)\n')
  write('shop/migrations/__init__.py', '')
  write('shop/migrations/_helpers.py', '# skipped by Django: starts with _\n')
  write('shop/migrations/README.txt', 'not a module\n')
  write('blog/__init__.py', '')
  write('blog/apps.py', "from django.apps import AppConfig\n\n\nclass BlogConfig(AppConfig):\n    name = 'blog'\n    label = 'news'\n")
  write('blog/models.py', 'from django.db import models\n\n\nclass Post(models.Model):\n    title = models.CharField(max_length=50)\n')
  write('blog/migrations/__init__.py', '')
  migration('shop', '0001_initial', [], "migrations.CreateModel(name='Item', fields=[('id', models.AutoField(primary_key=True, serialize=False)), ('name', models.CharField(max_length=50))])")
  migration('shop', '0002_item_price', ['0001_initial'], addField('item', 'price'))
  migration('shop', '0003_item_sku', ['0002_item_price'], addField('item', 'sku'))
  migration('news', '0001_initial', [], "migrations.CreateModel(name='Post', fields=[('id', models.AutoField(primary_key=True, serialize=False)), ('title', models.CharField(max_length=50))])")
})

t.teardown(async () => {
  if (driver) {
    driver.stdin.end()
    await new Promise((resolve) => driver!.once('close', resolve))
  }
  await scratchDb.cleanup()
})

t.test('a real Django project, step by step', async (t) => {
  const all = ['news.0001_initial', 'shop.0001_initial', 'shop.0002_item_price', 'shop.0003_item_sku']

  // Never migrated: no django_migrations table.
  let s = await read()
  await expectStatus(t, s, { applied: 0, available: 4, pending: 4, unknown: 0, heads: 1, names: { ...none, pending: all } })
  t.match(s.notes, [/history table django_migrations absent: nothing applied/])
  t.notOk(s.notes.some((n) => /_helpers|README/.test(n)), 'files Django skips are skipped silently')

  // Part of one app, then the other app pending too.
  await manage('migrate', 'shop', '0002')
  s = await read()
  await expectStatus(t, s, { applied: 2, available: 4, pending: 2, unknown: 0, heads: 1, current: 'shop.0002_item_price', names: { ...none, pending: ['news.0001_initial', 'shop.0003_item_sku'] } })
  t.same(s.names.pending, await djangoPending(), 'as showmigrations says')
  t.same(s.notes, [])

  // Clean (contenttypes' rows are outside the project's dir: a note, not
  // ghosts). The plan runs the leaf nodes in key order: contenttypes, news, shop.
  await manage('migrate')
  s = await read()
  await expectStatus(t, s, { applied: 4, available: 4, pending: 0, unknown: 0, heads: 1, current: 'shop.0003_item_sku', names: none })
  t.same(s.notes, [`rows of apps outside ${ROOT} not counted: contenttypes`])

  // One app pending: a migration file added after migrating.
  migration('shop', '0004_item_note', ['0003_item_sku'], addField('item', 'note'))
  s = await read()
  await expectStatus(t, s, { applied: 4, available: 5, pending: 1, unknown: 0, heads: 1, current: 'shop.0003_item_sku', names: { ...none, pending: ['shop.0004_item_note'] } })
  t.same(s.names.pending, await djangoPending(), 'as showmigrations says')
  await manage('migrate')
  s = await read()
  await expectStatus(t, s, { applied: 5, available: 5, pending: 0, unknown: 0, heads: 1, current: 'shop.0004_item_note', names: none })

  // Squashed: squashmigrations writes 0001_squashed_0004_item_note with
  // `replaces` all four; all replaced are applied, so the squash is applied
  // and the replaced ones leave the graph.
  await manage('squashmigrations', 'shop', '0004', '--no-input')
  t.ok(readdirSync(join(ROOT, 'shop/migrations')).includes('0001_squashed_0004_item_note.py'))
  s = await read()
  await expectStatus(t, s, { applied: 2, available: 2, pending: 0, unknown: 0, heads: 1, current: 'shop.0004_item_note', names: none })
  // migrate records the squash itself (executor.check_replacements).
  await manage('migrate')
  t.equal((await sql(`SELECT 1 FROM django_migrations WHERE app = 'shop' AND name = '0001_squashed_0004_item_note'`)).length, 1)
  s = await read()
  await expectStatus(t, s, { applied: 2, available: 2, pending: 0, unknown: 0, heads: 1, current: 'shop.0001_squashed_0004_item_note', names: none })

  // Partially applied squash (one replaced row gone): Django drops the
  // squash from the graph, even with its own row, and uses the replaced ones.
  await sql(`DELETE FROM django_migrations WHERE app = 'shop' AND name = '0004_item_note'`)
  s = await read()
  await expectStatus(t, s, { applied: 4, available: 5, pending: 1, unknown: 0, heads: 1, current: 'shop.0001_squashed_0004_item_note', names: { ...none, pending: ['shop.0004_item_note'] } })
  t.same(s.names.pending, await djangoPending(), 'as showmigrations says')
  t.match(s.notes, [/outside/, /squashed migration shop.0001_squashed_0004_item_note partially applied/])
  await manage('migrate', 'shop', '--fake')
  s = await read()
  await expectStatus(t, s, { applied: 2, available: 2, pending: 0, unknown: 0, heads: 1, current: 'shop.0004_item_note', names: none })

  // None of the replaced applied: the squash is the node, and pending.
  await sql(`DELETE FROM django_migrations WHERE app = 'shop'`)
  s = await read()
  await expectStatus(t, s, { applied: 1, available: 2, pending: 1, unknown: 0, heads: 1, current: 'news.0001_initial', names: { ...none, pending: ['shop.0001_squashed_0004_item_note'] } })
  t.same(s.names.pending, await djangoPending(), 'as showmigrations says')
  await manage('migrate', 'shop', '--fake')
  s = await read()
  await expectStatus(t, s, { applied: 2, available: 2, pending: 0, unknown: 0, heads: 1, current: 'shop.0001_squashed_0004_item_note', names: none })

  // A ghost: a migration applied for real, then its file deleted.
  migration('news', '0002_post_views', ['0001_initial'], addField('post', 'views'))
  await manage('migrate', 'news')
  unlinkSync(join(ROOT, 'blog/migrations/0002_post_views.py'))
  s = await read()
  await expectStatus(t, s, { applied: 3, available: 2, pending: 0, unknown: 1, heads: 1, current: 'news.0002_post_views', names: { ...none, unknown: ['news.0002_post_views'] } })
  t.match(s.notes, [/outside/, /django_migrations names migrations not on disk: news.0002_post_views/])
})

t.test('dir pointing at one migrations package; a missing dir', async (t) => {
  const one = await read(join(ROOT, 'blog/migrations'))
  t.equal(one.available, 1, "labelled by blog/apps.py's AppConfig.label: news")
  t.equal(one.applied, 2)
  t.equal(one.pending, 0)
  t.same(one.names.unknown, ['news.0002_post_views'])
  const shop = await read(join(ROOT, 'shop/migrations'))
  t.equal(shop.available, 1)
  t.equal(shop.applied, 1)
  t.equal(shop.pending, 0)
  t.equal(shop.unknown, 0)
  const missing = await read(join(ROOT, 'nope'))
  t.equal(missing.dirReadable, false)
  t.equal(missing.available, 0)
  t.equal(missing.pending, 0)
  t.equal(missing.unknown, 0)
  t.match(missing.notes, [/migration directory not readable/])
})
