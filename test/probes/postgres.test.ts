// The postgres probe against the machine's real server (127.0.0.1:5432,
// trust auth, no TLS), through the real config path and the real runner.
// A fresh database with a unique name holds the schemas and tables checked;
// it is dropped at the end. Password auth and TLS need a server configured
// for them: see postgres-cluster.test.ts.
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import t from 'tap'
import { PROBE_KINDS } from '../../probes/index.js'
import postgres from '../../probes/postgres/index.js'
import { checkFailure } from '../../probes/postgres/inspect.js'
import { parseConfig } from '../../src/config/load.js'
import type { ProbeError } from '../../src/probe.js'
import type { RunResult } from '../../src/runner.js'
import { checkPairs, detailOf, runService } from '../helpers/probe-run.js'
import { closedPort, tarpit } from '../helpers/servers.js'
import { clientSockets, settle, socketHandles } from '../helpers/sockets.js'

const baseline = socketHandles()

const suffix = randomBytes(4).toString('hex')
const DB = `gt_probe_${suffix}`
// Trust auth ignores it, so it can ride along in every URL: it must never come back out.
const PLANTED = `pg-Pl4nted-${randomBytes(6).toString('hex')}`
const URL_OK = `postgres://postgres:${PLANTED}@127.0.0.1:5432/${DB}`
/** For the many query cases: one connection each instead of prefer's TLS attempt first. */
const URL_PLAIN = `${URL_OK}?sslmode=disable`
const results: RunResult[] = []

async function admin(sql: string, database = 'postgres'): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database, ssl: false })
  client.on('error', () => {})
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}

async function probe(fields: Record<string, unknown>) {
  const ran = await runService({ probe: 'postgres', ...fields })
  results.push(ran.result)
  return ran
}

t.before(async () => {
  await admin(`CREATE DATABASE ${DB}`)
  await admin(
    `CREATE SCHEMA core; CREATE SCHEMA ai;
     CREATE TABLE core.users (id int PRIMARY KEY, email text);
     CREATE TABLE ai.embeddings (id int, v float8[]);
     CREATE TABLE public."Meeting" (id int);
     CREATE VIEW public.active_users AS SELECT * FROM core.users;
     INSERT INTO core.users VALUES (1, 'a@example.com');`,
    DB,
  )
})

t.teardown(async () => {
  await admin(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`)
})

t.test('every expectation met', async (t) => {
  const { result, service } = await probe({
    url: URL_OK,
    expect: {
      schemas: ['core', 'ai', 'public'],
      // 'Meeting' is what SPEC's `tables: [users, "Meeting"]` becomes once YAML drops the quotes.
      tables: ['users', 'core.users', 'ai.embeddings', '"Meeting"', 'public."Meeting"', 'CORE.Users', 'Meeting'],
      min_tables: 3,
      query: 'SELECT count(*) > 0 FROM core.users',
    },
  })
  t.equal(result.ok, true, result.error ?? '')
  t.equal(result.reason, undefined)
  t.same(checkPairs(result), [
    ['schema:core', true],
    ['schema:ai', true],
    ['schema:public', true],
    ['table:users', true],
    ['table:core.users', true],
    ['table:ai.embeddings', true],
    ['table:"Meeting"', true],
    ['table:public."Meeting"', true],
    ['table:CORE.Users', true],
    ['table:Meeting', true],
    ['min_tables', true],
    ['query', true],
  ])
  t.equal(detailOf(result, 'table:users'), 'found core.users', 'unqualified: any non-system schema, off the search_path too')
  t.equal(detailOf(result, 'table:"Meeting"'), 'found public."Meeting"')
  t.equal(detailOf(result, 'table:Meeting'), 'found public."Meeting"', 'unquoted mixed case: the table of exactly that name')
  t.equal(detailOf(result, 'min_tables'), '3 tables in non-system schemas (at least 3 expected)', 'the view is not counted')
  t.equal(detailOf(result, 'query'), "the query's first cell was true")
  t.equal(result.info.database, DB)
  t.match(result.info.server_version, /^\d+(\.\d+)?/)
  t.equal(result.info.encrypted, false, 'sslmode=prefer fell back to plain: this server has ssl=off')
  t.equal(result.info.tables, 3)
  t.equal(postgres.target(service as never), `127.0.0.1:5432/${DB}`)
  t.same(postgres.checkNames(service as never), result.checks.map((c) => c.name))
})

t.test('each expectation failing', async (t) => {
  const { result } = await probe({
    url: URL_OK,
    expect: {
      schemas: ['core', 'missing_schema', 'CORE', '"CORE"'],
      tables: ['MEETING', '"meeting"', 'public.users', 'no_such_table', 'active_users', 'core."Users"'],
      min_tables: 99,
      query: 'SELECT count(*) = 0 FROM core.users',
    },
  })
  t.equal(result.ok, false)
  t.equal(result.reason, 'expectation')
  t.same(checkPairs(result), [
    ['schema:core', true],
    ['schema:missing_schema', false],
    ['schema:CORE', true],
    ['schema:"CORE"', false],
    ['table:MEETING', false],
    ['table:"meeting"', false],
    ['table:public.users', false],
    ['table:no_such_table', false],
    ['table:active_users', false],
    ['table:core."Users"', false],
    ['min_tables', false],
    ['query', false],
  ])
  t.equal(detailOf(result, 'schema:missing_schema'), 'no schema missing_schema')
  t.equal(detailOf(result, 'schema:"CORE"'), 'no schema "CORE" (core exists: quoted names match case exactly)')
  t.equal(
    detailOf(result, 'table:MEETING'),
    'no table meeting in any non-system schema (public."Meeting" exists: an unquoted name matches as written or in lower case)',
  )
  t.equal(detailOf(result, 'table:"meeting"'), 'no table meeting in any non-system schema (public."Meeting" exists: quoted names match case exactly)')
  t.equal(detailOf(result, 'table:public.users'), 'no table public.users', 'qualified: that schema only')
  t.equal(detailOf(result, 'table:no_such_table'), 'no table no_such_table in any non-system schema')
  t.equal(detailOf(result, 'table:active_users'), 'no table active_users in any non-system schema: public.active_users is a view')
  t.equal(detailOf(result, 'table:core."Users"'), 'no table core."Users" (core.users exists: quoted names match case exactly)')
  t.equal(detailOf(result, 'min_tables'), '3 tables in non-system schemas (at least 99 expected)')
  t.equal(detailOf(result, 'query'), "the query's first cell was false")
  t.match(result.error, /^schema:missing_schema: no schema missing_schema; schema:"CORE": /)
  t.equal(result.info.database, DB, 'facts are reported even when checks fail')
})

t.test('query: errors, writes and multiple statements make the check 0 with the SQLSTATE', async (t) => {
  const cases: [string, string][] = [
    ['SELECT count(*) > 0 FROM no_such_relation', 'SQLSTATE 42P01: relation "no_such_relation" does not exist'],
    ['SELEC 1', 'SQLSTATE 42601: syntax error at or near "SELEC"'],
    ["INSERT INTO core.users VALUES (2, 'b') RETURNING true", 'SQLSTATE 25006: cannot execute INSERT in a read-only transaction'],
    ['CREATE TABLE core.sneaky (id int)', 'SQLSTATE 25006: cannot execute CREATE TABLE in a read-only transaction'],
    ['SELECT true; COMMIT; DROP TABLE core.users', 'SQLSTATE 42601: cannot insert multiple commands into a prepared statement'],
    ['SET TRANSACTION READ WRITE', 'SQLSTATE 25001: transaction read-write mode must be set before any query'],
  ]
  const ran = await Promise.all(cases.map(([query]) => probe({ url: URL_PLAIN, expect: { tables: ['core.users'], query } })))
  for (const [i, [query, detail]] of cases.entries()) {
    const { result } = ran[i]!
    t.equal(result.ok, false, query)
    t.equal(result.reason, 'expectation', query)
    t.same(checkPairs(result), [
      ['table:core.users', true],
      ['query', false],
    ])
    t.equal(detailOf(result, 'query'), detail, query)
  }
  // Nothing was written.
  const { result } = await probe({ url: URL_PLAIN, expect: { tables: ['core.users'], query: "SELECT count(*) = 1 AND NOT EXISTS (SELECT FROM pg_tables WHERE tablename = 'sneaky') FROM core.users" } })
  t.equal(result.ok, true, result.error ?? '')
})

t.test('query: truthiness of the first cell', async (t) => {
  const cases: [string, boolean, string][] = [
    ['SELECT count(*) FROM core.users', true, 'the query\'s first cell was "1", which counts as true'],
    ['SELECT count(*) FROM core.users WHERE false', false, 'the query\'s first cell was "0", which counts as false'],
    ['SELECT 0.000::numeric', false, 'the query\'s first cell was "0.000", which counts as false'],
    ["SELECT 'ok'", true, 'the query\'s first cell was "ok", which counts as true'],
    ["SELECT ''", false, 'the query\'s first cell was "", which counts as false'],
    ['SELECT NULL', false, "the query's first cell was null, which counts as false"],
    ['SELECT 1 WHERE false', false, 'the query returned no rows'],
    ['SELECT 2, false', true, "the query's first cell was 2, which counts as true"],
  ]
  const ran = await Promise.all(cases.map(([query]) => probe({ url: URL_PLAIN, expect: { query } })))
  for (const [i, [query, ok, detail]] of cases.entries()) {
    const { result } = ran[i]!
    t.same(checkPairs(result), [['query', ok]], query)
    t.equal(detailOf(result, 'query'), detail, query)
  }
})

t.test('a slow query is cut by statement_timeout within the probe timeout', async (t) => {
  const { result, ms } = await probe({ url: URL_OK, timeout: '2s', expect: { schemas: ['core'], query: 'SELECT pg_sleep(10) IS NULL' } })
  t.equal(result.ok, false)
  t.equal(result.reason, 'timeout')
  t.same(checkPairs(result), [
    ['schema:core', true],
    ['query', false],
  ])
  t.match(detailOf(result, 'query'), /^SQLSTATE 57014: canceling statement due to statement timeout \(statement_timeout [\d.]+m?s, within the probe timeout\)$/)
  t.ok(ms <= 2000 * 1.1 + 50, `took ${Math.round(ms)}ms`)
})

t.test('a short timeout: no backend is left running the query', async (t) => {
  // Whether statement_timeout or the runner's deadline answers first, the
  // backend's pg_sleep must end: Postgres does not notice a vanished client mid-query.
  const { result, ms } = await probe({ url: URL_OK, timeout: '500ms', expect: { query: 'SELECT pg_sleep(30) IS NULL' } })
  t.equal(result.reason, 'timeout')
  t.ok(ms <= 500 * 1.1 + 50, `took ${Math.round(ms)}ms`)
  let busy = -1
  for (let i = 0; i < 20 && busy !== 0; i++) {
    await new Promise((r) => setTimeout(r, 100))
    const client = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres', ssl: false })
    await client.connect()
    const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'groundtruth'`, [DB])
    await client.end()
    busy = rows[0]!.n
  }
  t.equal(busy, 0, 'no groundtruth backend left running in the database')
})

t.test('missing database: error with SQLSTATE 3D000 in info and message', async (t) => {
  const { result } = await probe({ url: `postgres://postgres:${PLANTED}@127.0.0.1:5432/${DB}_nope`, expect: { tables: ['users'], query: 'SELECT true' } })
  t.equal(result.ok, false)
  t.equal(result.reason, 'error')
  t.equal(result.error, `database "${DB}_nope" does not exist (SQLSTATE 3D000)`)
  t.same(result.info, { sqlstate: '3D000', encrypted: false })
  t.same(result.checks, [
    { name: 'table:users', ok: false, detail: 'not evaluated: error' },
    { name: 'query', ok: false, detail: 'not evaluated: error' },
  ])
})

t.test('unknown role: auth (SQLSTATE 28000, even under trust)', async (t) => {
  const { result } = await probe({ url: `postgresql://gt_nobody_${suffix}:${PLANTED}@127.0.0.1:5432/${DB}` })
  t.equal(result.ok, false)
  t.equal(result.reason, 'auth')
  t.equal(result.error, `role "gt_nobody_${suffix}" does not exist (SQLSTATE 28000)`)
  t.equal(result.info.sqlstate, '28000')
})

t.test('closed port: refused', async (t) => {
  const port = await closedPort()
  const { result } = await probe({ url: `postgres://postgres:${PLANTED}@127.0.0.1:${port}/${DB}`, expect: { min_tables: 1 } })
  t.equal(result.reason, 'refused')
  t.same(checkPairs(result), [['min_tables', false]])
})

t.test('tarpit: timeout within the bound, socket closed', async (t) => {
  const pit = await tarpit()
  t.teardown(() => pit.close())
  for (const sslmode of ['prefer', 'disable']) {
    const { result, ms } = await probe({ url: `postgres://postgres:${PLANTED}@127.0.0.1:${pit.port}/${DB}?sslmode=${sslmode}`, timeout: '600ms', expect: { schemas: ['core'] } })
    t.equal(result.reason, 'timeout', sslmode)
    t.equal(result.error, 'no answer within the 600ms timeout')
    t.same(checkPairs(result), [['schema:core', false]])
    t.ok(ms >= 590 && ms <= 600 * 1.1 + 50, `${sslmode}: took ${Math.round(ms)}ms`)
    await settle()
    t.same(clientSockets(), [], 'the probe closed its connection to the tarpit')
  }
})

t.test('sslmode against a server without TLS', async (t) => {
  const at = (mode: string) => `postgres://postgres:${PLANTED}@127.0.0.1:5432/${DB}?sslmode=${mode}`
  for (const mode of ['disable', 'allow', 'prefer']) {
    const { result } = await probe({ url: at(mode) })
    t.equal(result.ok, true, `${mode}: ${result.error}`)
    t.equal(result.info.encrypted, false, mode)
  }
  for (const mode of ['require', 'no-verify', 'verify-ca', 'verify-full']) {
    const { result } = await probe({ url: at(mode) })
    t.equal(result.reason, 'tls', mode)
    t.equal(result.error, `the server does not support SSL connections (sslmode=${mode})`)
  }
})

t.test('a quoted name with a doubled quote', async (t) => {
  const { result } = await probe({ url: URL_PLAIN, expect: { tables: ['"odd""name"'] } })
  t.equal(detailOf(result, 'table:"odd""name"'), 'no table "odd""name" in any non-system schema')
})

t.test('a server error during the checks: timeout when statement_timeout cancelled it, else error, with the SQLSTATE', async (t) => {
  const dbError = (code: string, message: string) => Object.assign(new pg.DatabaseError(message, 0, 'error'), { code })
  const cancelled = checkFailure(dbError('57014', 'canceling statement due to statement timeout')) as ProbeError
  t.equal(cancelled.reason, 'timeout')
  t.equal(cancelled.message, 'no answer within the probe timeout (canceling statement due to statement timeout)')
  t.same(cancelled.info, { sqlstate: '57014' })
  const other = checkFailure(dbError('XX000', 'internal error')) as ProbeError
  t.equal(other.reason, 'error')
  t.equal(other.message, 'internal error (SQLSTATE XX000)')
  const socket = new Error('Connection terminated unexpectedly')
  t.equal(checkFailure(socket), socket, 'not a server error: left to the classifier')
})

t.test('expect.max_latency: connecting, logging in and SELECT 1, judged by the runner', async (t) => {
  // The query sleeps past the limit: the checks are not what max_latency measures.
  const { result, service } = await probe({ url: URL_PLAIN, expect: { tables: ['core.users'], query: 'SELECT true FROM pg_sleep(0.3)', max_latency: '250ms' } })
  t.equal(result.ok, true, result.error ?? '')
  t.same(checkPairs(result), [
    ['table:core.users', true],
    ['query', true],
    ['max_latency', true],
  ])
  t.match(detailOf(result, 'max_latency'), /^\d.* to connect, log in and SELECT 1 \(limit 250ms\)$/)
  t.ok(result.durationSeconds > 0.3, 'the whole run took longer than the limit')
  t.same(postgres.checkNames(service as never), ['table:core.users', 'query'], 'the kind does not list it: the runner adds it')
  t.type(result.info.latency_ms, 'number')

  const slow = await probe({ url: URL_PLAIN, expect: { max_latency: '1ms' } })
  t.equal(slow.result.ok, false)
  t.equal(slow.result.reason, 'expectation')
  t.same(checkPairs(slow.result), [['max_latency', false]])
})

t.test('config validation', async (t) => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ url: 'mysql://u:p@h/db' }, /url: expected a URL starting with postgres:\/\/ or postgresql:\/\//],
    [{ url: 'postgres:///db' }, /url: expected a host in the URL/],
    [{ url: 'postgres://h/db?sslmode=sometimes' }, /url: expected sslmode to be one of disable, allow, prefer, require, no-verify, verify-ca, verify-full, got "sometimes"/],
    [{ url: 'postgres://h/db?sslmode=verify-ca&sslrootcert=/nonexistent/ca.pem' }, /url: expected sslrootcert to be a readable file/],
    [{ url: 'postgres://h/db', expect: { tables: ['a.b.c'] } }, /expect\.tables\[0\]: expected "table" or "schema\.table"$/],
    [{ url: 'postgres://h/db', expect: { tables: ['"open'] } }, /expect\.tables\[0\]: unterminated quote/],
    [{ url: 'postgres://h/db', expect: { tables: ['users', 'users'] } }, /expect\.tables: expected each table once/],
    [{ url: 'postgres://h/db', expect: { schemas: ['core.x'] } }, /expect\.schemas\[0\]: expected a schema name/],
    [{ url: 'postgres://h/db', expect: { min_tables: -1 } }, /expect\.min_tables/],
    [{ url: 'postgres://h/db', expect: { query: '  ' } }, /expect\.query/],
    [{ url: 'postgres://h/db', expect: { tabels: ['x'] } }, /tabels/],
    [{ url: 'postgres://h/db', expect: { tables: ['users;'] } }, /expect\.tables\[0\]: unexpected ";" in the value/],
    [{ url: 'postgres://h/db', expect: { tables: ['""'] } }, /expect\.tables\[0\]: empty quoted name/],
    [{ url: 'postgres://h/db', expect: { tables: ['core.'] } }, /expect\.tables\[0\]: expected a SQL name/],
  ]
  for (const [fields, message] of bad) {
    t.throws(() => parseConfig(JSON.stringify({ services: [{ name: 'pg', probe: 'postgres', ...fields }] }), 'x.yml', PROBE_KINDS, {}), message, JSON.stringify(fields))
  }
})

t.test('target, secrets and discovery', async (t) => {
  const service = (url: string) => parseConfig(JSON.stringify({ services: [{ name: 'pg', probe: 'postgres', url }] }), 'x.yml', PROBE_KINDS, {}).services[0] as never
  t.equal(postgres.target(service(`postgres://app:${PLANTED}@db.internal:6543/app_prod?sslmode=require`)), 'db.internal:6543/app_prod')
  t.equal(postgres.target(service('postgresql://app@[::1]/app')), '[::1]:5432/app')
  t.equal(postgres.target(service('postgres://app@db')), 'db:5432/app', 'the database defaults to the user name, as in libpq')
  t.equal(postgres.target(service('postgres://a%ZZ@db')), 'db:5432/a%ZZ', 'a malformed escape is kept as written')
  const config = parseConfig(JSON.stringify({ services: [{ name: 'pg', probe: 'postgres', url: `postgres://app:${encodeURIComponent(PLANTED + '/@')}@h/db` }] }), 'x.yml', PROBE_KINDS, {})
  t.equal(config.secrets.redact(`x ${PLANTED}/@ y`), 'x *** y')

  t.same(postgres.discover!({ DATABASE_URL: URL_OK }), [{ from: 'DATABASE_URL', service: { name: 'postgres', group: 'infrastructure', probe: 'postgres', url: URL_OK } }])
  t.same(postgres.discover!({ DATABASE_URL: 'file:./dev.db', POSTGRES_URL: 'postgresql://u@h/d' }), [
    { from: 'POSTGRES_URL', service: { name: 'postgres', group: 'infrastructure', probe: 'postgres', url: 'postgresql://u@h/d' } },
  ])
  t.same(postgres.discover!({ DATABASE_URL: 'mysql://u@h/d' }), [])
  t.same(postgres.discover!({}), [])
})

t.test('nothing leaked: no secret in any output, no socket left', async (t) => {
  t.ok(results.length > 20)
  for (const result of results) t.notOk(JSON.stringify(result).includes(PLANTED), `${result.error ?? 'ok'}`)
  await settle()
  t.same(socketHandles(), baseline)
  t.same(clientSockets(), [])
})
