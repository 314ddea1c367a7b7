// The mongodb probe, through parseConfig and runProbe. No MongoDB server can
// be installed on this machine: the servers here are mongodb-mock-server
// (test/helpers/mongo-mock.ts; "(mongodb-mock-server)" in the test titles)
// given a modern hello and the commands the probe sends, SCRAM-SHA-256
// included, so a right password logs in and a wrong one is refused with code
// 18 as a real server refuses it. Hostile peers (garbage, a tarpit, endless
// streams) are protocol-level fakes from test/hostile/peers.ts, named so.
import { randomBytes } from 'node:crypto'
import dns from 'node:dns'
import { createRequire } from 'node:module'
import t from 'tap'
import { PROBE_KINDS } from '../../probes/index.js'
import { parseMongoUrl, wantsDirect } from '../../probes/mongodb/url.js'
import { FrameReader } from '../../probes/mongodb/wire.js'
import { parseConfig } from '../../src/config/load.js'
import type { RunResult } from '../../src/runner.js'
import { endless, halfSent, reflecting, type Peer } from '../hostile/peers.js'
import { capturePrinted } from '../helpers/console.js'
import { beatSentinel, checkPairs, detailOf, lateness, runService, type Ran } from '../helpers/probe-run.js'
import { closedPort, tarpit } from '../helpers/servers.js'
import { clientSockets, nothingLeftOpen, settle, socketHandles } from '../helpers/sockets.js'
import { member, mongoMock as startMock, type Behaviour, type MongoMock } from '../helpers/mongo-mock.js'
import { makeCert } from '../helpers/tls.js'

// Taken before any server or probe exists: what the test process holds on its own.
const baseline = socketHandles()
const requireHere = createRequire(import.meta.url)
const driverLoaded = () => Object.keys(requireHere.cache).some((key) => key.includes('/node_modules/mongodb/lib/'))

// Planted secrets: unique, so finding one anywhere in the output is a leak.
const suffix = randomBytes(6).toString('hex')
const USER = 'probe'
// Characters that must be percent-encoded in a URL, to prove the probe decodes them.
const PASSWORD = `gt-mongo/pw:${suffix}@%`
const WRONG = `gt-mongo-wrong-${suffix}`
const SECRETS = [PASSWORD, encodeURIComponent(PASSWORD), WRONG]
const withPassword = (port: number, password = PASSWORD, path = '/app') => `mongodb://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}${path}`

// Everything the driver or the probe might print: it must never carry a secret.
const printed = capturePrinted(t)

/** Every result a probe produced in this file, for the secret scan at the end. */
const results: RunResult[] = []
async function mongodb(url: string, extra: Record<string, unknown> = {}, sentinel?: number): Promise<Ran> {
  const ran = await runService({ probe: 'mongodb', url, timeout: '3s', ...extra }, { sentinel })
  results.push(ran.result)
  return ran
}

const mocks = new Set<MongoMock>()
/** A mongodb-mock-server (test/helpers/mongo-mock.ts), closed at the end of the file. */
async function mongoMock(behaviour: Behaviour = {}, tls?: { key: Buffer; cert: Buffer }): Promise<MongoMock> {
  const m = await startMock(behaviour, tls)
  mocks.add(m)
  const close = async () => {
    if (mocks.delete(m)) await m.close()
  }
  return { ...m, close }
}
t.teardown(async () => {
  await Promise.all([...mocks].map((m) => m.close()))
})

// ------------------------------------------------------------------ tests

t.test('the registry does not load the driver; the first run does', async (t) => {
  t.ok(PROBE_KINDS.has('mongodb'))
  t.equal(driverLoaded(), false, 'not loaded by importing the registry')
  const server = await mongoMock()
  const { result } = await mongodb(`mongodb://127.0.0.1:${server.port}`)
  t.equal(result.ok, true, result.error ?? '')
  t.equal(driverLoaded(), true, 'loaded by the run')
  await server.close()
})

t.test('the URL, read at load as the driver reads it', async (t) => {
  const load = (url: string, extra = '') => parseConfig(`services:\n  - { name: svc, probe: mongodb, url: ${JSON.stringify(url)}${extra} }\n`, 'mongo.yml', PROBE_KINDS, {})
  const target = (url: string) => load(url).services[0]!.bound.target

  t.equal(target('mongodb://u:secret@db.internal:27018/app?authSource=admin'), 'db.internal:27018/app', 'host:port/db, no credentials, no options')
  t.equal(target('mongodb://db.internal'), 'db.internal:27017', 'the default port')
  t.equal(target('mongodb://u:p@a:1,b,[::1]:3/app'), 'a:1,b:27017,[::1]:3/app', 'a seed list, IPv6 in brackets')
  t.equal(target('mongodb+srv://u:p@cluster0.example.net/app?retryWrites=true'), 'mongodb+srv://cluster0.example.net/app', 'SRV: the name, with its scheme (it has no port)')

  const direct = (url: string) => {
    const parsed = parseMongoUrl(url)
    if (typeof parsed === 'string') throw new Error(parsed)
    return wantsDirect(parsed)
  }
  t.equal(direct('mongodb://h:1/app'), true, 'one host: that server, directly')
  t.equal(direct('mongodb://h:1/app?replicaSet=rs0'), false, 'one host naming its set: the set')
  t.equal(direct('mongodb://h:1/?directConnection=false'), false, 'what the URL says wins')
  t.equal(direct('mongodb://h:1,k:2/app'), false, 'a seed list: discovered')
  t.equal(direct('mongodb+srv://c.example.net/app'), false, 'SRV: discovered')

  const parsed = parseMongoUrl(`mongodb://${USER}:${encodeURIComponent(PASSWORD)}@h/my%2Ddb?replicaSet=rs0`)
  t.match(parsed, { srv: false, hosts: [{ host: 'h', port: 27017 }], username: USER, password: PASSWORD, database: 'my-db' }, 'user info and database percent-decoded')

  const refused: [string, RegExp][] = [
    ['http://h:27017', /expected a URL starting with mongodb:\/\/ or mongodb\+srv:\/\//],
    ['mongodb:///app', /expected mongodb:\/\/host\[:port\]\[,host\[:port\]\.\.\.\]\[\/database\]\[\?options\] or mongodb\+srv:\/\/name\[\/database\]\[\?options\], any user:password@ before the hosts/],
    [`mongodb://u:pa/ss${suffix}@h/app`, /must be percent-encoded/],
    [`mongodb://u:pa@ss${suffix}@h/app`, /must be percent-encoded/],
    [`mongodb://u:%zz${suffix}@h/app`, /valid percent-encoding/],
    ['mongodb://h:0/app', /port from 1 to 65535/],
    ['mongodb://h:70000/app', /port from 1 to 65535/],
    ['mongodb+srv://h.example.net:27017/app', /no port in a mongodb\+srv/],
    ['mongodb+srv://a.example.net,b.example.net/app', /one host name in a mongodb\+srv/],
    ['mongodb://h/my.db', /expected a database name/],
    [':pw@h', /expected a URL starting with mongodb/],
  ]
  for (const [url, message] of refused) {
    const err = (() => {
      try {
        load(url)
        return undefined
      } catch (e) {
        return e as Error
      }
    })()
    t.match(err?.message ?? 'accepted', message, `${url.replace(suffix, '…')} is refused`)
    t.notMatch(err?.message ?? '', suffix, 'the message never repeats the value')
  }
  t.throws(() => load('mongodb://h/app', ', expect: { databases: [a, a] }'), /expected each database once/)
  t.throws(() => load('mongodb://h/app', ', expect: { role: master }'), /primary|secondary/)
  t.throws(() => load('mongodb://h/app', ', expect: { collections: [a.$b] }'), /database\.collection/)
})

t.test('a standalone (mongodb-mock-server): ping, its role, databases and collections', async (t) => {
  const server = await mongoMock({ databases: ['admin', 'app', 'reports'], collections: { app: ['orders', 'fs.files'], reports: ['daily'] } })
  const { result } = await mongodb(`mongodb://127.0.0.1:${server.port}/app`, {
    expect: { role: 'standalone', databases: ['app', 'reports'], collections: ['orders', 'app.fs.files', 'reports.daily'], max_latency: '2s' },
  })
  t.equal(result.ok, true, result.error ?? '')
  t.same(checkPairs(result), [
    ['role', true],
    ['database:app', true],
    ['database:reports', true],
    ['collection:orders', true],
    ['collection:app.fs.files', true],
    ['collection:reports.daily', true],
    ['max_latency', true],
  ])
  t.equal(detailOf(result, 'role'), 'standalone (not in a replica set), expected standalone')
  t.equal(detailOf(result, 'collection:orders'), 'exists in app')
  t.match(detailOf(result, 'max_latency'), /^\d.* to connect and ping \(limit 2s\)$/)
  t.match(result.info, { role: 'standalone', mongodb_version: '7.0.14', max_wire_version: 21 })
  t.type(result.info.latency_ms, 'number')
  // Small answers: each list command asks only for the names expected.
  t.match(server.last.get('listDatabases'), { nameOnly: true, filter: { name: { $in: ['app', 'reports'] } } })
  t.match(server.last.get('listCollections'), { nameOnly: true, authorizedCollections: true })
  t.ok(server.commands.includes('endSessions'), 'the client was closed politely (endSessions)')
  await server.close()
})

t.test('databases and collections missing (mongodb-mock-server): expectation, each check named', async (t) => {
  const server = await mongoMock({ databases: ['app'], collections: { app: ['orders'] } })
  const { result } = await mongodb(`mongodb://127.0.0.1:${server.port}/app`, { expect: { databases: ['app', 'billing'], collections: ['orders', 'invoices', 'billing.accounts', 'fs.files'] } })
  t.equal(result.ok, false)
  t.equal(result.reason, 'expectation')
  t.same(checkPairs(result), [
    ['database:app', true],
    ['database:billing', false],
    ['collection:orders', true],
    ['collection:invoices', false],
    ['collection:billing.accounts', false],
    ['collection:fs.files', false],
  ])
  t.equal(detailOf(result, 'collection:fs.files'), 'not found in fs', 'the first dot ends the database name')
  t.equal(detailOf(result, 'database:billing'), 'not found (a database exists once it holds a collection)')
  t.equal(detailOf(result, 'collection:invoices'), 'not found in app')
  t.equal(detailOf(result, 'collection:billing.accounts'), 'not found in billing')

  // A collection without a database, and none in the URL: said so, not guessed.
  const nodb = await mongodb(`mongodb://127.0.0.1:${server.port}`, { expect: { collections: ['orders', 'app.orders'] } })
  t.same(checkPairs(nodb.result), [
    ['collection:orders', false],
    ['collection:app.orders', true],
  ])
  t.match(detailOf(nodb.result, 'collection:orders'), /write "database.collection", or put the database in the URL/)
  await server.close()
})

t.test('an older server (mongodb-mock-server): no hello command, buildInfo refused', async (t) => {
  const server = await mongoMock({ refuse: { hello: 59, buildInfo: 13 }, hello: { setName: 'rs0', hosts: [], secondary: true, isWritablePrimary: false, ismaster: false } })
  const { result } = await mongodb(`mongodb://127.0.0.1:${server.port}`, { expect: { role: 'secondary' } })
  t.equal(result.ok, true, result.error ?? '')
  t.ok(server.commands.includes('isMaster'), 'the role from the legacy isMaster')
  t.equal(result.info.mongodb_version, undefined, 'no version when buildInfo is refused')
  await server.close()
})

t.test('a check whose command is refused (mongodb-mock-server): auth, the server\'s words in the detail', async (t) => {
  const server = await mongoMock({ refuse: { listCollections: 13 }, collections: { app: ['orders'] } })
  const { result } = await mongodb(`mongodb://127.0.0.1:${server.port}/app`, { expect: { collections: ['orders', 'app.users'] } })
  t.equal(result.reason, 'auth')
  t.same(checkPairs(result), [
    ['collection:orders', false],
    ['collection:app.users', false],
  ])
  t.match(detailOf(result, 'collection:orders'), /^listCollections on app refused: not authorized .* \(code 13 Unauthorized\)$/)

  server.set({ refuse: { listDatabases: 2 }, databases: ['app'] })
  const other = await mongodb(`mongodb://127.0.0.1:${server.port}/app`, { expect: { databases: ['app'] } })
  t.equal(other.result.reason, 'error', 'another refusal: error, not expectation')
  await server.close()
})

t.test('roles from hello (mongodb-mock-server)', async (t) => {
  const server = await mongoMock()
  const rs = (fields: Record<string, unknown>) => ({ setName: 'rs0', hosts: [server.address], me: server.address, setVersion: 1, ...fields })
  const cases: [string, Record<string, unknown>, string, boolean, string][] = [
    ['primary', rs({ isWritablePrimary: true, primary: server.address }), 'primary', true, 'primary of replica set rs0, expected primary'],
    ['secondary', rs({ isWritablePrimary: false, ismaster: false, secondary: true, primary: 'db-1:27017' }), 'secondary', true, 'secondary of replica set rs0, expected secondary'],
    ['a secondary expected primary', rs({ isWritablePrimary: false, ismaster: false, secondary: true }), 'primary', false, 'secondary of replica set rs0, expected primary'],
    ['a standalone expected primary', {}, 'primary', false, 'standalone (not in a replica set), expected primary'],
    ['an arbiter', rs({ isWritablePrimary: false, ismaster: false, secondary: false, arbiterOnly: true }), 'secondary', false, 'arbiter of replica set rs0, expected secondary'],
    ['a recovering member', rs({ isWritablePrimary: false, ismaster: false, secondary: false }), 'secondary', false, 'neither primary nor secondary of replica set rs0 (starting up, recovering or removed), expected secondary'],
    ['mongos', { msg: 'isdbgrid' }, 'mongos', true, 'mongos (a sharded cluster router), expected mongos'],
  ]
  for (const [label, hello, expected, ok, detail] of cases) {
    server.set({ hello })
    const { result } = await mongodb(`mongodb://127.0.0.1:${server.port}`, { expect: { role: expected } })
    t.equal(result.ok, ok, `${label}: ${result.error ?? 'up'}`)
    t.equal(result.reason, ok ? undefined : 'expectation', label)
    t.equal(detailOf(result, 'role'), detail, label)
  }
  // The role is in /status whether or not it is expected.
  server.set({ hello: rs({ isWritablePrimary: false, ismaster: false, secondary: true, primary: 'db-1:27017' }) })
  const { result } = await mongodb(`mongodb://127.0.0.1:${server.port}`)
  t.equal(result.ok, true, 'a secondary reached directly is up: the probe talks to the server named, not to the set')
  t.match(result.info, { role: 'secondary', replica_set: 'rs0', primary: 'db-1:27017' })
  await server.close()
})

t.test('replica-set member health (mongodb-mock-server)', async (t) => {
  const server = await mongoMock()
  const rs = { setName: 'rs0', hosts: [server.address], me: server.address, primary: server.address, setVersion: 1 }
  const healthy = [member(server.address, 'PRIMARY'), member('db-2:27017', 'SECONDARY'), member('db-3:27017', 'ARBITER')]

  server.set({ hello: rs, members: healthy })
  const up = await mongodb(`mongodb://127.0.0.1:${server.port}`, { expect: { replica_set: 'rs0', role: 'primary' } })
  t.equal(up.result.ok, true, up.result.error ?? '')
  t.same(checkPairs(up.result), [
    ['role', true],
    ['replset', true],
  ])
  t.equal(detailOf(up.result, 'replset'), `rs0: 3 members, all healthy, primary ${server.address}`)
  t.match(up.result.info, { replica_set: 'rs0', replset_members: 3, replset_unhealthy: 0, replset_primary: server.address })

  server.set({ hello: rs, members: [healthy[0]!, member('db-2:27017', '(not reachable/healthy)', 0), healthy[2]!] })
  const down = await mongodb(`mongodb://127.0.0.1:${server.port}`, { expect: { replica_set: true } })
  t.equal(down.result.ok, false)
  t.equal(down.result.reason, 'expectation')
  t.equal(detailOf(down.result, 'replset'), `rs0: 3 members, 1 unhealthy (db-2:27017 (not reachable/healthy)), primary ${server.address}`)
  t.match(down.result.info, { replset_members: 3, replset_unhealthy: 1 })

  server.set({ hello: { ...rs, isWritablePrimary: false, ismaster: false, secondary: true, primary: undefined }, members: [member('db-1:27017', '(not reachable/healthy)', 0), { ...member(server.address, 'SECONDARY') }] })
  const headless = await mongodb(`mongodb://127.0.0.1:${server.port}`, { expect: { replica_set: true } })
  t.equal(headless.result.ok, false)
  t.match(detailOf(headless.result, 'replset'), /1 unhealthy .*, no primary$/)

  server.set({ hello: rs, members: healthy })
  const otherSet = await mongodb(`mongodb://127.0.0.1:${server.port}`, { expect: { replica_set: 'rs1' } })
  t.equal(detailOf(otherSet.result, 'replset'), 'replica set rs0, expected rs1')

  server.set({})
  const asked = server.commands.filter((c) => c === 'replSetGetStatus').length
  const standalone = await mongodb(`mongodb://127.0.0.1:${server.port}`, { expect: { replica_set: true } })
  t.equal(standalone.result.reason, 'expectation')
  t.equal(detailOf(standalone.result, 'replset'), 'not a replica-set member (a standalone server)')
  t.equal(server.commands.filter((c) => c === 'replSetGetStatus').length, asked, 'hello said so: replSetGetStatus is not sent')

  server.set({ hello: rs, members: healthy, refuse: { replSetGetStatus: 13 } })
  const refused = await mongodb(`mongodb://127.0.0.1:${server.port}`, { expect: { replica_set: true } })
  t.equal(refused.result.reason, 'auth', 'a user without clusterMonitor: auth, not a missing replica set')
  t.match(detailOf(refused.result, 'replset'), /^replSetGetStatus refused: not authorized .* \(code 13 Unauthorized\)$/)
  await server.close()
})

t.test('a seed list (mongodb-mock-server): discovery, not a direct connection', async (t) => {
  const server = await mongoMock()
  const closed = await closedPort()
  const rs = { setName: 'rs0', hosts: [server.address], me: server.address, primary: server.address, setVersion: 1 }
  server.set({ hello: rs, members: [member(server.address, 'PRIMARY')] })
  const { result } = await mongodb(`mongodb://127.0.0.1:${closed},${server.address}/?replicaSet=rs0`, { expect: { role: 'primary', replica_set: 'rs0' } })
  t.equal(result.ok, true, `one seed refused, the other the primary: up (${result.error ?? ''})`)

  const other = await closedPort()
  const none = await mongodb(`mongodb://127.0.0.1:${closed},127.0.0.1:${other}/`, {}, 1000)
  t.equal(none.result.reason, 'refused', 'every seed refused: refused')
  t.ok(beatSentinel(none), `without waiting out server selection (${none.ms.toFixed(0)}ms)`)
  await server.close()
})

t.test('authentication (mongodb-mock-server, SCRAM-SHA-256)', async (t) => {
  const server = await mongoMock({ users: { [USER]: PASSWORD }, databases: ['app'] })

  t.test('the right password (percent-encoded in the URL) logs in', async (t) => {
    const { result } = await mongodb(withPassword(server.port), { expect: { databases: ['app'], max_latency: '2s' } })
    t.equal(result.ok, true, result.error ?? '')
    t.match(detailOf(result, 'max_latency'), / to connect, authenticate and ping /)
    t.ok(server.commands.includes('saslContinue'), 'a whole SCRAM conversation')
  })

  t.test('a wrong password is auth (code 18 AuthenticationFailed)', async (t) => {
    const { result } = await mongodb(withPassword(server.port, WRONG), { expect: { databases: ['app'] } }, 1000)
    t.equal(result.ok, false)
    t.equal(result.reason, 'auth', result.error ?? '')
    t.match(result.error, /Authentication failed\. \(code 18 AuthenticationFailed\)/)
    t.same(checkPairs(result), [['database:app', false]])
  })

  t.test('an unknown user is auth too', async (t) => {
    const { result } = await mongodb(`mongodb://nobody:${encodeURIComponent(WRONG)}@127.0.0.1:${server.port}/app`)
    t.equal(result.reason, 'auth', result.error ?? '')
  })

  t.test('no credentials: ping works (MongoDB allows it), a check that reads is refused: auth (code 13)', async (t) => {
    const { result } = await mongodb(`mongodb://127.0.0.1:${server.port}/app`, { expect: { databases: ['app'] } })
    t.equal(result.ok, false)
    t.equal(result.reason, 'auth')
    t.match(detailOf(result, 'database:app'), /^listDatabases refused: command listDatabases requires authentication \(code 13 Unauthorized\)$/)
  })
  t.teardown(() => server.close())
})

t.test('a wrong port is refused, at once', async (t) => {
  const port = await closedPort()
  const ran = await mongodb(`mongodb://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}/app`, { timeout: '3s', expect: { role: 'primary' } }, 1000)
  t.equal(ran.result.reason, 'refused', ran.result.error ?? '')
  t.match(ran.result.error, /ECONNREFUSED/)
  t.ok(beatSentinel(ran), `not after server selection's timeout (${ran.ms.toFixed(0)}ms)`)
  t.same(checkPairs(ran.result), [['role', false]])
})

t.test('a server selection error after a refused connect still says refused (the driver, alone)', async (t) => {
  // What the probe does not wait for, seen directly: the driver's MongoServerSelectionError wraps the cause.
  const { openSession, loadDriver } = await import('../../probes/mongodb/client.js')
  const driver = await loadDriver()
  const port = await closedPort()
  const client = new driver.driver.MongoClient(`mongodb://127.0.0.1:${port}`, { serverSelectionTimeoutMS: 200, directConnection: true })
  const err = await client.connect().catch((e: unknown) => e)
  await client.close()
  t.type(err, driver.driver.MongoServerSelectionError)
  const controller = new AbortController()
  const url = parseMongoUrl(`mongodb://127.0.0.1:${port}`)
  if (typeof url === 'string') throw new Error(url)
  const { SecretSet } = await import('../../src/redact.js')
  const session = openSession(driver, `mongodb://127.0.0.1:${port}`, url, undefined, undefined, { signal: controller.signal, timeoutMs: 1000, secrets: new SecretSet(), baseDir: '.' }, 1000)
  const explained = session.explain(err) as Error & { reason?: string }
  t.equal(explained.reason, 'refused', explained.message)
  t.match(explained.message, /ECONNREFUSED/)
  const { MongoNetworkTimeoutError, MongoServerSelectionError } = driver.driver
  t.match(session.explain(new MongoNetworkTimeoutError('Socket timed out')), { reason: 'timeout' }, "the driver's own timeout is timeout")
  t.match(session.explain(new MongoServerSelectionError('Server selection timed out after 1000 ms', { servers: new Map() } as never)), { reason: 'timeout' }, 'a selection error without a cause is timeout')
  await session.close()
  controller.abort()
})

t.test('DNS: an SRV name and a host name that do not resolve are dns', async (t) => {
  const srv = await mongodb(`mongodb+srv://${USER}:${encodeURIComponent(PASSWORD)}@cluster0.gt-${suffix}.invalid/app`)
  t.equal(srv.result.reason, 'dns', srv.result.error ?? '')
  t.match(srv.result.error, /querySrv/)
  const host = await mongodb(`mongodb://gt-${suffix}.invalid:27017/app`)
  t.equal(host.result.reason, 'dns', host.result.error ?? '')
})

t.test('SRV (its DNS answers faked in-process, the server a mongodb-mock-server)', async (t) => {
  const server = await mongoMock({ databases: ['app'] })
  const { resolve } = dns.promises
  const { lookup } = dns
  let answerAfterMs = 0
  let answered = 0
  dns.promises.resolve = (async (name: string, type: string) => {
    if (type === 'TXT') throw Object.assign(new Error(`queryTxt ENODATA ${name}`), { code: 'ENODATA' })
    if (type !== 'SRV' || name !== '_mongodb._tcp.cluster0.gt.test') return resolve(name, type)
    await new Promise((r) => setTimeout(r, answerAfterMs))
    answered++
    return [{ name: 'db.gt.test', port: server.port, priority: 0, weight: 0 }]
  }) as unknown as typeof dns.promises.resolve
  dns.lookup = ((host: string, options: never, callback: never) => lookup(host === 'db.gt.test' ? '127.0.0.1' : host, options, callback)) as unknown as typeof dns.lookup
  t.teardown(() => {
    dns.promises.resolve = resolve
    dns.lookup = lookup
  })
  // TLS is on by default for SRV; the mock speaks plain TCP.
  const url = "mongodb+srv://cluster0.gt.test/app?tls=false"

  const up = await mongodb(url, { expect: { databases: ['app'] } })
  t.equal(up.result.ok, true, up.result.error ?? '')
  t.equal(up.service.bound.target, 'mongodb+srv://cluster0.gt.test/app')

  // An answer that comes after the run: the topology it opens is closed at once, before it says hello.
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
  const before = timers()
  const seen = server.commands.length
  answerAfterMs = 500
  const late = await mongodb(url, { timeout: '200ms' })
  t.equal(late.result.reason, 'timeout', late.result.error ?? '')
  while (answered < 2) await new Promise((r) => setTimeout(r, 20))
  await settle()
  await new Promise((r) => setTimeout(r, 50))
  t.equal(server.commands.length, seen, 'the server heard nothing from the late topology')
  t.same(clientSockets(), [], 'no socket')
  t.equal(timers(), before, 'no timer (server selection would have waited 200ms more)')
  await server.close()
})

t.test('a tarpit (protocol fake: accepts, never answers) is timeout, within the timeout', async (t) => {
  const pit = await tarpit()
  const ran = await mongodb(`mongodb://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${pit.port}/app`, { timeout: '400ms' }, 400)
  t.equal(ran.result.reason, 'timeout', ran.result.error ?? '')
  t.ok(lateness(ran) <= 40, `at most 10% after a plain 400ms timer (${ran.ms.toFixed(1)}ms; the timer at ${ran.sentinelMs?.toFixed(1)}ms)`)
  await settle()
  t.same(clientSockets(), [], 'the monitor\'s socket is gone with the run')
  await pit.close()
})

t.test('a server that stops answering after ping (mongodb-mock-server): timeout, and no new connection to end the sessions', async (t) => {
  const server = await mongoMock({ hang: ['listDatabases'] })
  const ran = await mongodb(`mongodb://127.0.0.1:${server.port}/app`, { timeout: '400ms', expect: { databases: ['app'] } }, 400)
  t.equal(ran.result.reason, 'timeout', ran.result.error ?? '')
  t.ok(lateness(ran) <= 40, `within the timeout (${ran.ms.toFixed(1)}ms)`)
  const accepted = server.accepted()
  t.equal(accepted, 2, "the monitor's connection and the pool's")
  await new Promise((r) => setTimeout(r, 100))
  await settle()
  t.equal(server.accepted(), accepted, 'no connection after the timeout (client.close() alone would open one for endSessions)')
  t.same(clientSockets(), [])
  await server.close()
})

t.test('garbage (protocol fakes): each ends in a bounded failure, long before the timeout', async (t) => {
  const header = (length: number, opCode: number) => {
    const b = Buffer.alloc(16)
    b.writeInt32LE(length, 0)
    b.writeInt32LE(opCode, 12)
    return b
  }
  const cases: [string, () => Promise<Peer>, RegExp][] = [
    ['bytes without end, at once', () => endless({}), /a message announcing 1094795585 bytes/],
    ['text after the request', () => halfSent('HTTP/1.1 400 Bad Request\r\n\r\n'), /a message announcing 1347703880 bytes/],
    ['its own request reflected', () => reflecting(), /a message of opcode 2004/],
    ['a compressed answer never asked for', () => halfSent(Buffer.concat([header(64, 2012), Buffer.alloc(48)])), /a compressed message the probe never asked for/],
    ['a message of 40 MB, streamed', () => endless({ prefix: header(40_000_000, 2013), afterRequest: true }), /sent more than 16 MiB in one run/],
  ]
  for (const [label, start, says] of cases) {
    const p = await start()
    const ran = await mongodb(`mongodb://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${p.port}/app`, { timeout: '3s' }, 1000)
    t.equal(ran.result.reason, 'error', `${label}: ${ran.result.error}`)
    t.match(ran.result.error, says, label)
    t.ok(beatSentinel(ran), `${label}: at once (${ran.ms.toFixed(0)}ms)`)
    await settle()
    t.same(clientSockets(), [], `${label}: no socket left`)
    await p.close()
  }
})

t.test('the frame reader follows messages split anywhere', async (t) => {
  const message = (length: number, opCode: number) => {
    const b = Buffer.alloc(length)
    b.writeInt32LE(length, 0)
    b.writeInt32LE(opCode, 12)
    return b
  }
  const stream = Buffer.concat([message(40, 2013), message(16, 1), message(100, 2013), message(20, 2004)])
  for (const size of [1, 3, 7, 16, 17, 1000]) {
    const reader = new FrameReader()
    let problem: Error | undefined
    for (let at = 0; at < stream.length && !problem; at += size) problem = reader.read(stream.subarray(at, at + size))
    t.match(problem?.message, /opcode 2004/, `chunks of ${size}: the fourth message is refused, the first three pass`)
  }
})

t.test('TLS (mongodb-mock-server over TLS, a private CA)', async (t) => {
  const cert = makeCert(30)
  const server = await mongoMock({}, { key: cert.key, cert: cert.cert })
  const url = `mongodb://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${server.port}/app`
  server.set({ users: { [USER]: PASSWORD } })

  const trusted = await mongodb(url, { tls: { ca_file: cert.caFile } })
  t.equal(trusted.result.ok, true, trusted.result.error ?? '')

  const inUrl = await mongodb(`${url}?tls=true&tlsCAFile=${encodeURIComponent(cert.caFile)}`)
  t.equal(inUrl.result.ok, true, `tls=true in the URL: ${inUrl.result.error ?? 'up'}`)

  const untrusted = await mongodb(url, { tls: {} }, 1000)
  t.equal(untrusted.result.reason, 'tls', untrusted.result.error ?? '')
  t.ok(beatSentinel(untrusted), 'at once')

  const wrongName = await mongodb(url, { tls: { ca_file: cert.caFile, server_name: 'elsewhere.example' } })
  t.equal(wrongName.result.reason, 'tls', wrongName.result.error ?? '')

  const insecure = await mongodb(url, { tls: { insecure: true } })
  t.equal(insecure.result.ok, true, insecure.result.error ?? '')

  const conflict = await mongodb(`${url}?tls=false`, { tls: { insecure: true } })
  t.equal(conflict.result.reason, 'error')
  t.match(conflict.result.error, /tls settings are given but the url says tls=false/)

  const plainToTls = await mongodb(url, { timeout: '500ms' }, 500)
  t.equal(plainToTls.result.ok, false, `plain to a TLS port: ${plainToTls.result.reason}: ${plainToTls.result.error}`)
  t.ok(lateness(plainToTls) <= 50, 'within the timeout')
  await server.close()
})

t.test('no timer of a run outlives it', async (t) => {
  const server = await mongoMock({ databases: ['app'] })
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
  await mongodb(`mongodb://127.0.0.1:${server.port}/app`)
  await settle()
  const before = timers()
  for (const url of [`mongodb://127.0.0.1:${server.port}/app`, `mongodb://127.0.0.1:${await closedPort()}/app`]) {
    await mongodb(url, { expect: { databases: ['app'] } })
    await settle()
    t.equal(timers(), before, `${url}: as many timers as before the run`)
  }
  await server.close()
})

t.test('discovery from MONGODB_URI, MONGODB_URL, MONGO_URL, MONGO_URI', async (t) => {
  const kind = PROBE_KINDS.get('mongodb')!
  t.same(kind.discoveredFrom, ['MONGODB_URI', 'MONGODB_URL', 'MONGO_URL', 'MONGO_URI'])
  t.same(kind.discover!({ MONGO_URL: 'mongodb://db:27017/app' }), [{ from: 'MONGO_URL', service: { name: 'mongodb', group: 'infrastructure', probe: 'mongodb', url: 'mongodb://db:27017/app' } }])
  t.same(kind.discover!({ MONGODB_URI: 'postgres://x', MONGO_URI: 'mongodb+srv://c.example.net/app' })[0]?.from, 'MONGO_URI', 'a variable that is no MongoDB URL is passed over')
  t.same(kind.discover!({}), [])
})

t.test('the password never appears in any output', async (t) => {
  const everything = JSON.stringify(results) + printed.join('\n')
  for (const secret of SECRETS) t.notOk(everything.includes(secret), `${secret.slice(0, 12)}… appears nowhere`)
  t.ok(results.length > 20, `${results.length} results scanned`)
  t.notMatch(printed.join('\n'), /unhandled|Mongo[A-Z]\w*Error|heartbeat/i, 'no driver chatter and no unhandled error event on the console')
})

t.test('nothing is left open', async (t) => {
  await nothingLeftOpen(t, baseline, async () => {
    await Promise.all([...mocks].map((m) => m.close()))
  })
})
