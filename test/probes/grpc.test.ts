// The grpc probe against real grpc-js servers started here: the standard
// health service (grpc-health-check's HealthImplementation) with per-service
// statuses, plain, over TLS and behind a token interceptor; a hand-written
// health service for the answers HealthImplementation never gives
// (SERVICE_UNKNOWN, PERMISSION_DENIED, no answer at all); a server without the
// health service; then a closed port, a tarpit and a peer that answers garbage.
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import * as grpc from '@grpc/grpc-js'
import { service as healthService, type HealthImplementation } from 'grpc-health-check'
import t from 'tap'
import grpcKind from '../../probes/grpc.js'
import { PROBE_KINDS } from '../../probes/index.js'
import { ConfigError } from '../../src/config/errors.js'
import type { RunResult } from '../../src/runner.js'
import { CLI, ROOT, childEnv } from '../helpers/child.js'
import { capturePrinted } from '../helpers/console.js'
import { grpcHealthServer, grpcServer } from '../helpers/grpc-ws.js'
import { checkPairs, configOf, detailOf, lateness, runService, type Ran } from '../helpers/probe-run.js'
import { bannerServer, closedPort, serverPool, tarpit, type Running } from '../helpers/servers.js'
import { nothingLeftOpen, socketHandles } from '../helpers/sockets.js'
import { makeCert } from '../helpers/tls.js'

// Taken before any server or probe exists: what the test process holds on its own.
const baseline = socketHandles()
const printed = capturePrinted(t)

const TOKEN = `gt-grpc-token-${randomBytes(6).toString('hex')}`
const results: RunResult[] = []

async function probe(address: string, extra: Record<string, unknown> = {}, sentinel?: number): Promise<Ran> {
  const ran = await runService({ probe: 'grpc', address, timeout: '3s', ...extra }, { sentinel })
  results.push(ran.result)
  return ran
}

const { keep, closeAll } = serverPool()
t.teardown(closeAll)

/** Health answers HealthImplementation never gives, and a token check on every call. */
function handWrittenHealth(server: grpc.Server): void {
  server.addService(healthService, {
    check: (call: grpc.ServerUnaryCall<{ service: string }, unknown>, callback: grpc.sendUnaryData<{ status: string }>) => {
      const auth = call.metadata.get('authorization')[0]
      if (auth !== `Bearer ${TOKEN}`) {
        // Echoes what it got, as a careless server would: the probe's outputs must mask it.
        return callback({ code: grpc.status.UNAUTHENTICATED, details: `bad token ${String(auth)}` })
      }
      if (call.request.service === 'forbidden') return callback({ code: grpc.status.PERMISSION_DENIED, details: 'not for you' })
      if (call.request.service === 'busy') return callback({ code: grpc.status.RESOURCE_EXHAUSTED, details: 'too many calls' })
      if (call.request.service === 'mute') return // never answers: the deadline
      callback(null, { status: call.request.service === 'odd' ? 'SERVICE_UNKNOWN' : 'SERVING' })
    },
  })
}

const statuses = { '': 'SERVING', 'app.Api': 'SERVING', 'app.Down': 'NOT_SERVING', 'app.Starting': 'UNKNOWN' } as const
let health: HealthImplementation
const cert = makeCert(30)
const otherCa = makeCert(30).caFile
let plain: Running
let custom: Running
let bare: Running
let secure: Running
let guarded: Running
let closed: number

t.before(async () => {
  const served = await grpcHealthServer(statuses)
  await keep(Promise.resolve(served))
  plain = served
  health = served.health
  custom = await keep(grpcServer(handWrittenHealth))
  bare = await keep(grpcServer(() => {}))
  secure = await keep(grpcServer((s) => health.addToServer(s), grpc.ServerCredentials.createSsl(null, [{ private_key: cert.key, cert_chain: cert.cert }])))
  guarded = await keep(grpcHealthServer(statuses, TOKEN))
  closed = await closedPort()
})

t.test('SERVING, NOT_SERVING, UNKNOWN and an unknown name, per service; the server as a whole', async (t) => {
  const whole = await probe(plain.url, { expect: { max_latency: '2s' } })
  t.equal(whole.result.ok, true, whole.result.error ?? '')
  t.same(checkPairs(whole.result), [
    ['serving', true],
    ['max_latency', true],
  ])
  t.equal(detailOf(whole.result, 'serving'), 'SERVING: the server as a whole (service "") is serving')
  t.match(detailOf(whole.result, 'max_latency'), /to connect and call Health\/Check \(limit 2s\)$/)
  t.equal(whole.result.info.status, 'SERVING')
  t.type(whole.result.info.latency_ms, 'number')

  const api = await probe(plain.url, { grpc_service: 'app.Api' })
  t.equal(api.result.ok, true)
  t.equal(detailOf(api.result, 'serving'), 'SERVING: service "app.Api" is serving')

  const down = await probe(plain.url, { grpc_service: 'app.Down' })
  t.equal(down.result.ok, false)
  t.equal(down.result.reason, 'status')
  t.equal(down.result.info.status, 'NOT_SERVING')
  t.equal(down.result.error, 'serving: NOT_SERVING: service "app.Down" says it is not serving')

  const starting = await probe(plain.url, { grpc_service: 'app.Starting' })
  t.equal(starting.result.reason, 'status')
  t.equal(starting.result.info.status, 'UNKNOWN')
  t.match(detailOf(starting.result, 'serving'), /^UNKNOWN: the server does not know yet/)

  const unknown = await probe(plain.url, { grpc_service: 'app.Nope' })
  t.equal(unknown.result.ok, false)
  t.equal(unknown.result.reason, 'status')
  t.equal(unknown.result.info.status, 'SERVICE_UNKNOWN')
  t.equal(detailOf(unknown.result, 'serving'), 'SERVICE_UNKNOWN: the server does not know the service name "app.Nope" (NOT_FOUND: Health status unknown for service app.Nope)')
})

t.test('a status that flips between runs is seen by the next run (no cached channel)', async (t) => {
  health.setStatus('app.Flip', 'SERVING')
  t.equal((await probe(plain.url, { grpc_service: 'app.Flip' })).result.ok, true)
  health.setStatus('app.Flip', 'NOT_SERVING')
  const down = await probe(plain.url, { grpc_service: 'app.Flip' })
  t.equal(down.result.ok, false)
  t.equal(down.result.info.status, 'NOT_SERVING')
  health.setStatus('app.Flip', 'SERVING')
  t.equal((await probe(plain.url, { grpc_service: 'app.Flip' })).result.ok, true)
  health.setStatus('', 'NOT_SERVING')
  t.equal((await probe(plain.url)).result.reason, 'status', 'the overall status flips too')
  health.setStatus('', 'SERVING')
})

t.test('metadata: a token sent, refusals as auth, the token never shown', async (t) => {
  const ok = await probe(custom.url, { metadata: { authorization: `Bearer ${TOKEN}` } })
  t.equal(ok.result.ok, true, ok.result.error ?? '')

  const wrong = await probe(custom.url, { metadata: { authorization: `Bearer ${TOKEN}-wrong` } })
  t.equal(wrong.result.reason, 'auth')
  t.match(wrong.result.error, /^UNAUTHENTICATED: bad token Bearer \*\*\*/)
  t.same(checkPairs(wrong.result), [['serving', false]])

  const none = await probe(custom.url)
  t.equal(none.result.reason, 'auth')
  t.equal(none.result.error, 'UNAUTHENTICATED: bad token undefined')

  const viaInterceptor = await probe(guarded.url, { grpc_service: 'app.Api', metadata: { authorization: `Bearer ${TOKEN}` } })
  t.equal(viaInterceptor.result.ok, true, viaInterceptor.result.error ?? '')
  const refusedByInterceptor = await probe(guarded.url, { grpc_service: 'app.Api', metadata: { authorization: 'Bearer nope' } })
  t.equal(refusedByInterceptor.result.reason, 'auth')

  const denied = await probe(custom.url, { grpc_service: 'forbidden', metadata: { authorization: `Bearer ${TOKEN}` } })
  t.equal(denied.result.reason, 'auth')
  t.equal(denied.result.error, 'PERMISSION_DENIED: not for you')

  const odd = await probe(custom.url, { grpc_service: 'odd', metadata: { authorization: `Bearer ${TOKEN}` } })
  t.equal(odd.result.reason, 'status', 'SERVICE_UNKNOWN as an answer')
  t.equal(detailOf(odd.result, 'serving'), 'SERVICE_UNKNOWN: the server does not know the service name "odd"')

  const busy = await probe(custom.url, { grpc_service: 'busy', metadata: { authorization: `Bearer ${TOKEN}` } })
  t.equal(busy.result.reason, 'error')
  t.equal(busy.result.error, 'RESOURCE_EXHAUSTED: too many calls')

  const mute = await probe(custom.url, { grpc_service: 'mute', metadata: { authorization: `Bearer ${TOKEN}` }, timeout: '300ms' })
  t.equal(mute.result.reason, 'timeout', `a server that never answers the call: ${mute.result.error}`)
})

t.test('a server without the health service: UNIMPLEMENTED is status, said so', async (t) => {
  const { result } = await probe(bare.url)
  t.equal(result.ok, false)
  t.equal(result.reason, 'status')
  t.equal(result.info.grpc_code, 'UNIMPLEMENTED')
  t.match(detailOf(result, 'serving'), /^the server does not implement grpc\.health\.v1 \(UNIMPLEMENTED: /)
})

t.test('TLS', async (t) => {
  const right = await probe(secure.url, { tls: { ca_file: cert.caFile } })
  t.equal(right.result.ok, true, right.result.error ?? '')

  const byName = await probe(`localhost:${secure.port}`, { tls: { ca_file: cert.caFile }, grpc_service: 'app.Api' })
  t.equal(byName.result.ok, true, byName.result.error ?? '')

  const wrongCa = await probe(secure.url, { tls: { ca_file: otherCa } })
  t.equal(wrongCa.result.reason, 'tls', wrongCa.result.error ?? '')

  const insecure = await probe(secure.url, { tls: { ca_file: otherCa, insecure: true } })
  t.equal(insecure.result.ok, true, `insecure skips verification: ${insecure.result.error}`)

  const named = await probe(secure.url, { tls: { ca_file: cert.caFile, server_name: 'localhost' } })
  t.equal(named.result.ok, true, named.result.error ?? '')
  const misnamed = await probe(secure.url, { tls: { ca_file: cert.caFile, server_name: 'not-this.example' } })
  t.equal(misnamed.result.reason, 'tls', `server_name is the name verified: ${misnamed.result.error}`)

  const tlsToPlain = await probe(plain.url, { tls: { ca_file: cert.caFile } })
  t.equal(tlsToPlain.result.reason, 'tls', tlsToPlain.result.error ?? '')

  const plainToTls = await probe(secure.url, { timeout: '1s' }, 1000)
  t.equal(plainToTls.result.ok, false)
  t.ok(lateness(plainToTls) <= 100, `a plaintext client fails within the timeout (${plainToTls.ms.toFixed(0)}ms): ${plainToTls.result.reason}: ${plainToTls.result.error}`)
  t.match(plainToTls.result.error, /does it want TLS\? then add tls: to the service/, 'and is told what is likely wrong')
})

t.test('wrong port is refused; an unknown host is dns', async (t) => {
  const { result } = await probe(`127.0.0.1:${closed}`)
  t.equal(result.reason, 'refused', result.error ?? '')
  t.match(result.error, /^UNAVAILABLE: .*ECONNREFUSED/)
  t.notMatch(result.error, /\(\d{4}-\d\d-\d\dT/, 'without grpc-js time stamps')
  const dns = await probe('gt-grpc-nowhere.invalid:50051')
  t.equal(dns.result.reason, 'dns', dns.result.error ?? '')
})

t.test('a refused port that listens right after the run gets no late connection from it', async (t) => {
  // grpc-js reconnects a failed subchannel when its backoff ends (1 s, ± 20 %), even once the channel is
  // closed; before the connector refused after the run, that connection came and stayed open.
  const port = await closedPort()
  const { result } = await probe(`127.0.0.1:${port}`)
  t.equal(result.reason, 'refused', result.error ?? '')
  let accepted = 0
  const late = createServer((socket) => {
    accepted++
    socket.destroy()
  })
  await new Promise<void>((listening) => late.listen(port, '127.0.0.1', listening))
  t.teardown(() => void late.close())
  await new Promise((r) => setTimeout(r, 2000))
  t.equal(accepted, 0, 'no connection within twice the backoff')
})

t.test('a tarpit (accepts, never answers) is timeout, at the timeout', async (t) => {
  const pit = await keep(tarpit())
  const ran = await probe(`127.0.0.1:${pit.port}`, { timeout: '400ms' }, 400)
  t.equal(ran.result.reason, 'timeout', ran.result.error ?? '')
  t.ok(lateness(ran) <= 40, `${ran.ms.toFixed(0)}ms, the plain timer at ${ran.sentinelMs?.toFixed(0)}ms`)
})

t.test('a peer answering garbage is a bounded failure, before the timeout', async (t) => {
  const garbage = await keep(bannerServer('\x00\xff garbage, not HTTP/2 \r\n\r\n', () => 'more garbage\r\n'))
  const ran = await probe(`127.0.0.1:${garbage.port}`, { timeout: '2s' }, 2000)
  t.equal(ran.result.ok, false)
  t.equal(ran.result.reason, 'error', ran.result.error ?? '')
  t.equal(ran.sentinelMs, undefined, `ended before the timeout (${ran.ms.toFixed(0)}ms)`)
})

t.test('target: grpc(s)://host:port[/service], never metadata', async (t) => {
  const target = (fields: Record<string, unknown>) => configOf({ probe: 'grpc', ...fields }).service.bound.target
  t.equal(target({ address: '127.0.0.1:50051' }), 'grpc://127.0.0.1:50051')
  t.equal(target({ address: '[::1]:50051', grpc_service: 'app.Api', metadata: { authorization: `Bearer ${TOKEN}` } }), 'grpc://[::1]:50051/app.Api')
  t.equal(target({ address: 'api.internal:443', tls: {} }), 'grpcs://api.internal:443')
})

/** What loading the service says is wrong, one `path: message` line each ([] when it loads). */
function problems(fields: Record<string, unknown>): string[] {
  try {
    configOf({ probe: 'grpc', ...fields })
    return []
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    return err.problems.map((p) => `${p.path}: ${p.message}`)
  }
}

t.test('settings are validated at load', async (t) => {
  t.match(problems({ address: 'no-port' }), [/address: expected "host:port"/])
  t.match(problems({ address: 'h:1', metadata: { Authorization: 'x' } }), [/metadata.*lower-case/])
  t.match(problems({ address: 'h:1', metadata: { 'grpc-timeout': '1S' } }), [/reserved/])
  t.match(problems({ address: 'h:1', metadata: { 'x-id-bin': 'AA' } }), [/binary/])
  t.match(problems({ address: 'h:1', metadata: { authorization: 'a\nb' } }), [/printable ASCII/])
  t.same(problems({ address: 'h:1', grpc_service: 'a.B', metadata: { authorization: 'Bearer x' }, tls: { insecure: true } }), [])
})

t.test('discovery: TEMPORAL_ADDRESS is the Temporal frontend', async (t) => {
  const found = grpcKind.discover!({ TEMPORAL_ADDRESS: 'temporal:7233' })
  t.same(found, [
    {
      from: 'TEMPORAL_ADDRESS',
      service: { name: 'temporal', group: 'infrastructure', probe: 'grpc', address: 'temporal:7233', grpc_service: 'temporal.api.workflowservice.v1.WorkflowService' },
    },
  ])
  t.equal((grpcKind.discover!({ TEMPORAL_ADDRESS: 'temporal' })[0]!.service as { address: string }).address, 'temporal:7233', 'the default port')
  t.same(grpcKind.discover!({}), [])
  t.same(grpcKind.discover!({ TEMPORAL_ADDRESS: 'not an address:x' }), [], 'a value that is no host:port is left alone')
  t.ok(PROBE_KINDS.get('grpc')?.discoveredFrom?.includes('TEMPORAL_ADDRESS'))
})

t.test('the registry loads neither grpc-js, grpc-health-check nor ws: the first run of their kind does', async (t) => {
  // A fresh process (this one has them loaded); the libraries are CommonJS, so an import() lands in require's cache.
  const program = `
    import { createRequire } from 'node:module'
    import { pathToFileURL } from 'node:url'
    const root = process.argv[1]
    const cache = createRequire(root + 'package.json').cache
    const loaded = () => ['@grpc/grpc-js', 'grpc-health-check', 'ws'].filter((n) => Object.keys(cache).some((k) => k.includes('/node_modules/' + n + '/')))
    const { PROBE_KINDS } = await import(pathToFileURL(root + 'probes/index.ts').href)
    const before = loaded()
    const { parseConfig } = await import(pathToFileURL(root + 'src/config/load.ts').href)
    const { runProbe } = await import(pathToFileURL(root + 'src/runner.ts').href)
    const yaml = 'services:\\n  - { name: svc, probe: grpc, address: "127.0.0.1:1", timeout: 2s }\\n'
    const config = parseConfig(yaml, 'lazy.yml', PROBE_KINDS, {})
    await runProbe(config.services[0], config.secrets)
    console.log('RESULT ' + JSON.stringify({ before, after: loaded() }))
  `
  // The loader the CLI tests use (tap's own under tap): a child compiled by another loader (tsx)
  // scrambled the merged coverage of every module it loaded, even with coverage switched off in it.
  const res = spawnSync(process.execPath, [...CLI.slice(0, -1), '--input-type=module', '--eval', program, ROOT], { cwd: ROOT, env: childEnv(), encoding: 'utf8', timeout: 60_000 })
  const line = res.stdout.split('\n').find((l) => l.startsWith('RESULT '))
  t.ok(line, res.stderr)
  t.same(JSON.parse(line!.slice('RESULT '.length)), { before: [], after: ['@grpc/grpc-js', 'grpc-health-check'] })
})

t.test('no secret in any result, nothing printed', async (t) => {
  const text = JSON.stringify(results)
  t.notOk(text.includes(TOKEN), 'the token appears in no result')
  t.same(
    printed.splice(0).filter((line) => line.includes(TOKEN) || /unhandled/i.test(line)),
    [],
  )
})

t.test('nothing left open', async (t) => {
  await nothingLeftOpen(t, baseline, closeAll)
})
