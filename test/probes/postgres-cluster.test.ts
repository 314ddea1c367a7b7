// The postgres probe against a throwaway cluster started for this file
// (initdb + pg_ctl, see helpers/pg-cluster.ts): SCRAM password auth and TLS
// with a private CA, which the machine's trust-auth, TLS-less server cannot
// show. pg_hba accepts TLS connections only, so a plain attempt is refused
// with SQLSTATE 28000 and sslmode=allow has to fall back to TLS.
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import t from 'tap'
import type { RunResult } from '../../src/runner.js'
import { startCluster, type Cluster } from '../helpers/pg-cluster.js'
import { checkPairs, runService } from '../helpers/probe-run.js'
import { clientSockets, settle, socketHandles } from '../helpers/sockets.js'

/** A CA that signed nothing the server has (EC: quicker to make than makeCert's RSA). */
function unrelatedCa(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gt-ca-'))
  const file = join(dir, 'ca.pem')
  const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'ca.key'), '-out', file, '-days', '2', '-subj', '/CN=unrelated CA']
  execFileSync('openssl', args, { stdio: 'pipe' })
  return file
}

const baseline = socketHandles()
const hex = (n: number) => randomBytes(n).toString('hex')
const SUPER = `pg-Pl4nted-super-${hex(6)}`
const PASSWORD = `pg-Pl4nted-${hex(6)}`
const WRONG = `pg-Pl4nted-wrong-${hex(6)}`
const ROLE = `gt_app_${hex(3)}`
const DB = `gt_app_${hex(3)}`
const results: RunResult[] = []
let cluster: Cluster

t.before(async () => {
  cluster = await startCluster(SUPER)
  await cluster.sql(`CREATE ROLE ${ROLE} LOGIN PASSWORD '${PASSWORD}'`)
  await cluster.sql(`CREATE DATABASE ${DB} OWNER ${ROLE}`)
  await cluster.sql(`CREATE SCHEMA ai AUTHORIZATION ${ROLE}; CREATE TABLE ai.embeddings (id int); ALTER TABLE ai.embeddings OWNER TO ${ROLE}`, DB)
})

t.teardown(async () => {
  await cluster?.stop()
})

const url = (opts: { password?: string; host?: string; query?: string } = {}) =>
  `postgres://${ROLE}${opts.password === '' ? '' : `:${encodeURIComponent(opts.password ?? PASSWORD)}`}@${opts.host ?? '127.0.0.1'}:${cluster.port}/${DB}${opts.query ? `?${opts.query}` : ''}`

async function probe(fields: Record<string, unknown>) {
  const ran = await runService({ probe: 'postgres', timeout: '5s', ...fields })
  results.push(ran.result)
  return ran.result
}

t.test('right password over verified TLS', async (t) => {
  const result = await probe({ url: url({ query: 'sslmode=verify-full' }), tls: { ca_file: cluster.cert.caFile }, expect: { schemas: ['ai'], tables: ['ai.embeddings'], min_tables: 1, query: 'SELECT current_user = session_user' } })
  t.equal(result.ok, true, result.error ?? '')
  t.same(checkPairs(result), [
    ['schema:ai', true],
    ['table:ai.embeddings', true],
    ['min_tables', true],
    ['query', true],
  ])
  t.equal(result.info.database, DB)
  t.equal(result.info.encrypted, true)
  t.match(result.info.tls_version, /^TLSv1\.[23]$/)
})

t.test('wrong password: auth (SQLSTATE 28P01)', async (t) => {
  const result = await probe({ url: url({ password: WRONG, query: 'sslmode=require' }), expect: { tables: ['ai.embeddings'] } })
  t.equal(result.ok, false)
  t.equal(result.reason, 'auth')
  t.equal(result.error, `password authentication failed for user "${ROLE}" (SQLSTATE 28P01)`)
  t.same(result.info, { sqlstate: '28P01', encrypted: true })
  t.same(checkPairs(result), [['table:ai.embeddings', false]])
})

t.test('wrong password with allow/prefer: the password failure is the finding, whichever try saw it', async (t) => {
  const hba = /no pg_hba\.conf entry for host "127\.0\.0\.1", user "gt_app_\w+", database "gt_app_\w+", no encryption \(SQLSTATE 28000\)/
  for (const mode of ['prefer', 'allow']) {
    const result = await probe({ url: url({ password: WRONG, query: `sslmode=${mode}` }) })
    t.equal(result.reason, 'auth', mode)
    t.match(result.error, new RegExp(`^password authentication failed for user "${ROLE}" \\(SQLSTATE 28P01\\); without TLS: ${hba.source}$`), mode)
    t.same(result.info, { sqlstate: '28P01', encrypted: true }, mode)
  }
})

t.test('no password in the URL while the server asks for one: auth', async (t) => {
  process.env.PGPASSWORD = PASSWORD // not consulted: the URL is the whole truth
  t.teardown(() => delete process.env.PGPASSWORD)
  const result = await probe({ url: url({ password: '', query: 'sslmode=require' }) })
  t.equal(result.reason, 'auth')
  t.equal(result.error, 'the server asks for a password and the URL has none')
})

t.test('sslmode as libpq means it', async (t) => {
  const otherCa = unrelatedCa()
  t.teardown(() => rmSync(dirname(otherCa), { recursive: true, force: true }))
  const cases: [string, Record<string, unknown>, { ok: true } | { reason: string; error: RegExp }][] = [
    // pg_hba has hostssl lines only: a plain connection is turned away by the server.
    ['sslmode=disable', {}, { reason: 'auth', error: /^no pg_hba\.conf entry for host "127\.0\.0\.1", user "gt_app_\w+", database "gt_app_\w+", no encryption \(SQLSTATE 28000\)$/ }],
    ['sslmode=allow', {}, { ok: true }],
    ['sslmode=prefer', {}, { ok: true }],
    ['', {}, { ok: true }],
    // require: encrypted, nothing verified (the CA is unknown, the name would not match).
    ['sslmode=require', {}, { ok: true }],
    ['sslmode=require', { host: '127.0.0.2' }, { ok: true }],
    ['sslmode=no-verify', {}, { ok: true }],
    // require with a CA verifies the chain (as libpq with a root.crt), not the name.
    ['sslmode=require', { host: '127.0.0.2', ca: true }, { ok: true }],
    ['sslmode=require', { otherCa: true }, { reason: 'tls', error: /certificate/i }],
    ['sslmode=verify-ca', { host: '127.0.0.2', ca: true }, { ok: true }],
    ['sslmode=verify-ca', {}, { reason: 'tls', error: /certificate/i }],
    ['sslmode=verify-full', { ca: true }, { ok: true }],
    ['sslmode=verify-full', { host: 'localhost', ca: true }, { ok: true }],
    ['sslmode=verify-full', { host: '127.0.0.2', ca: true }, { reason: 'tls', error: /ERR_TLS_CERT_ALTNAME_INVALID/ }],
    ['sslmode=verify-full', {}, { reason: 'tls', error: /certificate/i }],
    ['sslmode=verify-full', { otherCa: true }, { reason: 'tls', error: /certificate/i }],
  ]
  const ran = await Promise.all(
    cases.map(([query, opts]) =>
      probe({
        url: url({ query, host: opts.host as string | undefined }),
        ...(opts.ca ? { tls: { ca_file: cluster.cert.caFile } } : opts.otherCa ? { tls: { ca_file: otherCa } } : {}),
      }),
    ),
  )
  for (const [i, [query, opts, want]] of cases.entries()) {
    const result = ran[i]!
    const label = `${query || '(no sslmode)'} ${JSON.stringify(opts)}`
    if ('ok' in want) {
      t.equal(result.ok, true, `${label}: ${result.error}`)
      t.equal(result.info.encrypted, true, label)
    } else {
      t.equal(result.reason, want.reason, label)
      t.match(result.error, want.error, label)
    }
  }
  // The URL's sslrootcert works like tls.ca_file.
  const viaUrl = await probe({ url: url({ query: `sslmode=verify-full&sslrootcert=${encodeURIComponent(cluster.cert.caFile)}` }) })
  t.equal(viaUrl.ok, true, viaUrl.error ?? '')
})

t.test('nothing leaked: no password in any output, no socket left', async (t) => {
  t.ok(results.length >= 15)
  for (const result of results) {
    const text = JSON.stringify(result)
    for (const secret of [SUPER, PASSWORD, WRONG]) t.notOk(text.includes(secret), `${result.error ?? 'ok'}`)
  }
  await settle()
  t.same(socketHandles(), baseline)
  t.same(clientSockets(), [])
})
