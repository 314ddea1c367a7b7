// The readiness model end to end: real TCP peers, real probes, the
// metrics they produce. A chain api -> cache -> db whose root is down.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import t from 'tap'
import { parseConfig } from '../src/config/load.js'
import { computeReadiness, readyRatios } from '../src/readiness.js'
import { closedPort, tarpit } from './helpers/servers.js'
import { parseExposition, value, find } from './helpers/metrics.js'
import { PROBE_KINDS } from '../probes/index.js'
import { harness } from './helpers/round.js'

function chainConfig(dbPort: number, upPort: number) {
  return parseConfig(
    `
defaults: { timeout: 1s }
services:
  - { name: db, group: infrastructure, probe: tcp, address: "127.0.0.1:${dbPort}" }
  - { name: cache, group: infrastructure, probe: tcp, address: "127.0.0.1:${upPort}", depends_on: [db] }
  - { name: api, group: backend, probe: tcp, address: "127.0.0.1:${upPort}", depends_on: [cache] }
  - { name: web, group: frontend, probe: tcp, address: "127.0.0.1:${upPort}" }
`,
    'chain.yml', PROBE_KINDS,
  )
}

async function chain(dbPort: number, upPort: number) {
  const engine = harness(chainConfig(dbPort, upPort))
  return { engine, metrics: engine.metrics }
}

t.test('a chain of three whose root is down: none of the chain is ready', async (t) => {
  const up = await tarpit() // accepts connections: up for a plain tcp probe
  t.teardown(up.close)
  const { engine, metrics } = await chain(await closedPort(), up.port)
  const snapshot = await engine.runAll()

  t.same(
    Object.fromEntries([...snapshot.readiness].map(([n, r]) => [n, { up: r.up, ready: r.ready, rootCauses: r.rootCauses, causes: r.causes.map((c) => c.cause) }])),
    {
      db: { up: false, ready: false, rootCauses: [], causes: ['down'] },
      cache: { up: true, ready: false, rootCauses: ['db'], causes: ['dependency'] },
      api: { up: true, ready: false, rootCauses: ['db'], causes: ['dependency'] }, // the root cause, not every link
      web: { up: true, ready: true, rootCauses: [], causes: [] },
    },
  )
  t.match(snapshot.readiness.get('db')!.causes[0], { cause: 'down', detail: /^refused: / })
  t.same(snapshot.readiness.get('api')!.causes[0], { cause: 'dependency', detail: 'waits on cache (not ready); down at the root: db', services: ['cache'], roots: ['db'] })
  const s = parseExposition(await metrics())
  t.equal(value(s, 'groundtruth_service_up', { service: 'db' }), 0)
  t.equal(value(s, 'groundtruth_service_up', { service: 'api', group: 'backend', probe: 'tcp' }), 1)
  t.equal(value(s, 'groundtruth_service_ready', { service: 'cache' }), 0)
  t.equal(value(s, 'groundtruth_service_ready', { service: 'api' }), 0)
  t.equal(value(s, 'groundtruth_service_ready', { service: 'web' }), 1)
  t.equal(value(s, 'groundtruth_group_ready_ratio', { group: 'infrastructure' }), 0)
  t.equal(value(s, 'groundtruth_group_ready_ratio', { group: 'backend' }), 0)
  t.equal(value(s, 'groundtruth_group_ready_ratio', { group: 'frontend' }), 1)
  t.equal(value(s, 'groundtruth_ready_ratio'), 0.25)
  t.equal(value(s, 'groundtruth_probe_failures_total', { service: 'db', reason: 'refused' }), 1)
  t.equal(value(s, 'groundtruth_probe_failures_total', { service: 'db', reason: 'timeout' }), 0)
  t.equal(value(s, 'groundtruth_probes_total', { service: 'api' }), 1)
  t.equal(find(s, 'groundtruth_probe_last_success_timestamp_seconds', { service: 'db' }).length, 0, 'no success yet, no timestamp')
})

t.test('the root comes back: the whole chain becomes ready and the flip is counted', async (t) => {
  const up = await tarpit()
  t.teardown(up.close)
  const down = await closedPort()
  const { engine, metrics } = await chain(down, up.port)
  await engine.runAll()
  // Re-point db at the live port, as a restarted database would come back.
  engine.setConfig(chainConfig(up.port, up.port))
  await engine.runAll()
  const s = parseExposition(await metrics())
  t.equal(value(s, 'groundtruth_ready_ratio'), 1)
  t.equal(value(s, 'groundtruth_service_ready', { service: 'api' }), 1)
  t.equal(value(s, 'groundtruth_service_state_changes_total', { service: 'db' }), 1)
  t.equal(value(s, 'groundtruth_service_state_changes_total', { service: 'api' }), 0)
  t.equal(value(s, 'groundtruth_probes_total', { service: 'db' }), 2, 'counters survive a config change')
})

t.test('ratios are withheld until every service has a result', async (t) => {
  const up = await tarpit()
  t.teardown(up.close)
  const { engine, metrics } = await chain(up.port, up.port)
  let s = parseExposition(await metrics())
  t.same(find(s, 'groundtruth_ready_ratio'), [], 'absent before any run, not a misleading 0')
  t.same(find(s, 'groundtruth_service_up'), [])
  await engine.probeAndRecord(engine.config.services[0]!)
  s = parseExposition(await metrics())
  t.same(find(s, 'groundtruth_ready_ratio'), [], 'still absent after one of four')
  t.equal(value(s, 'groundtruth_service_up', { service: 'db' }), 1)
})

t.test('readiness arithmetic on its own', async (t) => {
  const services = parseConfig(
    `
services:
  - { name: a, group: g1, probe: tcp, address: "h:1" }
  - { name: b, group: g1, probe: tcp, address: "h:1", depends_on: [a] }
  - { name: c, group: g2, probe: tcp, address: "h:1", depends_on: [a, b] }
  - { name: d, group: g2, probe: tcp, address: "h:1" }
`,
    'x.yml', PROBE_KINDS,
  ).services
  const results: Record<string, boolean | undefined> = { a: true, b: false, c: true, d: undefined }
  const readiness = computeReadiness(services, { up: (n) => results[n], downDetail: () => 'refused: nothing listens', findings: () => [], env: [] })
  t.same(readiness.get('c'), {
    up: true,
    ready: false,
    rootCauses: ['b'],
    causes: [{ cause: 'dependency', detail: 'waits on b (not ready)', services: ['b'], roots: ['b'] }],
  })
  t.same(readiness.get('b')!.causes, [{ cause: 'down', detail: 'refused: nothing listens' }])
  t.same(readiness.get('d'), { up: undefined, ready: false, rootCauses: [], causes: [] }, 'never probed: not ready, and no cause claimed')
  const ratios = readyRatios(services, readiness)
  t.equal(ratios.overall, 0.25)
  t.same(Object.fromEntries(ratios.groups), { g1: 0.5, g2: 0 })
  t.equal(readyRatios([], new Map()).overall, 1, 'nothing configured is nothing broken')
})

t.test('thresholds 3/2: a flapping target turns down only after 3 failures in a row and back after 2 successes, each flip counted once', async (t) => {
  // A real TCP peer switched off and on again on the same port.
  const peer = switchablePeer()
  const port = await peer.on(0)
  t.teardown(() => peer.off())
  const config = parseConfig(
    `services:\n  - { name: flaky, probe: tcp, address: "127.0.0.1:${port}", timeout: 1s, failure_threshold: 3, success_threshold: 2 }\n`,
    'flap.yml',
    PROBE_KINDS,
  )
  const engine = harness(config)
  const service = config.services[0]!
  const step = async () => {
    await engine.probeAndRecord(service)
    const s = parseExposition(await engine.metrics())
    const status = engine.store.get('flaky')!
    return {
      up: value(s, 'groundtruth_service_up', { service: 'flaky' }),
      failures: value(s, 'groundtruth_probe_consecutive_failures', { service: 'flaky' }),
      changes: value(s, 'groundtruth_service_state_changes_total', { service: 'flaky' }),
      raw: status.last!.ok,
      since: value(s, 'groundtruth_service_state_since_timestamp_seconds', { service: 'flaky' }),
    }
  }
  const off = () => peer.off()
  const on = () => peer.on(port)

  const first = await step()
  t.match(first, { up: 1, failures: 0, changes: 0, raw: true })
  // One failure between successes: the raw result shows it, the state does not move.
  await off()
  t.match(await step(), { up: 1, failures: 1, changes: 0, raw: false })
  await on()
  t.match(await step(), { up: 1, failures: 0, changes: 0, raw: true })
  // A real outage: the third failure in a row turns it down, once.
  await off()
  t.match(await step(), { up: 1, failures: 1 })
  t.match(await step(), { up: 1, failures: 2 })
  const down = await step()
  t.match(down, { up: 0, failures: 3, changes: 1, raw: false })
  t.ok(down.since >= first.since, 'the state since moves when the state changes')
  t.equal(engine.store.snapshot().readiness.get('flaky')!.causes[0]!.cause, 'down')
  t.match(await step(), { up: 0, failures: 4, changes: 1 }, 'more failures are no more flips')
  // Back: one success is not enough, the second turns it up.
  await on()
  t.match(await step(), { up: 0, failures: 0, changes: 1, raw: true })
  t.match(await step(), { up: 1, failures: 0, changes: 2 })
})

/** A TCP listener that can be switched off (connections refused) and on again on the same port. */
function switchablePeer() {
  let server: Server | undefined
  const sockets = new Set<Socket>()
  return {
    on: (port: number) =>
      new Promise<number>((resolve, reject) => {
        server = createServer((socket) => {
          sockets.add(socket)
          socket.on('close', () => sockets.delete(socket))
        })
        server.once('error', reject)
        server.listen(port, '127.0.0.1', () => resolve((server!.address() as AddressInfo).port))
      }),
    off: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        if (!server?.listening) return resolve()
        server.close(() => resolve())
      }),
  }
}
