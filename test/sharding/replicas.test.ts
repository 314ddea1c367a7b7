// Issue 15: beyond one machine, Prometheus is the engine. Three groundtruth
// replicas with the same config of twelve services, none running a schedule
// of its own (`serve --no-schedule`); the real Debian `prometheus` runs deploy/prometheus/sharded.yml
// (addresses and intervals substituted) with the shipped rules. Asserted
// through Prometheus' API: each service is scraped by exactly one replica,
// the one hashmod picks, at most once per interval; readiness is right when a
// service and what it depends on sit on different replicas (a chain across
// all three is ready, one over a down database is not); the recorded group
// and overall ratios equal what a fourth, unsharded groundtruth reports; the
// readiness gate alert, which reads the recorded ratio, is pending for the job.
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { parse, stringify } from 'yaml'
import { PROBE_KINDS } from '../../probes/index.js'
import { parseConfig, type Config } from '../../src/config/load.js'
import { Daemon } from '../../src/daemon.js'
import { silentLogger } from '../../src/log.js'
import { ROOT } from '../helpers/child.js'
import { find, parseExposition } from '../helpers/metrics.js'
import { closedPort, httpServer } from '../helpers/servers.js'
import { hashmod } from './hashmod.js'
import { until } from '../helpers/poll.js'

const SHIPPED = join(ROOT, 'deploy', 'prometheus', 'sharded.yml')
const RULES = join(ROOT, 'alerts', 'groundtruth.rules.yml')
const REPLICAS = 3

// name, group, what it depends on. db is down; api waits on it (across
// replicas), web on api; billing → auth → cache crosses all three replicas.
const SERVICES: Array<[name: string, group: string, dependsOn: string[]]> = [
  ['db', 'infrastructure', []],
  ['cache', 'infrastructure', []],
  ['queue', 'infrastructure', []],
  ['search-index', 'infrastructure', []],
  ['api', 'backend', ['db']],
  ['auth', 'backend', ['cache']],
  ['worker', 'backend', ['queue']],
  ['billing', 'backend', ['auth']],
  ['mailer', 'backend', ['queue']],
  ['web', 'frontend', ['api']],
  ['admin', 'frontend', ['auth', 'billing']],
  ['reports', 'frontend', ['search-index']],
]

interface Vector {
  metric: Record<string, string>
  value: [number, string]
}

interface ActiveTarget {
  labels: Record<string, string>
  scrapeUrl: string
  health: string
}

function prometheus(t: Test, configFile: string, dataDir: string, port: number): { output: () => string } {
  const child = spawn('/usr/bin/prometheus', [`--config.file=${configFile}`, `--storage.tsdb.path=${dataDir}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  const keep = (d: Buffer) => (out = (out + d.toString()).slice(-8000))
  child.stdout.on('data', keep)
  child.stderr.on('data', keep)
  t.teardown(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>((r) => child.once('exit', () => r()))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  })
  return { output: () => out }
}

t.test('three replicas sharded by the shipped scrape config, scraped by a real Prometheus', { timeout: 90_000 }, async (t) => {
  // --- the services' peers: one answering HTTP server, one port nobody listens on
  const peer = await httpServer((_req, res) => res.end('ok'))
  t.teardown(peer.close)
  const down = await closedPort()
  const line = ([name, group, deps]: (typeof SERVICES)[number]) => {
    const target = name === 'db' ? `probe: tcp, address: "127.0.0.1:${down}"` : group === 'infrastructure' ? `probe: tcp, address: "127.0.0.1:${peer.port}"` : `probe: http, url: "${peer.url}/${name}"`
    return `  - { name: ${name}, group: ${group}, ${target}, depends_on: [${deps.join(', ')}] }`
  }
  const yaml = `defaults: { interval: 1h, timeout: 500ms }\nservices:\n${SERVICES.map(line).join('\n')}\n`
  const load = async (): Promise<Config> => parseConfig(yaml, 'sharded.yml', PROBE_KINDS, {})

  // --- three replicas as `serve --no-schedule` runs them: /probe and /sd only (nothing measured unless Prometheus asks)
  const replicas: string[] = []
  for (let i = 0; i < REPLICAS; i++) {
    const daemon = await Daemon.create({ load, log: silentLogger, schedule: false })
    const server = await daemon.listen(0, '127.0.0.1')
    t.teardown(() => daemon.stop())
    await daemon.startProbing()
    t.same(daemon.jobs, [], 'a replica runs no scheduled job')
    replicas.push(`127.0.0.1:${(server.address() as AddressInfo).port}`)
  }
  // Which replica hashmod gives each service; the scenario needs dependencies on other replicas.
  const home = new Map(SERVICES.map(([name]) => [name, replicas[hashmod(name, REPLICAS)]!]))
  t.not(home.get('api'), home.get('db'), 'precondition: api and the down db it depends on are on different replicas')
  t.equal(new Set([home.get('billing'), home.get('auth'), home.get('cache')]).size, 3, 'precondition: billing → auth → cache spans the three replicas')
  t.equal(new Set(home.values()).size, REPLICAS, 'precondition: every replica has services')

  // --- a fourth, unsharded groundtruth: its own ratios after one scheduled round
  const single = await Daemon.create({ load, log: silentLogger })
  t.teardown(() => single.stop())
  await single.startProbing()
  const own = parseExposition(String((await single.exposition.metrics()).text))
  const groups = [...new Set(SERVICES.map(([, group]) => group))]
  const expected = new Map(groups.map((g) => [g, find(own, 'groundtruth_group_ready_ratio', { group: g })[0]?.value]))
  const expectedOverall = find(own, 'groundtruth_ready_ratio')[0]?.value
  t.same(Object.fromEntries(expected), { infrastructure: 3 / 4, backend: 4 / 5, frontend: 2 / 3 }, 'the unsharded reference: db down, api and web wait on it')
  t.equal(expectedOverall, 9 / 12)

  // --- /sd: the same document on every replica, names and groups only
  const documents = await Promise.all(replicas.map(async (r) => (await fetch(`http://${r}/sd`)).text()))
  t.equal(new Set(documents).size, 1, 'every replica serves the same /sd')
  t.notMatch(documents[0], /127\.0\.0\.1|http:/, 'no service address or URL in /sd')

  // --- Prometheus on the shipped config: our replicas, 1 s intervals, the shipped rules
  const dir = mkdtempSync(join(tmpdir(), 'gt-shard-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  let text = readFileSync(SHIPPED, 'utf8')
  replicas.forEach((address, i) => (text = text.replaceAll(`groundtruth-${i}:9469`, address)))
  const promConfig = parse(text) as { global: Record<string, string>; rule_files: string[]; scrape_configs: Array<Record<string, unknown>> }
  promConfig.global = { scrape_interval: '1s', evaluation_interval: '1s' }
  promConfig.rule_files = [RULES]
  for (const job of promConfig.scrape_configs) job.scrape_timeout = '1s'
  writeFileSync(join(dir, 'prometheus.yml'), stringify(promConfig))
  t.notMatch(stringify(promConfig), /groundtruth-\d:9469/, 'every replica address of the shipped file was substituted')
  const promPort = await closedPort()
  const prom = prometheus(t, join(dir, 'prometheus.yml'), join(dir, 'data'), promPort)
  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`http://127.0.0.1:${promPort}/api/v1/${path}`, { signal: AbortSignal.timeout(3000) })
    const body = (await res.json()) as { status: string; data: T; error?: string }
    if (body.status !== 'success') throw new Error(`${path}: ${body.error}`)
    return body.data
  }
  const query = async (q: string): Promise<Vector[]> => (await api<{ result: Vector[] }>(`query?query=${encodeURIComponent(q)}`)).result
  const byService = (v: Vector[]) => new Map(v.map((s) => [s.metric.service!, Number(s.value[1])]))
  const fail = (what: string) => `${what}\n${prom.output()}`

  // Every service's target is up: twelve targets, one per service.
  const up = await until(fail('twelve healthy targets'), async () => {
    const targets = (await api<{ activeTargets: ActiveTarget[] }>('targets?state=active')).activeTargets.filter((x) => x.labels.job === 'groundtruth')
    return targets.length === SERVICES.length && targets.every((x) => x.health === 'up') ? targets : undefined
  })
  t.same(up.map((x) => x.labels.service).sort(), SERVICES.map(([n]) => n).sort(), 'one target per service: the duplicates from the three /sd URLs are dropped')
  for (const target of up) {
    const url = new URL(target.scrapeUrl)
    const name = target.labels.service!
    t.equal(url.host, home.get(name), `${name} is scraped on the replica hashmod picks`)
    t.equal(url.pathname, '/probe')
    t.same(url.searchParams.getAll('service'), [name])
    t.equal(target.labels.instance, home.get(name), 'instance is the replica')
    t.equal(target.labels.group, SERVICES.find(([n]) => n === name)![1])
  }

  // Each service's series come from exactly one replica, its own.
  const series = await until(fail('every service exported'), async () => {
    const v = await query('groundtruth_service_up{job="groundtruth"}')
    return v.length === SERVICES.length ? v : undefined
  })
  for (const s of series) t.equal(s.metric.instance, home.get(s.metric.service!), `${s.metric.service} only from ${home.get(s.metric.service!)}`)
  t.same(await query('count by (service) (groundtruth_service_up{job="groundtruth"}) > 1'), [], 'no service exported by two replicas: a dependency probed on another replica is not exported there')

  // Readiness across replicas, from fresh dependency results (no replica has a schedule).
  const ready = byService(await query('groundtruth_service_ready{job="groundtruth"}'))
  t.equal(ready.get('db'), 0, 'db is down')
  t.equal(ready.get('api'), 0, 'api waits on db, measured by its own replica')
  t.equal(ready.get('web'), 0, 'web waits on api, transitively on db')
  t.equal(ready.get('billing'), 1, 'billing → auth → cache, three replicas: ready')
  t.equal(ready.get('admin'), 1)
  t.equal(ready.get('reports'), 1)
  t.same(byService(await query('groundtruth_service_not_ready{job="groundtruth", cause="dependency"}')), new Map([['api', 1], ['web', 1]]), 'the dependency cause, where it belongs')
  t.same(byService(await query('groundtruth_service_not_ready{job="groundtruth", cause="down"}')), new Map([['db', 1]]))

  // The shipped rules' ratios, over the twelve services of three replicas, equal the unsharded ones.
  const recorded = await until(fail('the recorded ratios equal the unsharded ones'), async () => {
    const g = new Map((await query('groundtruth:group_ready_ratio{job="groundtruth"}')).map((s) => [s.metric.group!, Number(s.value[1])]))
    const overall = (await query('groundtruth:ready_ratio{job="groundtruth"}')).map((s) => Number(s.value[1]))
    const same = groups.every((name) => g.get(name) === expected.get(name)) && overall.length === 1 && overall[0] === expectedOverall
    return same ? { g, overall } : undefined
  })
  t.same(Object.fromEntries(recorded.g), Object.fromEntries(expected), 'groundtruth:group_ready_ratio equals the unsharded groundtruth_group_ready_ratio')
  t.same(recorded.overall, [expectedOverall], 'groundtruth:ready_ratio equals the unsharded groundtruth_ready_ratio')
  const ratioSeries = await query('groundtruth:group_ready_ratio')
  t.ok(ratioSeries.every((s) => s.metric.instance === undefined), 'one ratio per group, not one per replica')

  // The readiness gate alert reads the recorded ratio: 9 of 12 is below its 95%, so it is pending
  // (it fires after its `for: 10m`), once for the job, though no replica exports groundtruth_ready_ratio.
  t.same(await query('groundtruth_ready_ratio{job="groundtruth"}'), [], 'precondition: the sharded job has no overall ratio gauge')
  const gate = await until(fail('GroundtruthReadinessBelowGate pending'), async () => {
    const v = await query('ALERTS{alertname="GroundtruthReadinessBelowGate"}')
    return v.length ? v : undefined
  })
  t.same(
    gate.map((s) => [s.metric.alertstate, s.metric.job, s.metric.instance]),
    [['pending', 'groundtruth', undefined]],
    'one alert for the sharded job',
  )

  // At most once per interval: over 5 s a 1 s target has at most 6 samples;
  // a target kept twice (say, once per /sd URL) would write more into the same series.
  await until(fail('five seconds of scrapes'), async () => ((await query('min(count_over_time(up{job="groundtruth"}[5s])) >= 4')).length ? true : undefined))
  const counts = byService(await query('count_over_time(up{job="groundtruth"}[5s])'))
  t.equal(counts.size, SERVICES.length)
  for (const [name, n] of counts) t.ok(n >= 1 && n <= 6, `${name}: ${n} scrapes in 5 s at a 1 s interval`)

  // The replicas' own job keeps their health and drops their service series (none without a schedule).
  const replicaUp = await until(fail('the replicas job'), async () => {
    const v = await query('up{job="groundtruth-replicas"} == 1')
    return v.length === REPLICAS ? v : undefined
  })
  t.same(replicaUp.map((s) => s.metric.instance).sort(), [...replicas].sort())
  t.same(await query('groundtruth_service_up{job="groundtruth-replicas"}'), [])
})
