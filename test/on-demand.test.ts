// /probe under load: identical concurrent requests share one run of each
// service, all on-demand work shares one process-wide limit, and a full
// queue answers 503 with Retry-After. Against a real TCP peer that counts
// its connections and holds each one until the test lets it go.
import { createServer, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { PROBE_KINDS } from '../probes/index.js'
import { parseConfig } from '../src/config/load.js'
import { OnDemand } from '../src/on-demand.js'
import { silentLogger } from '../src/log.js'
import { ResultStore } from '../src/results.js'
import { Daemon } from '../src/daemon.js'
import { untilTrue } from './helpers/poll.js'

/** Accepts, counts, and answers "+OK" only when released. */
async function heldPeer() {
  const held: Socket[] = []
  let connections = 0
  let peak = 0
  // Waiting for an answer: accepted and not yet released (a released socket may linger until the client closes it).
  const waiting = new Set<Socket>()
  const server = createServer((socket) => {
    connections++
    held.push(socket)
    waiting.add(socket)
    peak = Math.max(peak, waiting.size)
    socket.on('error', () => {})
    socket.on('close', () => held.splice(held.indexOf(socket), 1))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => connections,
    peak: () => peak,
    resetPeak: () => (peak = waiting.size),
    open: () => waiting.size,
    release: () => {
      for (const s of waiting) s.end('+OK\n')
      waiting.clear()
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  }
}

const flush = async () => {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r))
}

const until = (what: string, ok: () => boolean) => untilTrue(what, ok, 2000)

t.test('identical concurrent /probe requests share one run; the limit is process-wide; a full queue is busy', async (t) => {
  const peer = await heldPeer()
  t.teardown(peer.close)
  const services = Array.from({ length: 6 }, (_, i) => `  - { name: s${i}, group: g, probe: tcp, address: "127.0.0.1:${peer.port}", expect: { banner_contains: OK } }`).join('\n')
  const config = parseConfig(`concurrency: 2\ndefaults: { timeout: 5s }\nservices:\n${services}\n`, 'od.yml', PROBE_KINDS, {})
  const store = new ResultStore()
  store.setServices(config.services)
  const onDemand = new OnDemand({ concurrency: 2, queueLimit: 4, log: silentLogger })

  // Ten identical requests for s0: one connection.
  const same = Array.from({ length: 10 }, () => onDemand.probe(config, store, { services: ['s0'], groups: [] }, process.cwd()))
  await until('the one connection', () => peer.connections() === 1)
  await flush()
  t.equal(peer.connections(), 1, 'one run for ten identical requests')
  peer.release()
  const answers = await Promise.all(same)
  t.ok(answers.every((a) => 'text' in a && /groundtruth_service_up\{service="s0",group="g",probe="tcp"\} 1/.test(String(a.text))), 'each request got the shared result')

  // Three requests for the whole group: at most 2 connections at once, whatever the number of requests.
  const before = peer.connections()
  peer.resetPeak()
  const group = Array.from({ length: 3 }, () => onDemand.probe(config, store, { services: [], groups: ['g'] }, process.cwd()))
  await until('two connections', () => peer.open() === 2)
  await flush()
  t.equal(peer.open(), 2, 'the process-wide limit holds')
  t.same(onDemand.load, { active: 2, queued: 4, inflight: 6 })
  // Queue full (4 waiting): a request for services already in flight joins them; one that needs a new run is busy.
  const joined = onDemand.probe(config, store, { services: ['s5'], groups: [] }, process.cwd())
  t.same(onDemand.load, { active: 2, queued: 4, inflight: 6 }, 'joining starts no run')
  const other = parseConfig(`concurrency: 2\ndefaults: { timeout: 5s }\nservices:\n  - { name: x, probe: tcp, address: "127.0.0.1:${peer.port}" }\n`, 'x.yml', PROBE_KINDS, {})
  t.same(await onDemand.probe(other, store, { services: ['x'], groups: [] }, process.cwd()), { busy: true, retryAfterSeconds: 5 })
  while (peer.connections() - before < 6) {
    peer.release()
    await flush()
  }
  peer.release()
  await Promise.all([...group, joined])
  t.equal(peer.connections() - before, 6, 'three group requests: six runs, one per service')
  t.equal(peer.peak(), 2, 'never more than the limit of 2 at once')
})

t.test('over HTTP: a full queue is a 503 with Retry-After', async (t) => {
  const peer = await heldPeer()
  t.teardown(peer.close)
  const line = (i: number, group: string) => `  - { name: s${i}, group: ${group}, probe: tcp, address: "127.0.0.1:${peer.port}", expect: { banner_contains: OK }, interval: 1h, timeout: 3s }`
  const services = Array.from({ length: 70 }, (_, i) => line(i, i < 60 ? 'first' : 'second')).join('\n')
  const config = parseConfig(`concurrency: 1\nservices:\n${services}\n`, 'od.yml', PROBE_KINDS, {})
  const daemon = await Daemon.create({ load: async () => config, log: silentLogger })
  const server = await daemon.listen(0, '127.0.0.1')
  t.teardown(() => daemon.stop())
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  // 60 runs: one at a time, 59 waiting, within the queue limit of 64.
  const first = fetch(`${base}/probe?group=first`)
  await until('the first run', () => peer.open() === 1)
  // 10 more would make 69 waiting: refused at once.
  const second = await fetch(`${base}/probe?group=second`)
  t.equal(second.status, 503)
  t.equal(second.headers.get('retry-after'), '3')
  t.match(await second.text(), /too many probes queued/)
  while ((await Promise.race([first.then(() => 'done'), new Promise((r) => setTimeout(() => r('wait'), 1))])) === 'wait') peer.release()
  t.equal((await first).status, 200)
})
