// Migrations through the postgres probe, as a user configures them: a real
// database carrying golang-migrate's and Prisma's history tables (exact DDL
// of each tool, cited in their readers), gauges on the metrics, findings in
// check's report, and no zeros when the database is down.
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { PROBE_KINDS } from '../../probes/index.js'
import { main, type Io } from '../../src/cli.js'
import { loadConfig } from '../../src/config/load.js'
import { writeConfig } from '../helpers/config.js'
import { find, parseExposition, value } from '../helpers/metrics.js'
import { harness as round } from '../helpers/round.js'
import { closedPort, httpServer } from '../helpers/servers.js'
import { scratch } from './harness.js'

const scratchDb = scratch('probe')
let DB = ''
const url = (db: string, port = 5432) => `postgres://postgres@127.0.0.1:${port}/${db}`

t.before(async () => {
  DB = await scratchDb.newDb()
  const sql = (text: string, params: unknown[] = []) => scratchDb.sql(DB, text, params)
  // golang-migrate: ensureVersionTable + SetVersion(2, false).
  await sql('CREATE TABLE IF NOT EXISTS "schema_migrations" (version bigint not null primary key, dirty boolean not null)')
  await sql('INSERT INTO schema_migrations (version, dirty) VALUES (2, false)')
  // Prisma: _prisma_migrations as prisma-engines creates it; one applied, one failed.
  await sql(
    `CREATE TABLE _prisma_migrations (id VARCHAR(36) PRIMARY KEY NOT NULL, checksum VARCHAR(64) NOT NULL, finished_at TIMESTAMPTZ,
      migration_name VARCHAR(255) NOT NULL, logs TEXT, rolled_back_at TIMESTAMPTZ, started_at TIMESTAMPTZ NOT NULL DEFAULT now(), applied_steps_count INTEGER NOT NULL DEFAULT 0)`,
  )
  await sql(`INSERT INTO _prisma_migrations VALUES ('a', $1, '2026-11-01T10:00:00Z', '20261101_init', NULL, NULL, '2026-11-01T10:00:00Z', 1)`, [sha(INIT_SQL)])
  await sql(`INSERT INTO _prisma_migrations VALUES ('b', $1, NULL, '20261102_users', 'ERROR: relation exists', NULL, '2026-11-02T10:00:00Z', 0)`, [sha(USERS_SQL)])
  // A knex_migrations that is not knex's: its reader cannot read it.
  await sql('CREATE TABLE knex_migrations (id serial PRIMARY KEY)')
})
t.teardown(scratchDb.cleanup)

const INIT_SQL = 'CREATE TABLE a (id int);\n'
const USERS_SQL = 'CREATE TABLE users (id int);\n'
const sha = (text: string) => createHash('sha256').update(text).digest('hex')

function project(port = 5432) {
  const { dir, file } = writeConfig(`
services:
  - name: db
    group: infrastructure
    probe: postgres
    url: ${url(DB, port)}
    migrations:
      - { tool: golang-migrate, dir: db/migrations }
      - { tool: prisma, dir: prisma/migrations }
`)
  mkdirSync(join(dir, 'db/migrations'), { recursive: true })
  for (const f of ['1_init.up.sql', '1_init.down.sql', '2_users.up.sql', '3_posts.up.sql']) writeFileSync(join(dir, 'db/migrations', f), 'SELECT 1;\n')
  for (const [name, text] of [['20261101_init', INIT_SQL], ['20261102_users', USERS_SQL], ['20261103_posts', 'CREATE TABLE posts (id int);\n']]) {
    mkdirSync(join(dir, 'prisma/migrations', name!), { recursive: true })
    writeFileSync(join(dir, 'prisma/migrations', name!, 'migration.sql'), text!)
  }
  return { dir, file }
}

/** One scheduled round of the config, as the daemon runs it, and the metrics it leaves. */
async function metricsOf(file: string) {
  const run = round(await loadConfig(file, PROBE_KINDS, {}))
  const snapshot = await run.runAll()
  return { samples: parseExposition(await run.metrics()), snapshot }
}

t.test('each tool its gauges, relative dirs starting at the config file', async (t) => {
  const { file } = project()
  const { samples: s, snapshot } = await metricsOf(file)
  const gm = { service: 'db', tool: 'golang-migrate' }
  const pr = { service: 'db', tool: 'prisma' }
  t.equal(value(s, 'groundtruth_service_up', { service: 'db' }), 1, 'pending migrations do not make the database down')
  const facts = snapshot.records[0]!.last!.facts.migrations!
  t.same(facts.map((m) => [m.tool, m.names.pending, m.names.failed]), [['golang-migrate', ['3'], []], ['prisma', ['20261103_posts'], ['20261102_users']]], "the run's facts")
  t.same(
    ['applied', 'available', 'pending', 'failed', 'unknown', 'checksum_mismatch', 'heads', 'read_ok'].map((m) => value(s, `groundtruth_migration_${m}`, gm)),
    [2, 3, 1, 0, 0, 0, 1, 1],
  )
  t.same(
    ['applied', 'available', 'pending', 'failed', 'unknown', 'checksum_mismatch', 'read_ok'].map((m) => value(s, `groundtruth_migration_${m}`, pr)),
    [1, 3, 1, 1, 0, 0, 1],
  )
  t.equal(value(s, 'groundtruth_migration_last_applied_timestamp_seconds', pr), Date.parse('2026-11-01T10:00:00Z') / 1000)
  t.same(find(s, 'groundtruth_migration_last_applied_timestamp_seconds', gm), [], 'golang-migrate keeps no time')
})

t.test('check and report name the pending and failed migrations', async (t) => {
  const { file, dir } = project()
  let out = ''
  const io: Io = { stdout: (x) => void (out += x), stderr: () => {}, isTTY: false, cwd: dir, env: {} }
  t.equal(await main(['check', '--config', file], io), 1, 'pending and failed migrations fail the verdict')
  t.match(out, /Migrations db golang-migrate: 2 applied, 3 on disk, 1 not applied yet \(3\); current 2/)
  t.match(out, /Migrations db prisma: 1 applied, 3 on disk, 1 not applied yet \(20261103_posts\), 1 failed \(20261102_users\)/)
  out = ''
  t.equal(await main(['report', '--config', file], io), 0)
  t.match(out, /## Migrations/)
  t.match(out, /\| db \| prisma \| 20261101_init \| 1 \| 3 \| 1 \| 1 \| 0 \| 0 \| \d \|/)
  out = ''
  t.equal(await main(['check', '--config', file, '--format', 'json'], io), 1)
  const db = JSON.parse(out).services[0]
  t.same(db.migrations.map((m: { tool: string; names: { pending: string[] } }) => [m.tool, m.names.pending]), [['golang-migrate', ['3']], ['prisma', ['20261103_posts']]])
})

t.test('pending migrations hold the database and what depends on it back from ready; fail_on and gates narrow it', async (t) => {
  const { file, dir } = project()
  const api = await httpServer((_req, res) => res.end('ok'))
  t.teardown(api.close)
  const dependent = `  - { name: api, group: backend, probe: http, url: "http://127.0.0.1:${api.port}/", depends_on: [db] }\n`
  writeFileSync(file, readFileSync(file, 'utf8') + dependent)
  let out = ''
  const io: Io = { stdout: (x) => void (out += x), stderr: () => {}, isTTY: false, cwd: dir, env: {} }
  t.equal(await main(['check', '--config', file, '--format', 'json'], io), 1)
  let doc = JSON.parse(out)
  const [db, apiStatus] = doc.services
  t.match(db, { up: true, ready: false, state: 'not_ready' })
  t.same(db.causes.map((c: { cause: string }) => c.cause), ['migrations'])
  t.same(
    db.causes[0].findings.map((f: { subject: string; kind: string; names: string[] }) => [f.subject, f.kind, f.names]),
    [
      ['golang-migrate', 'pending', ['3']],
      ['prisma', 'pending', ['20261103_posts']],
      ['prisma', 'failed', ['20261102_users']],
    ],
  )
  t.match(apiStatus, { up: true, ready: false, causes: [{ cause: 'dependency', services: ['db'], roots: [] }] })
  t.same(doc.gates.failures, [
    'ready ratio 0% is below the gate of 100%',
    'db golang-migrate: 1 migration not applied yet (3)',
    'db prisma: 1 migration not applied yet (20261103_posts)',
    'db prisma: 1 migration failed or left unfinished (20261102_users)',
  ])
  t.same(doc.findings.map((f: { summary: string; blocks: string[] }) => [f.summary, f.blocks]), [
    ['db golang-migrate: 1 migration not applied yet (3)', ['db', 'api']],
    ['db prisma: 1 migration not applied yet (20261103_posts)', ['db', 'api']],
    ['db prisma: 1 migration failed or left unfinished (20261102_users)', ['db', 'api']],
  ])

  // fail_on narrows what holds the database back; the gates still see every finding.
  writeFileSync(file, readFileSync(file, 'utf8').replace('{ tool: golang-migrate, dir: db/migrations }', '{ tool: golang-migrate, dir: db/migrations, fail_on: [failed] }').replace('{ tool: prisma, dir: prisma/migrations }', '{ tool: prisma, dir: prisma/migrations, fail_on: [unknown] }'))
  out = ''
  t.equal(await main(['check', '--config', file, '--format', 'json'], io), 1)
  doc = JSON.parse(out)
  t.same(doc.services.map((s: { ready: boolean }) => s.ready), [true, true], 'nothing in fail_on is present: ready')
  t.equal(doc.gates.failures.length, 3)

  writeFileSync(file, readFileSync(file, 'utf8') + 'gates: { migrations: [] }\n')
  out = ''
  t.equal(await main(['check', '--config', file, '--format', 'json'], io), 0, 'gates: { migrations: [] } restores exit 0')
})

t.test('a missing directory is a finding; a down database emits no migration gauges', async (t) => {
  const { file, dir } = project()
  writeFileSync(file, readFileSync(file, 'utf8').replace('dir: db/migrations', 'dir: db/nowhere'))
  const { samples: s } = await metricsOf(file)
  const gm = { service: 'db', tool: 'golang-migrate' }
  t.equal(value(s, 'groundtruth_migration_read_ok', gm), 0)
  t.equal(value(s, 'groundtruth_migration_failed', gm), 0, 'what the database alone says still shows')
  t.same(find(s, 'groundtruth_migration_applied', gm), [], 'golang-migrate counts applied files: unknown without them')
  t.same(find(s, 'groundtruth_migration_available', gm), [], 'nothing counted from a directory that is not there')
  t.same(find(s, 'groundtruth_migration_pending', gm), [])

  const down = project(await closedPort())
  const { samples: d, snapshot } = await metricsOf(down.file)
  t.equal(value(d, 'groundtruth_service_up', { service: 'db' }), 0)
  t.same(snapshot.records[0]!.last!.facts, {}, 'a run that did not reach the database has no migration facts')
  t.same(d.filter((x) => x.name.startsWith('groundtruth_migration_')), [], 'no zeros that would look healthy')
  t.ok(dir)
})

t.test('a reader that fails: its error and read_ok 0, no counts; the other tools are still read', async (t) => {
  const { file } = project()
  writeFileSync(file, readFileSync(file, 'utf8').replace('      - { tool: prisma, dir: prisma/migrations }', '      - { tool: knex, dir: db/migrations }\n      - { tool: prisma, dir: prisma/migrations }'))
  const { samples: s, snapshot } = await metricsOf(file)
  const kx = { service: 'db', tool: 'knex' }
  t.equal(value(s, 'groundtruth_service_up', { service: 'db' }), 1, 'a migration reader does not make the database down')
  t.equal(value(s, 'groundtruth_migration_read_ok', kx), 0)
  t.same(s.filter((x) => x.labels.tool === 'knex').map((x) => x.name), ['groundtruth_migration_read_ok'], 'no counts that would look healthy')
  const knex = snapshot.records[0]!.last!.facts.migrations!.find((m) => m.tool === 'knex')!
  t.match(knex.error, /column "name" does not exist/)
  t.equal(value(s, 'groundtruth_migration_read_ok', { service: 'db', tool: 'prisma' }), 1, 'the next tool is read all the same')
})

t.test('config: unknown tool and a tool twice are refused with their key path', async (t) => {
  const bad = writeConfig(`services:\n  - { name: db, probe: postgres, url: "postgres://h/db", migrations: { tool: liquibase, dir: x } }\n`)
  await t.rejects(loadConfig(bad.file, PROBE_KINDS, {}), /services\[0\]\.migrations(\.tool)?: /)
  const twice = writeConfig(`services:\n  - { name: db, probe: postgres, url: "postgres://h/db", migrations: [{ tool: knex, dir: a }, { tool: knex, dir: b }] }\n`)
  await t.rejects(loadConfig(twice.file, PROBE_KINDS, {}), /services\[0\]\.migrations: expected each tool once per service/)
})
