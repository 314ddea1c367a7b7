// The alembic migration reader against the machine's real PostgreSQL
// (127.0.0.1:5432, trust auth) and the REAL Alembic (Debian's
// python3-alembic, run as `/usr/bin/python3 -m alembic` in a child process):
// a project in a temp dir with revision files written here with fixed ids,
// upgraded for real step by step, and read after each step.
import { execFile } from 'node:child_process'
import { mkdirSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t, { type Test } from 'tap'
import type { MigrationStatus } from '../../probes/postgres/migrations/types.js'
import { none, scratch, statusOf, withoutNotes } from './harness.js'

const run = promisify(execFile)
const scratchDb = scratch('alembic')
let DB = ''
const ROOT = scratchDb.newDir()
const SCRIPTS = join(ROOT, 'migrations')
const VERSIONS = join(SCRIPTS, 'versions')

function read(spec: { dir?: string; table?: string; schema?: string } = {}): Promise<MigrationStatus> {
  return scratchDb.read(DB, { tool: 'alembic', dir: spec.dir ?? SCRIPTS, table: spec.table, schema: spec.schema })
}

/** An alembic.ini for the test database (created in `before`). */
function ini(name: string, extra = ''): string {
  const path = join(ROOT, name)
  writeFileSync(path, `[alembic]\nscript_location = ${SCRIPTS}\nsqlalchemy.url = ${scratchDb.url(DB)}\n${extra}\n`)
  return path
}

async function alembicCmd(...args: string[]): Promise<void> {
  await run('/usr/bin/python3', ['-m', 'alembic', '-c', ini('alembic.ini'), ...args], { env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } })
}

/** A revision file; `typed` writes the newer template's annotated form. */
function revision(id: string, down: string | string[] | null, opts: { typed?: boolean; labels?: string[] } = {}): void {
  const py = (v: string | string[] | null) => (v === null ? 'None' : Array.isArray(v) ? `(${v.map((x) => `'${x}'`).join(', ')},)` : `'${v}'`)
  const labels = opts.labels ? py(opts.labels) : 'None'
  const head = opts.typed
    ? `from typing import Sequence, Union\n\nrevision: str = "${id}"\ndown_revision: Union[str, Sequence[str], None] = ${py(down).replace(/'/g, '"')}\nbranch_labels: Union[str, Sequence[str], None] = ${labels}\ndepends_on: Union[str, Sequence[str], None] = None\n`
    : `revision = '${id}'\ndown_revision = ${py(down)}\nbranch_labels = ${labels}\ndepends_on = None\n`
  writeFileSync(
    join(VERSIONS, `${id}_step.py`),
    `"""step ${id}\n\nRevision ID: ${id}\nRevises: ${String(down)}\n"""\nfrom alembic import op\n\n${head}\n\ndef upgrade():\n    op.execute("CREATE TABLE t_${id} (id int)")\n\n\ndef downgrade():\n    op.execute("DROP TABLE t_${id}")\n`,
  )
}

const status = statusOf('alembic', {})

function expectStatus(t: Test, got: MigrationStatus, want: Partial<MigrationStatus> & { names: MigrationStatus['names'] }): void {
  // Through JSON, so that an undefined `current` must be absent on both sides.
  const plain = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown
  t.strictSame(plain(withoutNotes(got)), plain(status(want)), 'every field')
  t.equal(got.lastAppliedAt, undefined, 'alembic_version keeps no timestamps')
}

t.before(async () => {
  DB = await scratchDb.newDb()
  mkdirSync(VERSIONS, { recursive: true })
  writeFileSync(
    join(SCRIPTS, 'env.py'),
    `from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config
engine = engine_from_config(config.get_section(config.config_ini_section), prefix="sqlalchemy.", poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=None,
        version_table=config.get_main_option("version_table", "alembic_version"),
        version_table_schema=config.get_main_option("version_table_schema"),
    )
    with context.begin_transaction():
        context.run_migrations()
`,
  )
  writeFileSync(join(VERSIONS, '__init__.py'), '')
  writeFileSync(join(VERSIONS, 'helpers.txt'), 'not python')
  revision('a1000000001', null)
  revision('a2000000002', 'a1000000001', { typed: true })
  revision('a3000000003', 'a2000000002')
})

t.teardown(scratchDb.cleanup)

t.test('a real alembic history, step by step', async (t) => {
  // Nothing run yet: no alembic_version table.
  let s = await read()
  expectStatus(t, s, { applied: 0, available: 3, pending: 3, unknown: 0, heads: 1, current: undefined, names: { ...none, pending: ['a1000000001', 'a2000000002', 'a3000000003'] } })
  t.match(s.notes, [/history table alembic_version absent: nothing applied/])

  // One pending.
  await alembicCmd('upgrade', 'a2000000002')
  s = await read()
  expectStatus(t, s, { applied: 2, available: 3, pending: 1, unknown: 0, heads: 1, current: 'a2000000002', names: { ...none, pending: ['a3000000003'] } })

  // Clean head; dir given as the versions directory itself reads the same.
  await alembicCmd('upgrade', 'head')
  s = await read()
  expectStatus(t, s, { applied: 3, available: 3, pending: 0, unknown: 0, heads: 1, current: 'a3000000003', names: none })
  t.same(s.notes, [])
  t.same(await read({ dir: VERSIONS }), s, 'dir = versions/ reads the same')

  // Two heads: a branch without a merge, both pending, then `upgrade heads`.
  revision('b1000000001', 'a3000000003')
  revision('c1000000001', 'a3000000003', { typed: true })
  s = await read()
  expectStatus(t, s, { applied: 3, available: 5, pending: 2, unknown: 0, heads: 2, current: 'a3000000003', names: { ...none, pending: ['b1000000001', 'c1000000001'] } })
  t.match(s.notes, [/2 heads in the revision files/])
  await alembicCmd('upgrade', 'heads')
  s = await read()
  expectStatus(t, s, { applied: 5, available: 5, pending: 0, unknown: 0, heads: 2, current: 'b1000000001,c1000000001', names: none })
  t.match(s.notes, [/2 applied heads/, /2 heads in the revision files/])

  // A merge revision: one head again, pending until upgraded.
  revision('m1000000001', ['b1000000001', 'c1000000001'])
  s = await read()
  expectStatus(t, s, { applied: 5, available: 6, pending: 1, unknown: 0, heads: 1, current: 'b1000000001,c1000000001', names: { ...none, pending: ['m1000000001'] } })
  await alembicCmd('upgrade', 'head')
  s = await read()
  expectStatus(t, s, { applied: 6, available: 6, pending: 0, unknown: 0, heads: 1, current: 'm1000000001', names: none })

  // A ghost: a separate branch applied for real, then its file deleted.
  revision('g1000000001', null, { labels: ['ghost'] })
  s = await read()
  expectStatus(t, s, { applied: 6, available: 7, pending: 1, unknown: 0, heads: 2, current: 'm1000000001', names: { ...none, pending: ['g1000000001'] } })
  await alembicCmd('upgrade', 'ghost@head')
  s = await read()
  expectStatus(t, s, { applied: 7, available: 7, pending: 0, unknown: 0, heads: 2, current: 'g1000000001,m1000000001', names: none })
  unlinkSync(join(VERSIONS, 'g1000000001_step.py'))
  s = await read()
  expectStatus(t, s, { applied: 7, available: 6, pending: 0, unknown: 1, heads: 1, current: 'g1000000001,m1000000001', names: { ...none, unknown: ['g1000000001'] } })
  t.match(s.notes, [/alembic_version names revisions not on disk: g1000000001/, /2 applied heads/])
})

t.test('a renamed version table in another schema', async (t) => {
  await scratchDb.sql(DB, 'CREATE SCHEMA "Audit"')
  const custom = ini('custom.ini', 'version_table = my_versions\nversion_table_schema = Audit')
  await run('/usr/bin/python3', ['-m', 'alembic', '-c', custom, 'stamp', 'a1000000001'], { env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } })
  const s = await read({ table: 'my_versions', schema: 'Audit' })
  expectStatus(t, s, {
    applied: 1,
    available: 6,
    pending: 5,
    unknown: 0,
    heads: 1,
    current: 'a1000000001',
    names: { ...none, pending: ['a2000000002', 'a3000000003', 'b1000000001', 'c1000000001', 'm1000000001'] },
  })
  // The default table in the same database is a different history.
  t.equal((await read()).current, 'g1000000001,m1000000001')
  // A schema without the table: absent, nothing applied.
  const absent = await read({ table: 'my_versions', schema: 'public' })
  t.equal(absent.applied, 0)
  t.equal(absent.pending, 6)
  t.match(absent.notes, [/history table public.my_versions absent/])
})

t.test('a missing directory is a note, not a throw', async (t) => {
  const s = await read({ dir: join(ROOT, 'nope') })
  t.equal(s.dirReadable, false)
  t.equal(s.available, 0)
  t.equal(s.pending, 0)
  t.equal(s.heads, 0)
  t.equal(s.unknown, 0, 'rows are not ghosts when the files cannot be read')
  t.equal(s.applied, 2, 'the rows themselves')
  t.equal(s.current, 'g1000000001,m1000000001')
  t.match(s.notes, [/migration directory not readable/])
})

t.test('parsing: multi-line merge tuples, depends_on by branch label, comments, legacy names', async (t) => {
  const dir = join(ROOT, 'parse')
  mkdirSync(dir)
  const file = (name: string, text: string) => writeFileSync(join(dir, name), text)
  file('base.py', `revision = "p0"\ndown_revision = None\nbranch_labels = ("core",)\n`)
  file('lib.py', `revision = 'l0'\ndown_revision = None\nbranch_labels = 'lib'\n`)
  file('left.py', `# revision = 'commented'\nrevision = 'p1'\ndown_revision = 'p0'  # the base\ndepends_on = ['lib']\n`)
  file('right.py', `revision: str = 'p2'\ndown_revision: Union[str, None] = "p0"\n`)
  file('merge.py', `revision = 'p3'\ndown_revision = (\n    'p1',\n    "p2",\n)\nbranch_labels = None\ndepends_on = None\n`)
  file('abc123.py', `down_revision = 'p3'\n`)
  file('notes.py', `print("no revision here")\n`)
  file('.#lock.py', `revision = 'x'\n`)
  // The table as Alembic creates it (alembic/runtime/migration.py), in a schema of its own.
  await scratchDb.sql(DB, 'CREATE SCHEMA parse; CREATE TABLE parse.alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))')
  await scratchDb.sql(DB, `INSERT INTO parse.alembic_version VALUES ('p1')`)
  const s = await read({ dir, schema: 'parse' })
  expectStatus(t, s, {
    applied: 3,
    available: 6,
    pending: 3,
    unknown: 0,
    heads: 2,
    current: 'p1',
    names: { ...none, pending: ['abc123', 'p2', 'p3'] },
  })
  t.match(s.notes, [/not a revision file \(no revision id\): notes.py/, /2 heads in the revision files/])
})
