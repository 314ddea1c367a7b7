// The rabbitmq probe against the machine's RabbitMQ (127.0.0.1:5672,
// guest/guest), through parseConfig and runProbe. The queues it looks for are
// declared here, uniquely named, by a connection of the test's own, and
// deleted at the end.
import { randomBytes } from 'node:crypto'
import { connect, type Channel, type ChannelModel } from 'amqplib'
import { stringify } from 'yaml'
import t from 'tap'
import rabbitmq from '../../probes/rabbitmq/index.js'
import { endpoint } from '../../probes/rabbitmq/endpoint.js'
import { ConfigError } from '../../src/config/errors.js'
import { parseConfig } from '../../src/config/load.js'
import { beatSentinel, checkPairs, detailOf, lateness, runService } from '../helpers/probe-run.js'
import { createServer, type Socket } from 'node:net'
import { createServer as createTlsServer } from 'node:tls'
import { makeCert, type TestCert } from '../helpers/tls.js'
import { bannerServer, closedPort, listen, serverPool, tarpit, type Running } from '../helpers/servers.js'
import { clientSockets, handlesAbove, settle, socketHandles } from '../helpers/sockets.js'
import { PROBE_KINDS } from '../../probes/index.js'

const baseline = socketHandles()
const BROKER = 'amqp://guest:guest@127.0.0.1:5672/'
const suffix = randomBytes(4).toString('hex')
const q = (name: string) => `gt-test-${name}-${suffix}`

const servers = serverPool()
const { keep } = servers

// The test's own connections: one declares and deletes queues, one consumes.
let admin: ChannelModel | undefined
let adminChannel: Channel
let consumer: ChannelModel | undefined
const declared: string[] = []
const present = q('present')
const busy = q('busy') // has one consumer
const idle = q('idle') // has none, and 2 messages
const absent = q('absent') // never declared
const absent2 = q('absent2')

async function cleanUp(): Promise<void> {
  await consumer?.close().catch(() => {})
  consumer = undefined
  if (admin) {
    for (const name of declared.splice(0)) await adminChannel.deleteQueue(name).catch(() => {})
    await admin.close().catch(() => {})
    admin = undefined
  }
  await servers.closeAll()
}
t.teardown(cleanUp)

t.before(async () => {
  admin = await connect(BROKER)
  admin.on('error', () => {})
  adminChannel = await admin.createChannel()
  adminChannel.on('error', () => {})
  for (const name of [present, busy, idle]) {
    await adminChannel.assertQueue(name, { durable: false })
    declared.push(name)
  }
  adminChannel.sendToQueue(idle, Buffer.from('one'))
  adminChannel.sendToQueue(idle, Buffer.from('two'))
  await adminChannel.checkQueue(idle) // a round trip: the messages are in
  consumer = await connect(BROKER)
  consumer.on('error', () => {})
  const channel = await consumer.createChannel()
  channel.on('error', () => {})
  await channel.consume(busy, () => {}, { noAck: true })
})

const rabbit = (expect: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  runService({ probe: 'rabbitmq', url: BROKER, timeout: '3s', expect, ...extra })

t.test('a reachable broker with its queues is up, and says what it is', async (t) => {
  const { result } = await rabbit({ queues: [present, idle], max_latency: '2s' })
  t.equal(result.ok, true)
  t.equal(result.reason, undefined)
  t.equal(result.error, undefined)
  t.same(checkPairs(result), [
    [`queue:${present}`, true],
    [`queue:${idle}`, true],
    ['max_latency', true],
  ])
  t.equal(detailOf(result, `queue:${present}`), '0 messages, 0 consumers')
  t.equal(detailOf(result, `queue:${idle}`), '2 messages, 0 consumers')
  t.equal(result.info.server_product, 'RabbitMQ')
  t.match(result.info.server_version, /^\d+\.\d+\.\d+/)
  t.equal(result.info.vhost, '/')
  t.type(result.info.latency_ms, 'number')
})

t.test('with nothing expected, connecting and opening a channel is the whole check', async (t) => {
  const { result } = await rabbit({})
  t.equal(result.ok, true)
  t.same(result.checks, [])
  t.equal(result.info.server_product, 'RabbitMQ')
})

t.test('a missing queue does not poison the checks after it, in either order', async (t) => {
  // The broker closes the channel with 404 after a failed passive declare.
  const absentFirst = await rabbit({ queues: [absent, present, absent2, idle] })
  t.equal(absentFirst.result.ok, false)
  t.equal(absentFirst.result.reason, 'expectation')
  t.same(checkPairs(absentFirst.result), [
    [`queue:${absent}`, false],
    [`queue:${present}`, true],
    [`queue:${absent2}`, false],
    [`queue:${idle}`, true],
  ])
  t.equal(detailOf(absentFirst.result, `queue:${absent}`), `no queue "${absent}" in vhost "/"`)
  t.equal(detailOf(absentFirst.result, `queue:${present}`), '0 messages, 0 consumers')
  t.equal(absentFirst.result.error, `queue:${absent}: no queue "${absent}" in vhost "/"; queue:${absent2}: no queue "${absent2}" in vhost "/"`)

  const presentFirst = await rabbit({ queues: [present, absent] })
  t.equal(presentFirst.result.reason, 'expectation')
  t.same(checkPairs(presentFirst.result), [
    [`queue:${present}`, true],
    [`queue:${absent}`, false],
  ])
})

t.test('consumers_min as one number applies to every listed queue', async (t) => {
  const { result } = await rabbit({ queues: [busy, idle, absent], consumers_min: 1 })
  t.equal(result.ok, false)
  t.equal(result.reason, 'expectation')
  t.same(checkPairs(result), [
    [`queue:${busy}`, true],
    [`consumers:${busy}`, true],
    [`queue:${idle}`, true],
    [`consumers:${idle}`, false],
    [`queue:${absent}`, false],
    [`consumers:${absent}`, false],
  ])
  t.equal(detailOf(result, `queue:${busy}`), '0 messages, 1 consumer')
  t.equal(detailOf(result, `consumers:${busy}`), '1 consumer, at least 1 wanted')
  t.equal(detailOf(result, `consumers:${idle}`), '0 consumers, at least 1 wanted')
  t.equal(detailOf(result, `consumers:${absent}`), 'consumer count unknown: the queue does not exist; at least 1 wanted')

  const two = await rabbit({ queues: [busy], consumers_min: 2 })
  t.same(checkPairs(two.result), [
    [`queue:${busy}`, true],
    [`consumers:${busy}`, false],
  ])
  t.equal(detailOf(two.result, `consumers:${busy}`), '1 consumer, at least 2 wanted')
})

t.test('consumers_min as a map checks only the queues it names', async (t) => {
  const { result } = await rabbit({ queues: [idle, busy], consumers_min: { [busy]: 1 } })
  t.equal(result.ok, true)
  t.same(checkPairs(result), [
    [`queue:${idle}`, true],
    [`queue:${busy}`, true],
    [`consumers:${busy}`, true],
  ])
  // The same names, in the same order, when the run fails before any check.
  t.same(rabbitmq.checkNames(parseService({ url: BROKER, expect: { queues: [idle, busy], consumers_min: { [busy]: 1 } } }) as never), [
    `queue:${idle}`,
    `queue:${busy}`,
    `consumers:${busy}`,
  ])
})

t.test("another connection's exclusive queue exists, but its consumers cannot be counted", async (t) => {
  const exclusive = q('exclusive')
  await adminChannel.assertQueue(exclusive, { exclusive: true })
  const { result } = await rabbit({ queues: [exclusive, present], consumers_min: { [exclusive]: 0 } })
  t.same(checkPairs(result), [
    [`queue:${exclusive}`, true],
    [`consumers:${exclusive}`, false],
    [`queue:${present}`, true],
  ])
  t.match(detailOf(result, `queue:${exclusive}`), /^exists, exclusive to another connection \(RESOURCE_LOCKED/)
  t.equal(detailOf(result, `consumers:${exclusive}`), 'consumer count unknown: the queue is exclusive to another connection; at least 0 wanted')
  await adminChannel.deleteQueue(exclusive)
})

t.test('wrong credentials are auth, and the planted password appears nowhere', async (t) => {
  const planted = `gt-planted-${randomBytes(6).toString('hex')}:/@`
  const url = `amqp://guest:${encodeURIComponent(planted)}@127.0.0.1:5672/`
  const { result, service } = await runService({ probe: 'rabbitmq', url, timeout: '3s', expect: { queues: [present], consumers_min: 1 } })
  t.equal(result.ok, false)
  t.equal(result.reason, 'auth')
  t.match(result.error, /^login as user "guest" refused: 403 \(ACCESS-REFUSED\)/)
  t.same(result.checks, [
    { name: `queue:${present}`, ok: false, detail: 'not evaluated: auth' },
    { name: `consumers:${present}`, ok: false, detail: 'not evaluated: auth' },
  ])
  const shown = [JSON.stringify(result), rabbitmq.target(service as never)].join('\n')
  t.notOk(shown.includes(planted), 'the decoded password is not shown')
  t.notOk(shown.includes(encodeURIComponent(planted)), 'the encoded password is not shown')
  t.notOk(shown.includes('gt-planted-'), 'no part of it is shown')
})

t.test('a vhost that does not exist is auth: the broker answers 530 NOT_ALLOWED', async (t) => {
  const vhost = `gt-no-such-vhost-${suffix}`
  // No user info: guest/guest, as every AMQP client assumes (and "guest" is then no secret to mask).
  const { result } = await runService({ probe: 'rabbitmq', url: `amqp://127.0.0.1:5672/${vhost}`, timeout: '3s', expect: { queues: [present] } })
  t.equal(result.ok, false)
  t.equal(result.reason, 'auth')
  t.equal(result.error, `the broker refused to open vhost "${vhost}" for user "guest": 530 NOT_ALLOWED - vhost ${vhost} not found`)
  t.same(checkPairs(result), [[`queue:${present}`, false]])
})

t.test('a closed port is refused, fast', async (t) => {
  const port = await closedPort()
  const ran = await runService({ probe: 'rabbitmq', url: `amqp://guest:guest@127.0.0.1:${port}/`, timeout: '3s', expect: { queues: [present] } }, { sentinel: 1000 })
  const { result, ms } = ran
  t.equal(result.reason, 'refused')
  t.match(result.error, /ECONNREFUSED/)
  t.same(checkPairs(result), [[`queue:${present}`, false]])
  t.ok(beatSentinel(ran), `did not wait for the timeout (${ms.toFixed(1)}ms, before a 1s timer)`)
})

t.test('a peer that accepts and never answers is a timeout, within the bound', async (t) => {
  const pit = await keep(tarpit())
  const timeout = 500
  const ran = await runService({ probe: 'rabbitmq', url: `amqp://guest:guest@127.0.0.1:${pit.port}/`, timeout: `${timeout}ms`, expect: { queues: [present] } }, { sentinel: timeout })
  const { result, ms } = ran
  t.equal(result.ok, false)
  t.equal(result.reason, 'timeout')
  t.same(checkPairs(result), [[`queue:${present}`, false]])
  t.ok(ms >= timeout - 5, `waited for the timeout (${ms.toFixed(1)}ms)`)
  t.ok(lateness(ran) <= timeout * 0.1, `bounded by the timeout (${ms.toFixed(1)}ms; a plain ${timeout}ms timer fired at ${ran.sentinelMs?.toFixed(1)}ms)`)
})

t.test('a peer that is not an AMQP broker is an error, without waiting for the timeout', async (t) => {
  const http = await keep(bannerServer('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n'))
  const ran = await runService({ probe: 'rabbitmq', url: `amqp://127.0.0.1:${http.port}/`, timeout: '3s' }, { sentinel: 1000 })
  const { result, ms } = ran
  t.equal(result.ok, false)
  t.equal(result.reason, 'error')
  t.equal(result.error, `127.0.0.1:${http.port} does not speak AMQP 0-9-1: it answered "HTTP/1.1 400 Bad Request"`)
  t.ok(beatSentinel(ran), `did not wait for the timeout (${ms.toFixed(1)}ms, before a 1s timer)`)
})

t.test('an AMQP 1.0 peer is an error that says what it answered', async (t) => {
  const amqp10 = await keep(bannerServer('AMQP\x00\x01\x00\x00'))
  const ran = await runService({ probe: 'rabbitmq', url: `amqp://127.0.0.1:${amqp10.port}/`, timeout: '3s' }, { sentinel: 1000 })
  const { result, ms } = ran
  t.equal(result.reason, 'error')
  t.equal(result.error, `127.0.0.1:${amqp10.port} does not speak AMQP 0-9-1: it answered "AMQP\\u0000\\u0001\\u0000\\u0000"`)
  t.ok(beatSentinel(ran), `did not wait for the timeout (${ms.toFixed(1)}ms, before a 1s timer)`)
})

/**
 * A broker that logs anyone in and answers connection.open with
 * connection.close(code, text): what RabbitMQ does for the refusals that
 * need a second user or vhost to provoke (texts as RabbitMQ 3.10 sends them).
 * With `bytewise`, every byte is its own TCP write, so the frames arrive split.
 */
function refusingBroker(code: number, text: string, bytewise = false, tls?: TestCert): Promise<Running> {
  const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff])
  const u32 = (n: number) => Buffer.from([n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff])
  const longstr = (v: string) => Buffer.concat([u32(Buffer.byteLength(v)), Buffer.from(v)])
  const method = (classId: number, methodId: number, args: Buffer) => {
    const payload = Buffer.concat([u16(classId), u16(methodId), args])
    return Buffer.concat([Buffer.from([1]), u16(0), u32(payload.length), payload, Buffer.from([0xce])])
  }
  const start = method(10, 10, Buffer.concat([Buffer.from([0, 9]), u32(0), longstr('PLAIN'), longstr('en_US')]))
  const tune = method(10, 30, Buffer.concat([u16(0), u32(131072), u16(0)]))
  const close = method(10, 50, Buffer.concat([u16(code), Buffer.from([Buffer.byteLength(text)]), Buffer.from(text), u16(10), u16(40)]))
  const create = tls ? (handler: (s: Socket) => void) => createTlsServer({ key: tls.key, cert: tls.cert }, handler) : createServer
  return listen(
    create((socket: Socket) => {
      socket.on('error', () => {})
      const send = async (bytes: Buffer) => {
        if (!bytewise) return void socket.write(bytes)
        for (const byte of bytes) {
          socket.write(Buffer.from([byte]))
          await new Promise((r) => setTimeout(r, 1))
        }
      }
      let buffer = Buffer.alloc(0)
      let greeted = false
      socket.on('data', (chunk: Buffer) => {
        buffer = Buffer.concat([buffer, chunk])
        if (!greeted && buffer.length >= 8) {
          buffer = buffer.subarray(8) // "AMQP" 0 0 9 1
          greeted = true
          void send(start)
        }
        while (greeted && buffer.length >= 7 && buffer.length >= 8 + buffer.readUInt32BE(3)) {
          const id = `${buffer.readUInt16BE(7)}.${buffer.readUInt16BE(9)}`
          buffer = buffer.subarray(8 + buffer.readUInt32BE(3))
          if (id === '10.11') void send(tune) // start-ok
          if (id === '10.40') void send(close) // open
        }
      })
    }),
    tls ? 'amqps' : 'amqp',
  )
}

t.test("refusals at connection.open other than access are errors, with the broker's words", async (t) => {
  const cases = [
    { code: 530, text: "NOT_ALLOWED - access to vhost '/' refused for user 'guest': connection limit (0) is reached", reason: 'error' },
    { code: 530, text: "NOT_ALLOWED - connection refused for user 'guest': user connection limit (0) is reached", reason: 'error' },
    { code: 541, text: "INTERNAL_ERROR - access to vhost '/' refused for user 'guest': vhost '/' is down", reason: 'error' },
    { code: 530, text: "NOT_ALLOWED - access to vhost '/' refused for user 'guest'", reason: 'auth' },
  ]
  for (const c of cases) {
    const broker = await keep(refusingBroker(c.code, c.text))
    const { result } = await runService({ probe: 'rabbitmq', url: `amqp://127.0.0.1:${broker.port}/`, timeout: '3s', expect: { queues: ['jobs'] } })
    t.equal(result.reason, c.reason, c.text)
    t.equal(result.error, `the broker refused to open vhost "/" for user "guest": ${c.code} ${c.text}`)
    t.same(checkPairs(result), [['queue:jobs', false]])
  }
})

t.test("the broker's reply is read even when its frames arrive a byte at a time", async (t) => {
  const text = 'NOT_ALLOWED - vhost prod not found'
  const broker = await keep(refusingBroker(530, text, true))
  const { result } = await runService({ probe: 'rabbitmq', url: `amqp://127.0.0.1:${broker.port}/prod`, timeout: '3s' })
  t.equal(result.reason, 'auth')
  t.equal(result.error, `the broker refused to open vhost "prod" for user "guest": 530 ${text}`)
})

t.test('amqps:// verifies the certificate, and tells what it can of a refusal over TLS', async (t) => {
  const cert = makeCert(30)
  const tlsBroker = await keep(refusingBroker(530, "NOT_ALLOWED - access to vhost 'prod' refused for user 'app'", false, cert))
  const url = `amqps://app:${encodeURIComponent('tls-secret-pw')}@127.0.0.1:${tlsBroker.port}/prod`

  const untrusted = await runService({ probe: 'rabbitmq', url, timeout: '3s' })
  t.equal(untrusted.result.reason, 'tls')

  const { result } = await runService({ probe: 'rabbitmq', url, timeout: '3s', tls: { ca_file: cert.caFile } })
  t.equal(result.reason, 'auth')
  t.equal(
    result.error,
    `the broker refused to open vhost "prod" for user "app" (the vhost does not exist, the user has no permission on it, or a connection limit is reached; the broker's reply is not readable over TLS)`,
  )
  t.notOk(JSON.stringify([untrusted.result, result]).includes('tls-secret-pw'), 'the password appears nowhere')

  const pit = await keep(tarpit())
  const timeout = 500
  const slow = await runService({ probe: 'rabbitmq', url: `amqps://127.0.0.1:${pit.port}/`, timeout: `${timeout}ms`, tls: { insecure: true } }, { sentinel: timeout })
  t.equal(slow.result.reason, 'timeout')
  t.ok(lateness(slow) <= timeout * 0.1, `bounded by the timeout (${slow.ms.toFixed(1)}ms; a plain ${timeout}ms timer fired at ${slow.sentinelMs?.toFixed(1)}ms)`)
})

t.test('tls settings on an amqp:// url are an error, not a silent plaintext connection', async (t) => {
  const { result } = await rabbit({}, { tls: { insecure: true } })
  t.equal(result.reason, 'error')
  t.equal(result.error, 'tls settings are given but the url is amqp://; use amqps:// for TLS')
})

function parseService(fields: Record<string, unknown>) {
  return parseConfig(stringify({ services: [{ name: 'svc', probe: 'rabbitmq', ...fields }] }), 'probe-test.yml', PROBE_KINDS, {}).services[0]!
}

function configProblems(fields: Record<string, unknown>): string {
  try {
    parseService(fields)
  } catch (err) {
    if (err instanceof ConfigError) return err.message
    throw err
  }
  throw new Error('expected a ConfigError')
}

t.test('the config is checked when it is loaded', async (t) => {
  t.match(configProblems({ url: 'http://127.0.0.1:5672/' }), /services\[0\]\.url: expected a URL starting with amqp:\/\/ or amqps:\/\//)
  t.match(configProblems({ url: 'amqp://127.0.0.1/%zz' }), /services\[0\]\.url: expected the user, password and vhost of the URL to be valid percent-encoding/)
  t.match(configProblems({ url: BROKER, expect: { queues: ['a', 'b', 'a'] } }), /services\[0\]\.expect\.queues\[2\]: duplicate queue "a"/)
  t.match(configProblems({ url: BROKER, expect: { queues: [''] } }), /services\[0\]\.expect\.queues\[0\]: expected a queue name/)
  t.match(configProblems({ url: BROKER, expect: { consumers_min: 1 } }), /services\[0\]\.expect\.consumers_min: applies to the queues of expect\.queues, and none are listed/)
  t.match(configProblems({ url: BROKER, expect: { queues: ['a'], consumers_min: { b: 1 } } }), /services\[0\]\.expect\.consumers_min\.b: queue "b" is not in expect\.queues/)
  t.match(configProblems({ url: BROKER, expect: { queues: ['a'], consumers_min: -1 } }), /services\[0\]\.expect\.consumers_min/)
  t.match(configProblems({ url: BROKER, expect: { queue: ['a'] } }), /services\[0\]\.expect/)
})

t.test('target shows host:port/vhost and nothing of the credentials', async (t) => {
  const target = (url: string) => rabbitmq.target(parseService({ url }) as never)
  t.equal(target('amqp://user:s3cret-pw@mq.internal:5673/prod'), 'mq.internal:5673/prod')
  t.equal(target('amqp://user:s3cret-pw@mq.internal'), 'mq.internal:5672//')
  t.equal(target('amqp://mq.internal/%2F'), 'mq.internal:5672//')
  t.equal(target('amqps://user:pw@mq.internal/team%2Fjobs'), 'mq.internal:5671/team/jobs')
  t.equal(target('amqp://[::1]:5672/v'), '[::1]:5672/v')
})

t.test('the URL as RabbitMQ reads it: percent-decoded user, password and vhost; guest/guest without user info', async (t) => {
  t.same(endpoint('amqps://app:p%40ss@mq.internal/team%2Fjobs'), { host: 'mq.internal', port: 5671, tls: true, vhost: 'team/jobs', username: 'app', password: 'p@ss' })
  t.same(endpoint('amqp://mq'), { host: 'mq', port: 5672, tls: false, vhost: '/', username: 'guest', password: 'guest' })
  t.match(endpoint('amqp://:only-pw@mq/'), { username: '', password: 'only-pw' })
  t.match(endpoint('amqp://only-user@mq/'), { username: 'only-user', password: '' })
})

t.test('discover finds RABBITMQ_URL, else AMQP_URL, with the URL as found', async (t) => {
  const url = 'amqp://app:pw@mq:5672/prod'
  t.same(rabbitmq.discover!({ RABBITMQ_URL: url, AMQP_URL: 'amqp://other' }), [
    { from: 'RABBITMQ_URL', service: { name: 'rabbitmq', group: 'infrastructure', probe: 'rabbitmq', url } },
  ])
  t.same(rabbitmq.discover!({ AMQP_URL: url }), [{ from: 'AMQP_URL', service: { name: 'rabbitmq', group: 'infrastructure', probe: 'rabbitmq', url } }])
  t.same(rabbitmq.discover!({ RABBITMQ_URL: '', DATABASE_URL: 'postgres://x' }), [])
})

t.test('nothing is left open', async (t) => {
  // The probes' connections are gone while the test's own are still open
  // (they are counted out by port), then everything after the clean-up.
  await settle()
  const own = [admin, consumer].map((m) => (m?.connection as unknown as { stream: { localPort: number } }).stream.localPort)
  t.same(
    clientSockets().filter((s) => !own.some((port) => s.startsWith(`127.0.0.1:${port} `))),
    [],
    'no probe socket outlives its probe',
  )
  await cleanUp()
  await settle()
  t.same(handlesAbove(baseline), [], 'no more socket handles of any kind than at the start')
})
