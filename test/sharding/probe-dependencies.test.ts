// /probe of a service measures what it depends on, for its readiness only:
// against real TCP peers that count their connections (and hold them when
// told), with no scheduled result anywhere, as on a sharded replica. The
// answer carries only the asked services; a shared dependency runs once per
// burst of concurrent scrapes and is reused for its interval by scrapes
// spread over it; nothing deadlocks on one slot; the queue estimate counts
// the dependencies' runs.
import { createServer, type AddressInfo, type Socket } from 'node:net'
import t, { type Test } from 'tap'
import { PROBE_KINDS } from '../../probes/index.js'
import { parseConfig } from '../../src/config/load.js'
import type { Exposition } from '../../src/exposition/registries.js'
import type { Busy } from '../../src/http/server.js'
import { createLogger, silentLogger, type Logger } from '../../src/log.js'
import { OnDemand } from '../../src/on-demand.js'
import { ResultStore } from '../../src/results.js'
import { closedPort } from '../helpers/servers.js'
import { find, parseExposition, value, type Sample } from '../helpers/metrics.js'
import { untilTrue } from '../helpers/poll.js'

/** A TCP peer that counts connections; `held` ones wait for release(), the others are accepted and left open. */
async function peer(t: Test, held = false) {
  let connections = 0
  const waiting = new Set<Socket>()
  const server = createServer((socket) => {
    connections++
    socket.on('error', () => {})
    if (held) waiting.add(socket)
    else socket.end('+OK\n')
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => new Promise<void>((r) => server.close(() => r())))
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
    open: () => waiting.size,
    release: () => {
      for (const s of waiting) s.end('+OK\n')
      waiting.clear()
    },
  }
}

function setup(services: string, concurrency = 4, queueLimit = 64, log: Logger = silentLogger, now?: () => number) {
  const config = parseConfig(`concurrency: ${concurrency}\ndefaults: { interval: 1h, timeout: 5s }\nservices:\n${services}`, 'deps.yml', PROBE_KINDS, {})
  // A store with no result at all: this replica's scheduler never measured anything.
  const store = new ResultStore()
  store.setServices(config.services)
  const onDemand = new OnDemand({ concurrency, queueLimit, log, now })
  const probe = (...names: string[]) => onDemand.probe(config, store, { services: names, groups: [] }, process.cwd())
  return { onDemand, probe, store, config }
}

const samples = (answer: Exposition | Busy): Sample[] => {
  if ('busy' in answer) throw new Error('unexpectedly busy')
  return parseExposition(String(answer.text))
}
const servicesIn = (s: Sample[]) => [...new Set(s.map((x) => x.labels.service).filter(Boolean))].sort()

const until = (what: string, ok: () => boolean) => untilTrue(what, ok, 5000)

t.test('the dependencies are probed now; the answer shows only the asked service', async (t) => {
  const cache = await peer(t)
  const auth = await peer(t)
  const billing = await peer(t)
  const { probe } = setup(`  - { name: cache, group: infrastructure, probe: tcp, address: "${cache.address}" }
  - { name: auth, group: backend, probe: tcp, address: "${auth.address}", depends_on: [cache] }
  - { name: billing, group: backend, probe: tcp, address: "${billing.address}", depends_on: [auth] }
`)
  const answer = samples(await probe('billing'))
  t.same([cache.connections(), auth.connections(), billing.connections()], [1, 1, 1], 'billing, and transitively auth and cache, each probed once')
  t.same(servicesIn(answer), ['billing'], 'only the asked service is exported: the dependencies belong to their own replica')
  t.equal(value(answer, 'groundtruth_service_ready', { service: 'billing' }), 1, 'ready: judged on the fresh results, though no schedule ever ran here')
  t.same(find(answer, 'groundtruth_group_ready_ratio'), [], 'no ratio for backend: auth was measured, not asked for')
  t.same(find(answer, 'groundtruth_ready_ratio'), [])

  const both = samples(await probe('auth', 'billing'))
  t.same(servicesIn(both), ['auth', 'billing'])
  t.equal(value(both, 'groundtruth_group_ready_ratio', { group: 'backend' }), 1, 'both asked: backend is covered, its ratio is there')
})

t.test('a down dependency makes the asked service not ready, with the dependency cause', async (t) => {
  const api = await peer(t)
  const down = await closedPort()
  const logs: string[] = []
  const { probe } = setup(`  - { name: db, group: infrastructure, probe: tcp, address: "127.0.0.1:${down}" }
  - { name: api, group: backend, probe: tcp, address: "${api.address}", depends_on: [db] }
  - { name: web, group: frontend, probe: tcp, address: "${api.address}", depends_on: [api] }
`, 4, 64, createLogger({ level: 'info', write: (l) => logs.push(l) }))
  const answer = samples(await probe('web'))
  t.same(servicesIn(answer), ['web'])
  t.equal(value(answer, 'groundtruth_service_up', { service: 'web' }), 1)
  t.equal(value(answer, 'groundtruth_service_ready', { service: 'web' }), 0, 'web waits on api, which waits on the down db')
  t.equal(value(answer, 'groundtruth_service_not_ready', { service: 'web', cause: 'dependency' }), 1)
  t.same(find(answer, 'groundtruth_service_up', { service: 'db' }), [], 'the down db is not exported here')
  await probe('web')
  await probe('api')
  t.equal(logs.filter((l) => l.includes('probe failed')).length, 1, 'the down db logs once, not at every scrape, though no schedule knows it')
})

t.test('a shared dependency runs once per burst, on one slot, without deadlock', async (t) => {
  const fast = await peer(t)
  const db = await peer(t, true)
  const line = (name: string) => `  - { name: ${name}, group: g, probe: tcp, address: "${fast.address}", depends_on: [db], expect: { banner_contains: OK } }`
  // One slot: a service that held it while waiting for db, queued behind it, would never finish.
  const { probe, onDemand } = setup(`  - { name: db, group: infra, probe: tcp, address: "${db.address}", expect: { banner_contains: OK } }\n${['a', 'b', 'c'].map(line).join('\n')}\n`, 1)
  const answers = [probe('a'), probe('b'), probe('c')]
  await until('db probed', () => db.open() === 1)
  t.equal(db.connections(), 1, 'three scrapes, one run of their shared dependency')
  t.same(onDemand.load, { active: 1, queued: 2, inflight: 3 }, 'db holds the one slot; b and c wait behind it; a (first in line) is done')
  db.release()
  const done = await Promise.all(answers)
  t.equal(db.connections(), 1)
  t.same(done.map((a) => servicesIn(samples(a))), [['a'], ['b'], ['c']], 'each answer carries its own service only')
  t.same(done.map((a) => value(samples(a), 'groundtruth_service_ready', {})), [1, 1, 1])
})

t.test('the queue estimate counts the runs of the dependencies', async (t) => {
  const held = await peer(t, true)
  const svc = (name: string, extra = '') => `  - { name: ${name}, group: g, probe: tcp, address: "${held.address}", expect: { banner_contains: OK }${extra} }`
  const { probe, onDemand } = setup(`${svc('z')}\n${svc('y', ', depends_on: [z], timeout: 7s')}\n${svc('x', ', depends_on: [y]')}\n${svc('w')}\n`, 1, 1)
  const first = probe('z')
  await until('z running', () => held.open() === 1)
  // x needs x and y (z is in flight): two waiting runs over a queue of one.
  t.same(await probe('x'), { busy: true, retryAfterSeconds: 7 }, "busy, and come back after the longest timeout, the dependency's")
  t.same(onDemand.load, { active: 1, queued: 0, inflight: 1 }, 'the refused request started nothing')
  const second = probe('w')
  await until('w queued', () => onDemand.load.queued === 1)
  t.pass('one run more fits the queue of one')
  while (onDemand.load.inflight > 0) {
    held.release()
    await new Promise((r) => setTimeout(r, 5))
  }
  await Promise.all([first, second])
})

t.test('a dependency measured less than its interval ago is reused by scrapes spread over the interval; an asked one is always probed', async (t) => {
  const fast = await peer(t)
  const db = await peer(t)
  let skew = 0
  const line = (name: string) => `  - { name: ${name}, group: g, probe: tcp, address: "${fast.address}", depends_on: [db] }`
  const { probe } = setup(`  - { name: db, group: infra, probe: tcp, address: "${db.address}", interval: 30s }\n${['a', 'b', 'c'].map(line).join('\n')}\n`, 4, 64, silentLogger, () => Date.now() + skew)
  for (const name of ['a', 'b', 'c']) t.equal(value(samples(await probe(name)), 'groundtruth_service_ready', { service: name }), 1, `${name} ready on db's result`)
  t.equal(db.connections(), 1, 'three scrapes one after another within db\'s 30 s: one run of db')
  t.equal(fast.connections(), 3, 'each asked service was probed')
  await probe('db')
  t.equal(db.connections(), 2, 'db asked for itself: probed now, whatever its age')
  skew = 29_000
  await probe('a')
  t.equal(db.connections(), 2, "29 s after db's last run: still reused")
  skew = 31_000
  await probe('b')
  t.equal(db.connections(), 3, '31 s after: older than its interval, probed again')
})

t.test('a reused dependency that failed still holds its dependents back', async (t) => {
  const fast = await peer(t)
  const down = await closedPort()
  const { probe } = setup(`  - { name: db, group: infra, probe: tcp, address: "127.0.0.1:${down}" }
  - { name: a, group: g, probe: tcp, address: "${fast.address}", depends_on: [db] }
  - { name: b, group: g, probe: tcp, address: "${fast.address}", depends_on: [db] }
`)
  t.equal(value(samples(await probe('a')), 'groundtruth_service_ready', { service: 'a' }), 0)
  const b = samples(await probe('b'))
  t.equal(value(b, 'groundtruth_service_ready', { service: 'b' }), 0, "b judged on db's reused failure")
  t.equal(value(b, 'groundtruth_service_not_ready', { service: 'b', cause: 'dependency' }), 1)
})

t.test('a cron-scheduled dependency is probed at every scrape; a reload starts afresh', async (t) => {
  const fast = await peer(t)
  const db = await peer(t)
  const nightly = await peer(t)
  const services = `  - { name: db, group: infra, probe: tcp, address: "${db.address}" }
  - { name: nightly, group: infra, probe: tcp, address: "${nightly.address}", schedule: "0 3 * * *" }
  - { name: a, group: g, probe: tcp, address: "${fast.address}", depends_on: [db, nightly] }
`
  const { probe, store, onDemand } = setup(services)
  await probe('a')
  await probe('a')
  t.same([db.connections(), nightly.connections()], [1, 2], 'db reused within its interval; nightly (cron, no interval to go by) probed each time')
  // A reload brings new service objects, and the store keeps their last results: the old config's run is not reused.
  const reloaded = parseConfig(`defaults: { interval: 1h, timeout: 5s }\nservices:\n${services}`, 'deps.yml', PROBE_KINDS, {})
  store.setServices(reloaded.services)
  const after = samples(await onDemand.probe(reloaded, store, { services: ['a'], groups: [] }, process.cwd()))
  t.equal(db.connections(), 2, 'db probed again for the reloaded config')
  t.equal(value(after, 'groundtruth_service_ready', { service: 'a' }), 1)
})
