// The readiness model end to end: real TCP peers, real probes, the
// metrics they produce. A chain api -> cache -> db whose root is down.
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
  return { engine, registry: engine.registry }
}

t.test('a chain of three whose root is down: none of the chain is ready', async (t) => {
  const up = await tarpit() // accepts connections: up for a plain tcp probe
  t.teardown(up.close)
  const { engine, registry } = await chain(await closedPort(), up.port)
  const snapshot = await engine.runAll()

  t.same(
    Object.fromEntries([...snapshot.readiness].map(([n, r]) => [n, r])),
    {
      db: { up: false, ready: false, rootCauses: [] },
      cache: { up: true, ready: false, rootCauses: ['db'] },
      api: { up: true, ready: false, rootCauses: ['db'] }, // the root cause, not every link
      web: { up: true, ready: true, rootCauses: [] },
    },
  )
  const s = parseExposition(await registry.metrics())
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
  const { engine, registry } = await chain(down, up.port)
  await engine.runAll()
  // Re-point db at the live port, as a restarted database would come back.
  engine.setConfig(chainConfig(up.port, up.port))
  await engine.runAll()
  const s = parseExposition(await registry.metrics())
  t.equal(value(s, 'groundtruth_ready_ratio'), 1)
  t.equal(value(s, 'groundtruth_service_ready', { service: 'api' }), 1)
  t.equal(value(s, 'groundtruth_service_state_changes_total', { service: 'db' }), 1)
  t.equal(value(s, 'groundtruth_service_state_changes_total', { service: 'api' }), 0)
  t.equal(value(s, 'groundtruth_probes_total', { service: 'db' }), 2, 'counters survive a config change')
})

t.test('ratios are withheld until every service has a result', async (t) => {
  const up = await tarpit()
  t.teardown(up.close)
  const { engine, registry } = await chain(up.port, up.port)
  let s = parseExposition(await registry.metrics())
  t.same(find(s, 'groundtruth_ready_ratio'), [], 'absent before any run, not a misleading 0')
  t.same(find(s, 'groundtruth_service_up'), [])
  await engine.probeAndRecord(engine.config.services[0]!)
  s = parseExposition(await registry.metrics())
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
  const ok = (yes: boolean) => ({ ok: yes }) as never
  const results: Record<string, boolean | undefined> = { a: true, b: false, c: true, d: undefined }
  const readiness = computeReadiness(services, (n) => (results[n] === undefined ? undefined : ok(results[n]!)))
  t.same(readiness.get('c'), { up: true, ready: false, rootCauses: ['b'] })
  t.same(readiness.get('d'), { up: undefined, ready: false, rootCauses: [] })
  const ratios = readyRatios(services, readiness)
  t.equal(ratios.overall, 0.25)
  t.same(Object.fromEntries(ratios.groups), { g1: 0.5, g2: 0 })
  t.equal(readyRatios([], new Map()).overall, 1, 'nothing configured is nothing broken')
})
