// /metrics reuses its output buffers (src/exposition/buffers.ts). A buffer
// reused too early would corrupt an answer still being sent, or the rows the
// next scrape copies; one never reused would only cost memory. Held to both:
// the pool on its own, the exposition over a real store, and the HTTP layer
// handing the buffer back only once the answer is gone (read or abandoned).
import { connect, type AddressInfo, type Socket } from 'node:net'
import { createServer, get } from 'node:http'
import t from 'tap'
import { PROBE_KINDS } from '../../probes/index.js'
import { parseConfig } from '../../src/config/load.js'
import { BufferPool } from '../../src/exposition/buffers.js'
import { scheduledExposition, type Exposition } from '../../src/exposition/registries.js'
import { createApp, type View } from '../../src/http/server.js'
import { silentLogger } from '../../src/log.js'
import { ResultStore } from '../../src/results.js'
import { untilTrue } from '../helpers/poll.js'

t.test('the pool: a buffer comes back once every holder let go, never twice, and outgrown ones are dropped', async (t) => {
  const pool = new BufferPool(2)
  const a = pool.take(100)
  t.equal(a.length, 125, 'a new buffer has room for a slightly longer answer')
  pool.hold(a, 2)
  pool.release(a)
  t.equal(pool.free, 0, 'one holder left')
  t.not(pool.take(100), a, 'a held buffer is not handed out')
  pool.release(a)
  t.equal(pool.free, 1, 'the last holder gave it back')
  pool.release(a)
  t.equal(pool.free, 1, 'a release too many gives nothing back twice')
  t.equal(pool.take(90), a, 'a free buffer large enough is reused')
  t.equal(pool.free, 0)
  pool.hold(a, 1)
  pool.release(a)
  const right = pool.take(50)
  t.not(right, a, 'a free buffer more than half as large again as needed is not reused')
  t.equal(right.length, 63, 'a right-sized one comes instead')
  t.equal(pool.free, 0, 'and the oversized one is dropped')
  pool.release(Buffer.alloc(10))
  t.equal(pool.free, 0, 'a buffer never held is not taken in')
  const small = pool.take(10)
  pool.hold(small, 1)
  pool.release(small)
  const big = pool.take(1000)
  t.equal(big.length, 1250)
  t.equal(pool.free, 0, 'a free buffer too small for the next scrape is dropped')
  for (const b of [pool.take(1), pool.take(1), pool.take(1)]) {
    pool.hold(b, 1)
    pool.release(b)
  }
  t.equal(pool.free, 2, 'at most `keep` free buffers')
})

function exposition(extra = 0) {
  const more = Array.from({ length: extra }, (_, i) => `  - { name: s${i}, group: h, probe: tcp, address: "127.0.0.1:${i + 3}" }\n`).join('')
  const config = parseConfig(`services:\n  - { name: a, group: g, probe: tcp, address: "127.0.0.1:1" }\n  - { name: b, group: g, probe: tcp, address: "127.0.0.1:2" }\n${more}`, 'b.yml', PROBE_KINDS, {})
  const store = new ResultStore()
  store.setServices(config.services)
  let at = 1_800_000_000_000
  const record = (service: string, ok: boolean) => store.record({ service, ok, reason: ok ? undefined : 'refused', checks: [], durationSeconds: 0.25, finishedAt: (at += 1000), info: {}, facts: {}, findings: [] })
  const sources = { snapshot: () => store.snapshot(), self: () => ({ version: 'test', reloadOk: true, reloadAt: 0 }) }
  // A second exposition over the same store: its first scrape is written afresh, no buffer or row reused.
  const fresh = async () => ours(String((await scheduledExposition(config.kinds, sources).metrics()).text))
  return { face: scheduledExposition(config.kinds, sources), record, fresh }
}

const bytesOf = (m: Exposition) => m.text as Buffer
/** groundtruth's own lines (the Node process's metrics move between any two scrapes). */
const ours = (text: string) => text.split('\n').filter((l) => l.startsWith('groundtruth_') && !l.startsWith('groundtruth_build_info')).join('\n')

t.test('an answer not yet sent keeps its bytes while later scrapes are written; once sent, its buffer serves again', async (t) => {
  const { face, record, fresh } = exposition()
  record('a', true)
  record('b', false)
  const first = await face.metrics()
  const copy = Buffer.from(bytesOf(first))
  for (let i = 0; i < 5; i++) {
    record(i % 2 ? 'a' : 'b', i % 3 === 0)
    const m = await face.metrics()
    t.not(bytesOf(m).buffer, bytesOf(first).buffer, `scrape ${i + 2} is not written into the unsent first answer`)
    m.done!()
  }
  t.same(bytesOf(first), copy, 'the first answer is byte for byte what it was')
  first.done!()
  first.done!() // twice is once
  const again = [await face.metrics(), await face.metrics(), await face.metrics()]
  const seen = new Set<ArrayBufferLike>()
  for (let i = 0; i < 6; i++) {
    const m = await face.metrics()
    seen.add(bytesOf(m).buffer)
    m.done!()
  }
  t.equal(seen.size, 2, `scrapes one after another, each sent before the next: two buffers, taking turns (saw ${seen.size})`)
  const expected = await fresh()
  t.match(expected, /groundtruth_probe_failures_total\{service="b",reason="refused"\} [1-9]/)
  for (const m of again) t.equal(ours(String(m.text)), expected, 'what a fresh exposition writes, from reused buffers and rows')
})

t.test('concurrent scrapes: each writes its own buffer, none is handed out while an answer or the next copy needs it', async (t) => {
  const { face, record, fresh } = exposition()
  record('a', true)
  record('b', true)
  await face.metrics().then((m) => m.done!())
  // Two scrapes at once: both write before either has its process metrics.
  const [a, b] = await Promise.all([face.metrics(), face.metrics()])
  const expected = await fresh()
  t.equal(ours(String(a.text)), expected)
  t.equal(ours(String(b.text)), expected)
  t.not(bytesOf(a).buffer, bytesOf(b).buffer, 'two buffers')
  const copies = [Buffer.from(bytesOf(a)), Buffer.from(bytesOf(b))]
  for (let i = 0; i < 4; i++) {
    record('a', i % 2 === 0)
    const m = await face.metrics()
    t.ok(bytesOf(m).buffer !== bytesOf(a).buffer && bytesOf(m).buffer !== bytesOf(b).buffer, `scrape ${i + 1} after them writes neither unsent answer`)
    t.equal(ours(String(m.text)), await fresh(), `scrape ${i + 1} after them is right`)
    m.done!()
  }
  t.same([bytesOf(a), bytesOf(b)], copies, 'both unsent answers are unchanged')
  a.done!()
  b.done!()
})

t.test('an answer larger than the last one grows into a new buffer: rows and answer are still right, and still held', async (t) => {
  const { face, record, fresh } = exposition(300)
  record('a', true)
  const first = await face.metrics() // larger than the first buffer (16 KiB): it grew while writing the rows
  t.ok(bytesOf(first).length > 16 * 1024, `${bytesOf(first).length} bytes`)
  const copy = Buffer.from(bytesOf(first))
  record('b', false)
  const second = await face.metrics()
  t.equal(ours(String(second.text)), await fresh(), 'rows copied out of the grown buffer are right')
  t.not(bytesOf(second).buffer, bytesOf(first).buffer)
  second.done!()
  const third = await face.metrics()
  t.not(bytesOf(third).buffer, bytesOf(first).buffer, 'the unsent first answer is not reused')
  t.same(bytesOf(first), copy, 'and is unchanged')
  t.equal(ours(String(third.text)), await fresh())
  first.done!()
  third.done!()
})

t.test('the HTTP layer hands a buffer back when the answer was read, and when the client went away mid-answer', async (t) => {
  const big = Buffer.alloc(8 * 1024 * 1024, 'x') // larger than loopback's socket buffers: the answer is still being sent when the client stops reading
  let released = 0
  const view = {
    metrics: async () => ({ contentType: 'text/plain', text: big, done: () => released++ }),
  } as unknown as View
  const server = createServer(createApp(view, silentLogger))
  const serverSockets: Socket[] = []
  server.on('connection', (s: Socket) => serverSockets.push(s))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => new Promise<void>((r) => server.close(() => r())))
  const port = (server.address() as AddressInfo).port

  const length = await new Promise<number>((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/metrics', agent: false }, (res) => {
      let n = 0
      res.on('data', (d: Buffer) => (n += d.length))
      res.on('end', () => resolve(n))
    }).on('error', reject)
  })
  t.equal(length, big.length)
  await untilTrue('released after the answer was read', () => released === 1, 10_000)
  t.equal(released, 1)

  const raw = connect(port, '127.0.0.1')
  await new Promise<void>((r) => raw.once('connect', r))
  raw.write('GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n')
  raw.pause() // reads nothing: what the kernel cannot take stays queued in the server
  await untilTrue('the answer is stuck in the server', () => (serverSockets[1]?.writableLength ?? 0) > 0, 10_000)
  t.equal(released, 1, 'not released while the answer is still being sent')
  raw.destroy()
  await untilTrue('released once the client went away', () => released === 2, 10_000)
  t.equal(released, 2)
})
