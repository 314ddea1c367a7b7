// The byte budget of a run (probes/lib/budget.ts) on its own, the cap on
// http's max_body_bytes, and the kinds that speak TLS against hostile peers
// over TLS: the budget counts the decrypted bytes of a TLS socket, and the
// sockets a library wraps in TLS half-way (pg after SSLRequest) stay counted.
import { connect, createServer, type AddressInfo, type Socket } from 'node:net'
import { Readable } from 'node:stream'
import t from 'tap'
import { ByteBudget, formatBytes, RUN_BYTE_BUDGET } from '../../probes/lib/budget.js'
import { MAX_BODY_BYTES_CAP } from '../../probes/http.js'
import { ProbeError } from '../../src/probe.js'
import { configOf, runService } from '../helpers/probe-run.js'
import { clientSockets, settle } from '../helpers/sockets.js'
import { makeCert } from '../helpers/tls.js'
import { amqpHugeFrame, endless, fakeRedisBulk, httpEndlessBody, pgSslThenEndless, pour } from './peers.js'

t.test('formatBytes', async (t) => {
  t.equal(formatBytes(RUN_BYTE_BUDGET), '16 MiB')
  t.equal(formatBytes(4096), '4 KiB')
  t.equal(formatBytes(2 ** 30), '1 GiB')
  t.equal(formatBytes(1000), '1000 bytes')
  t.equal(formatBytes(1536), '1536 bytes')
})

/** A readable fed by hand, as a socket is fed by its handle. */
const fed = () => new Readable({ read() {} })

t.test('a budget counts every guarded stream against one limit', async (t) => {
  const budget = new ByteBudget(10, 'the test peer')
  const a = budget.guard(fed())
  const b = fed()
  t.equal(budget.guard(b), b, 'guard returns the stream')
  budget.guard(b) // guarding twice counts once
  a.push(Buffer.alloc(4))
  b.push('four')
  t.equal(budget.read, 8)
  t.equal(budget.exceeded, undefined, 'within the limit')
  t.equal(budget.explain('as it was'), 'as it was', 'errors pass through while it holds')
  a.push(null) // the end of a stream costs nothing
  t.equal(budget.read, 8)

  const destroyed = new Promise<Error>((resolve) => b.once('error', resolve))
  t.equal(b.push(Buffer.alloc(3)), false, 'the chunk over the limit is refused')
  const err = await destroyed
  t.ok(b.destroyed, 'and its stream destroyed')
  t.type(err, ProbeError)
  t.equal((err as ProbeError).reason, 'error')
  t.equal(err.message, 'the test peer sent more than 10 bytes in one run, more than any answer this probe waits for: the connection was closed there (a hostile or misbehaving peer, or not the service the config names?)')
  t.equal(budget.exceeded, err)
  t.same(budget.exceeded?.info, { bytes_read_limit: 10 })

  t.equal(budget.explain(err), err, 'its own error is kept')
  t.equal(budget.explain(new Error('Connection is closed.')), err, "a library's consequence is replaced by the cause")
  const wrapped = new ProbeError('error', `the connection closed during PING: ${err.message}`)
  t.equal(budget.explain(wrapped), wrapped, 'an error that already says so is kept')

  const late = fed()
  late.on('error', () => {})
  budget.guard(late)
  t.ok(late.destroyed, 'a stream guarded once the budget is spent is destroyed at once')
  t.equal(late.push(Buffer.alloc(1)), false)
})

t.test('on a real socket: counted as it arrives, cut past the limit, the reader sees no more', async (t) => {
  const server = createServer((socket) => {
    socket.on('error', () => {})
    pour(socket, Buffer.alloc(64 * 1024, 'z'), () => {})
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const budget = new ByteBudget(1024 * 1024)
  const socket: Socket = budget.guard(connect((server.address() as AddressInfo).port, '127.0.0.1'))
  let seen = 0
  socket.on('data', (chunk: Buffer) => (seen += chunk.length))
  const err = await new Promise<Error>((resolve) => socket.once('error', resolve))
  t.equal(err, budget.exceeded)
  t.ok(seen <= 1024 * 1024, `the reader saw ${seen} bytes, at most the limit`)
  t.ok(budget.read > 1024 * 1024, 'the budget counted the chunk that went over')
  await settle()
  t.same(clientSockets(), [])
})

t.test('http: max_body_bytes is capped at 64 MiB', async (t) => {
  t.equal(MAX_BODY_BYTES_CAP, 64 * 1024 * 1024)
  const parse = (n: number) => () => configOf({ probe: 'http', url: 'http://127.0.0.1/', max_body_bytes: n })
  t.doesNotThrow(parse(MAX_BODY_BYTES_CAP), 'exactly the cap is fine')
  t.throws(parse(MAX_BODY_BYTES_CAP + 1), /services\[0\]\.max_body_bytes: expected at most 67108864 \(64 MiB\)/)
  t.throws(parse(1e15), /services\[0\]\.max_body_bytes: expected at most 67108864 \(64 MiB\)/, '10^15 no longer validates')
})

t.test('over TLS', async (t) => {
  const cert = makeCert(30)
  const tls = { key: cert.key, cert: cert.cert }
  const budgetSaid = /sent more than 16 MiB in one run/
  const runs: [string, () => Promise<{ port?: number; close(): Promise<void> }>, (port: number) => Record<string, unknown>, RegExp][] = [
    ['redis: rediss:// and a billion-byte bulk string', () => fakeRedisBulk(tls), (port) => ({ probe: 'redis', url: `rediss://127.0.0.1:${port}/0`, tls: { ca_file: cert.caFile } }), budgetSaid],
    [
      'elasticsearch: https:// and a body without end',
      () => httpEndlessBody(tls),
      (port) => ({ probe: 'elasticsearch', url: `https://127.0.0.1:${port}`, tls: { ca_file: cert.caFile } }),
      budgetSaid,
    ],
    ['minio: https:// and a body without end', () => httpEndlessBody(tls), (port) => ({ probe: 'minio', url: `https://127.0.0.1:${port}`, tls: { ca_file: cert.caFile } }), budgetSaid],
    [
      // Not announced on the diagnostics channel: amqplib's own frame bound (MAX_FRAME_BYTES) holds during the handshake.
      'rabbitmq: amqps:// and a frame announcing 2 GB',
      () => amqpHugeFrame(tls),
      (port) => ({ probe: 'rabbitmq', url: `amqps://127.0.0.1:${port}/`, tls: { ca_file: cert.caFile } }),
      /exceeds maxFrameSize 1048576/,
    ],
    [
      'postgres: SSLRequest accepted, then a stream inside TLS',
      () => pgSslThenEndless(tls),
      (port) => ({ probe: 'postgres', url: `postgres://postgres:pw@127.0.0.1:${port}/test?sslmode=require` }),
      budgetSaid,
    ],
    [
      'postgres: plain, a stream before any TLS',
      () => endless({ afterRequest: true }),
      (port) => ({ probe: 'postgres', url: `postgres://postgres:pw@127.0.0.1:${port}/test?sslmode=disable` }),
      budgetSaid,
    ],
  ]
  for (const [label, start, fields, says] of runs) {
    t.test(label, async (t) => {
      const peer = await start()
      t.teardown(() => peer.close())
      const { result } = await runService({ ...fields(peer.port!), timeout: '3s' })
      t.equal(result.ok, false)
      t.equal(result.reason, 'error')
      t.match(result.error, says)
      await settle()
      t.same(clientSockets(), [], 'no client socket outlives the run')
    })
  }
})
