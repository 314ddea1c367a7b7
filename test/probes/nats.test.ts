// The nats probe against real servers: the machine's NATS with JetStream on
// 4222 (no auth), and nats-server processes this file starts itself on free
// ports (user and password, a token, TLS with a test CA, one without
// JetStream), through parseConfig and runProbe. Misbehaving peers (a tarpit,
// garbage instead of INFO, an INFO followed by garbage, a server that never
// answers PING) are protocol-level fakes, said so in their test names.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect as natsConnect } from 'nats'
import t from 'tap'
import { PROBE_KINDS } from '../../probes/index.js'
import type { RunResult } from '../../src/runner.js'
import { capturePrinted } from '../helpers/console.js'
import { startNatsServer, type NatsServer } from '../helpers/nats-server.js'
import { beatSentinel, checkPairs, configOf, detailOf, lateness, notBeforeTimeout, type Ran, runService } from '../helpers/probe-run.js'
import { closedPort, listen, serverPool, tarpit, type Running } from '../helpers/servers.js'
import { nothingLeftOpen, socketHandles } from '../helpers/sockets.js'
import { makeCert } from '../helpers/tls.js'

// Taken before any server or probe exists: what the test process holds on its own.
const baseline = socketHandles()

const suffix = randomBytes(6).toString('hex')
const USER = `gt_user_${suffix}`
const PASSWORD = `gt-nats-pw-${suffix}`
const TOKEN = `gt-nats-token-${suffix}`
const WRONG = `gt-nats-wrong-${suffix}`
const SECRETS = [PASSWORD, TOKEN, WRONG]
const STREAM = `GT_NATS_${suffix.toUpperCase()}`

// Everything the client or the probe might print: never a secret, never a protocol dump.
const printed = capturePrinted(t)

const { keep, closeAll } = serverPool()
t.teardown(closeAll)

const results: RunResult[] = []
async function nats(url: string, extra: Record<string, unknown> = {}, sentinel?: number): Promise<Ran> {
  const ran = await runService({ probe: 'nats', url, timeout: '3s', ...extra }, { sentinel })
  results.push(ran.result)
  return ran
}

// ---------------------------------------------------------------- servers

const dirs: string[] = []
t.teardown(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})
const startNats = (args: string[]) => startNatsServer(t, args)

/** A protocol-level fake: answers each connection with `onConnect`, and each chunk received with `onData`. */
function fakeServer(onConnect: (socket: Socket) => void, onData?: (socket: Socket, data: string) => void): Promise<Running> {
  return listen(
    createServer((socket) => {
      socket.on('error', () => {})
      onConnect(socket)
      if (onData) socket.on('data', (d) => onData(socket, d.toString()))
    }),
    'tcp',
  )
}

const INFO = (extra: Record<string, unknown> = {}) => `INFO ${JSON.stringify({ server_id: 'FAKE', version: '2.10.0', proto: 1, headers: true, max_payload: 1048576, ...extra })}\r\n`

let userServer: NatsServer
let tokenServer: NatsServer
let tlsServer: NatsServer
let plainServer: NatsServer
let caFile: string

t.before(async () => {
  const cert = makeCert(30)
  caFile = cert.caFile
  const dir = mkdtempSync(join(tmpdir(), 'gt-nats-'))
  dirs.push(dir)
  writeFileSync(join(dir, 'server.pem'), cert.cert)
  writeFileSync(join(dir, 'server.key'), cert.key)
  ;[userServer, tokenServer, tlsServer, plainServer] = await Promise.all([
    startNats(['--user', USER, '--pass', PASSWORD]),
    startNats(['--auth', TOKEN]),
    startNats(['--tls', '--tlscert', join(dir, 'server.pem'), '--tlskey', join(dir, 'server.key')]),
    // No -js: JetStream disabled.
    startNats([]),
  ])
  // A stream on the machine's NATS, made (and deleted below) with the nats client itself.
  const admin = await natsConnect({ servers: '127.0.0.1:4222', reconnect: false })
  const jsm = await admin.jetstreamManager()
  await jsm.streams.add({ name: STREAM, subjects: [`gt.nats.${suffix}.>`], storage: 'memory' as never })
  await admin.close()
})

t.teardown(async () => {
  const admin = await natsConnect({ servers: '127.0.0.1:4222', reconnect: false })
  const jsm = await admin.jetstreamManager()
  await jsm.streams.delete(STREAM).catch(() => false)
  await admin.close()
})

// ---------------------------------------------------------------- the machine's NATS

t.test('the machine NATS on 4222: INFO, PING, JetStream and a stream made by this test', async (t) => {
  const { result } = await nats('nats://127.0.0.1:4222', { expect: { jetstream: true, streams: [STREAM], max_latency: '2s' } })
  t.equal(result.ok, true, result.error ?? '')
  t.same(checkPairs(result), [
    ['jetstream', true],
    [`stream:${STREAM}`, true],
    ['max_latency', true],
  ])
  t.match(detailOf(result, 'jetstream'), /^enabled: \d+ streams?, \d+ consumers?$/)
  t.equal(detailOf(result, `stream:${STREAM}`), '0 messages, 0 consumers')
  t.match(detailOf(result, 'max_latency'), /^\d.* to connect and PING \(limit 2s\)$/)
  t.match(result.info.server_id, /^N[A-Z0-9]{55}$/)
  t.match(result.info.version, /^\d+\.\d+\.\d+/)
  t.equal(result.info.jetstream, true)
  t.equal(result.info.max_payload, 1048576)
  t.equal(result.info.tls, false)
  t.type(result.info.latency_ms, 'number')
  t.same(Object.keys(result.info).filter((k) => /client|auth|user|pass|token|nonce/.test(k)), [], 'nothing of the client or its credentials')

  // No expectations: no checks; up all the same.
  const bare = await nats('nats://127.0.0.1')
  t.equal(bare.result.ok, true, bare.result.error ?? '')
  t.same(checkPairs(bare.result), [])
})

t.test('a stream that does not exist fails its check, the others pass', async (t) => {
  const missing = `GT_MISSING_${suffix.toUpperCase()}`
  const { result } = await nats('nats://127.0.0.1:4222', { expect: { streams: [STREAM, missing] } })
  t.equal(result.ok, false)
  t.equal(result.reason, 'expectation')
  t.same(checkPairs(result), [
    [`stream:${STREAM}`, true],
    [`stream:${missing}`, false],
  ])
  t.equal(detailOf(result, `stream:${missing}`), `no stream named ${missing}`)
})

t.test('a server without JetStream: the jetstream and stream checks fail, saying JetStream is not enabled', async (t) => {
  const { result } = await nats(`nats://127.0.0.1:${plainServer.port}`, { expect: { jetstream: true, streams: [STREAM] } })
  t.equal(result.ok, false)
  t.equal(result.reason, 'expectation')
  t.same(checkPairs(result), [
    ['jetstream', false],
    [`stream:${STREAM}`, false],
  ])
  t.equal(detailOf(result, 'jetstream'), 'JetStream is not enabled for this account (no responder for the JetStream API)')
  t.equal(result.info.jetstream, false, 'INFO says so too')
  // Without the expectation, that server is simply up.
  const up = await nats(`nats://127.0.0.1:${plainServer.port}`)
  t.equal(up.result.ok, true)
})

// ---------------------------------------------------------------- credentials

t.test('user and password', async (t) => {
  const url = (user: string, pass: string) => `nats://${encodeURIComponent(user)}:${encodeURIComponent(pass)}@127.0.0.1:${userServer.port}`
  const right = await nats(url(USER, PASSWORD))
  t.equal(right.result.ok, true, right.result.error ?? '')
  t.match(right.result.info.version, /^\d/)

  const wrong = await nats(url(USER, WRONG), { expect: { jetstream: true } })
  t.equal(wrong.result.ok, false)
  t.equal(wrong.result.reason, 'auth')
  t.equal(wrong.result.error, "the server refused the credentials: 'Authorization Violation'")
  t.same(checkPairs(wrong.result), [['jetstream', false]])
  t.equal(wrong.result.info.code, 'AUTHORIZATION_VIOLATION')

  const none = await nats(`nats://127.0.0.1:${userServer.port}`)
  t.equal(none.result.reason, 'auth')
})

t.test('a token (the URL user part alone)', async (t) => {
  const right = await nats(`nats://${TOKEN}@127.0.0.1:${tokenServer.port}`)
  t.equal(right.result.ok, true, right.result.error ?? '')
  const wrong = await nats(`nats://${WRONG}@127.0.0.1:${tokenServer.port}`)
  t.equal(wrong.result.reason, 'auth')
  const none = await nats(`nats://127.0.0.1:${tokenServer.port}`)
  t.equal(none.result.reason, 'auth')
})

t.test('the target is scheme://host:port, never credentials; the secrets are registered for redaction', async (t) => {
  const { service } = configOf({ probe: 'nats', url: `nats://${USER}:${PASSWORD}@nats.internal` })
  t.equal(service.bound.target, 'nats://nats.internal:4222')
  const token = configOf({ probe: 'nats', url: `tls://${TOKEN}@[::1]:4443` })
  t.equal(token.service.bound.target, 'tls://[::1]:4443')
  t.ok(token.config.secrets.redact(`token ${TOKEN} here`).includes('***'), 'a token is masked like a password')
  t.notOk(config(`nats://${USER}:${PASSWORD}@h`).secrets.redact(PASSWORD).includes(PASSWORD), 'the password is masked')
})

function config(url: string) {
  return configOf({ probe: 'nats', url }).config
}

// ---------------------------------------------------------------- TLS

t.test('TLS', async (t) => {
  const at = `127.0.0.1:${tlsServer.port}`

  t.test('tls:// with the test CA is up, over TLS', async (t) => {
    const { result } = await nats(`tls://${at}`, { tls: { ca_file: caFile } })
    t.equal(result.ok, true, result.error ?? '')
    t.equal(result.info.tls, true)
  })

  t.test('nats:// to a server that requires TLS upgrades, and verifies: the test CA is needed', async (t) => {
    const withCa = await nats(`nats://${at}`, { tls: { ca_file: caFile } })
    t.equal(withCa.result.ok, true, withCa.result.error ?? '')
    const without = await nats(`nats://${at}`)
    t.equal(without.result.reason, 'tls')
    t.match(without.result.error, /certificate|self.signed|issuer/i)
  })

  t.test('a host name is verified as such (and sent as SNI)', async (t) => {
    const { result } = await nats(`tls://localhost:${tlsServer.port}`, { tls: { ca_file: caFile } })
    t.equal(result.ok, true, result.error ?? '')
  })

  t.test('an unknown CA is tls; insecure skips verification', async (t) => {
    const unknown = await nats(`tls://${at}`)
    t.equal(unknown.result.reason, 'tls')
    const insecure = await nats(`tls://${at}`, { tls: { insecure: true } })
    t.equal(insecure.result.ok, true, insecure.result.error ?? '')
  })

  t.test('a name the certificate does not carry is tls', async (t) => {
    const { result } = await nats(`tls://${at}`, { tls: { ca_file: caFile, server_name: 'not-this-host.example' } })
    t.equal(result.reason, 'tls')
    t.match(result.error, /not-this-host|altnames|Hostname/i)
  })

  t.test('TLS asked of a server that does not offer it is tls', async (t) => {
    const { result } = await nats('tls://127.0.0.1:4222')
    t.equal(result.reason, 'tls')
    t.equal(result.error, 'TLS is required (tls:// or tls settings) but the server does not offer it')
  })
})

// ---------------------------------------------------------------- failures

t.test('a closed port is refused, at once', async (t) => {
  const port = await closedPort()
  const ran = await nats(`nats://127.0.0.1:${port}`, { expect: { jetstream: true } }, 1000)
  t.equal(ran.result.reason, 'refused')
  t.match(ran.result.error, /ECONNREFUSED/)
  t.ok(beatSentinel(ran), `refused before a 1s timer (${ran.ms.toFixed(1)}ms)`)
})

t.test('a name that does not resolve is dns', async (t) => {
  const { result } = await nats('nats://gt-no-such-host.invalid:4222')
  t.equal(result.reason, 'dns')
})

t.test('a tarpit (accepts, never sends INFO) is timeout, at the timeout', async (t) => {
  const pit = await keep(tarpit())
  const ran = await nats(`nats://127.0.0.1:${pit.port}`, { timeout: '500ms' }, 500)
  t.equal(ran.result.reason, 'timeout', ran.result.error ?? '')
  t.ok(notBeforeTimeout(ran.ms, 500), `not before the timeout (${ran.ms.toFixed(1)}ms)`)
  t.ok(lateness(ran) <= 50, `at most 10% after a plain 500ms timer fired (${ran.ms.toFixed(1)}ms)`)
})

t.test('protocol-level fake: a line that is not INFO is error, at once', async (t) => {
  const redisLike = await keep(fakeServer((s) => s.write('-ERR unknown command\r\n')))
  const ran = await nats(`nats://127.0.0.1:${redisLike.port}`, {}, 1000)
  t.equal(ran.result.reason, 'error')
  t.equal(ran.result.error, "the server's first line is not a NATS INFO: not a NATS server")
  t.ok(beatSentinel(ran), `before a 1s timer (${ran.ms.toFixed(1)}ms)`)
})

t.test('protocol-level fake: an INFO that is not JSON is error', async (t) => {
  const broken = await keep(fakeServer((s) => s.write('INFO {"server_id": \r\n')))
  const ran = await nats(`nats://127.0.0.1:${broken.port}`, {}, 1000)
  t.equal(ran.result.reason, 'error', ran.result.error ?? '')
  t.equal(ran.result.error, "the server's INFO is not JSON (Unexpected end of JSON input): not a NATS server")
  t.ok(beatSentinel(ran))
})

t.test('protocol-level fake: bytes without a line end are cut at 64 KiB, error at once', async (t) => {
  const chunk = Buffer.alloc(64 * 1024, 'A')
  const flood = await keep(
    fakeServer((s) => {
      const write = () => {
        while (!s.destroyed && s.write(chunk));
        if (!s.destroyed) s.once('drain', write)
      }
      write()
    }),
  )
  const ran = await nats(`nats://127.0.0.1:${flood.port}`, {}, 1000)
  t.equal(ran.result.reason, 'error')
  t.equal(ran.result.error, 'the server sent 64 KiB without ending its first line: not a NATS server (no INFO line)')
  t.ok(beatSentinel(ran), `before a 1s timer (${ran.ms.toFixed(1)}ms)`)
})

t.test('protocol-level fake: an INFO, then garbage echoing the password: error at once, redacted, nothing printed', async (t) => {
  const before = printed.length
  const garbage = await keep(fakeServer((s) => s.write(INFO()), (s, data) => data.includes('CONNECT') && s.write(`-XYZZY ${PASSWORD} not protocol\r\n`)))
  const ran = await nats(`nats://${USER}:${PASSWORD}@127.0.0.1:${garbage.port}`, {}, 1000)
  t.equal(ran.result.reason, 'error')
  t.match(ran.result.error, /^the server sent what is not NATS protocol \(parse error \[\d+\]: XYZZY \*\*\* not protocol\?\?\): not a NATS server, or a broken one$/)
  t.ok(beatSentinel(ran), `before a 1s timer (${ran.ms.toFixed(1)}ms)`)
  t.same(printed.slice(before), [], 'the client printed nothing (it would print the bytes it could not parse)')
})

t.test('protocol-level fake: an INFO the client cannot use (a version that is no version) is error', async (t) => {
  const odd = await keep(fakeServer((s) => s.write(INFO({ version: 'two' }))))
  const ran = await nats(`nats://127.0.0.1:${odd.port}`, {}, 1000)
  t.equal(ran.result.reason, 'error')
  t.match(ran.result.error, /not NATS protocol \('two' is not a semver value\)/)
  t.ok(beatSentinel(ran))
})

t.test('protocol-level fake: an INFO, then no PONG: timeout at the timeout', async (t) => {
  const silent = await keep(fakeServer((s) => s.write(INFO())))
  const ran = await nats(`nats://127.0.0.1:${silent.port}`, { timeout: '500ms' }, 500)
  t.equal(ran.result.reason, 'timeout', ran.result.error ?? '')
  t.ok(lateness(ran) <= 50, `at most 10% after a plain 500ms timer fired (${ran.ms.toFixed(1)}ms)`)
})

t.test('protocol-level fake: a PONG, then the connection closed during the JetStream request', async (t) => {
  const hangUp = await keep(
    fakeServer(
      (s) => s.write(INFO()),
      (s, data) => {
        if (data.includes('PING')) s.write('PONG\r\n')
        if (data.includes('$JS.API')) s.destroy()
      },
    ),
  )
  const ran = await nats(`nats://127.0.0.1:${hangUp.port}`, { expect: { jetstream: true } }, 1000)
  t.equal(ran.result.ok, false)
  t.equal(ran.result.reason, 'error', ran.result.error ?? '')
  t.equal(ran.result.error, 'the server closed the connection')
  t.ok(beatSentinel(ran), `before a 1s timer (${ran.ms.toFixed(1)}ms)`)
})

t.test('protocol-level fake: a JetStream answer announcing 2 GB is refused as announced', async (t) => {
  const huge = await keep(
    fakeServer(
      (s) => s.write(INFO()),
      (s, data) => {
        if (data.includes('PING')) s.write('PONG\r\n')
        const sid = /SUB _INBOX\.\S+ (\d+)/.exec(data)?.[1]
        if (data.includes('$JS.API')) s.write(`MSG _INBOX.x ${sid ?? 1} 2000000000\r\n`)
      },
    ),
  )
  const ran = await nats(`nats://127.0.0.1:${huge.port}`, { expect: { jetstream: true } }, 1000)
  t.equal(ran.result.reason, 'error', ran.result.error ?? '')
  t.match(ran.result.error, /a message of 2000000000 bytes announced, more than the 1 MiB any answer this probe waits for/)
  t.ok(beatSentinel(ran), `before a 1s timer (${ran.ms.toFixed(1)}ms)`)
})

// ---------------------------------------------------------------- config and discovery

t.test('config: the URL, the stream names and expect.jetstream are validated, naming the key', async (t) => {
  const error = (fields: Record<string, unknown>) => {
    try {
      configOf({ probe: 'nats', ...fields })
    } catch (err) {
      return (err as Error).message
    }
    return ''
  }
  t.match(error({ url: 'redis://127.0.0.1:4222' }), /services\[0\]\.url: expected a URL starting with nats:\/\/ or tls:\/\//)
  t.match(error({ url: 'nats://127.0.0.1:4222/db' }), /services\[0\]\.url: expected no path in the URL/)
  t.match(error({ url: 'nats://127.0.0.1', expect: { streams: ['a.b'] } }), /services\[0\]\.expect\.streams\[0\]: expected a stream name/)
  t.match(error({ url: 'nats://127.0.0.1', expect: { jetstream: false } }), /services\[0\]\.expect\.jetstream: expected true/)
})

t.test('discovery: NATS_URL', async (t) => {
  const kind = PROBE_KINDS.get('nats')!
  t.same(kind.discover!({ NATS_URL: 'nats://nats:4222' }), [{ from: 'NATS_URL', service: { name: 'nats', group: 'infrastructure', probe: 'nats', url: 'nats://nats:4222' } }])
  t.same(kind.discover!({}), [])
  t.same(kind.discoveredFrom, ['NATS_URL'])
})

t.test("the client's own connect() still works beside the probe's transport", async (t) => {
  const nc = await natsConnect({ servers: '127.0.0.1:4222', reconnect: false })
  await nc.flush()
  await nc.close()
  const after = await nats('nats://127.0.0.1:4222')
  t.equal(after.result.ok, true, after.result.error ?? '')
})

t.test('no secret in any result or anything printed', async (t) => {
  const everything = JSON.stringify(results) + printed.join('\n')
  for (const secret of SECRETS) t.notOk(everything.includes(secret), `${secret.slice(0, 14)}... appears nowhere`)
})

t.test('no socket outlives its probe', async (t) => nothingLeftOpen(t, baseline, closeAll))
