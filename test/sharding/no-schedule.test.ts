// `serve --no-schedule`: a shard replica (README "Sharding") that runs no
// scheduled job at all. Against real TCP peers that count their connections:
// a daemon with the option starts no job and opens no connection while a
// normal one over the same config probes at once; it is ready at once; a
// /probe opens exactly one connection per service it needs; /metrics carries
// no service series; /status and the page say what the replica does; a
// reload still reloads. Then the real executable parses the flag.
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { PROBE_KINDS } from '../../probes/index.js'
import { main } from '../../src/cli.js'
import { parseConfig, type Config } from '../../src/config/load.js'
import { Daemon, UNSCHEDULED_VERDICT } from '../../src/daemon.js'
import { silentLogger } from '../../src/log.js'
import { CLI, childEnv, ROOT } from '../helpers/child.js'
import { writeConfig } from '../helpers/config.js'
import { captureIo as capture } from '../helpers/io.js'
import { find, parseExposition, value } from '../helpers/metrics.js'
import { closedPort } from '../helpers/servers.js'

/** A TCP peer that counts the connections it accepts. */
async function peer(t: Test) {
  let connections = 0
  const server = createServer((socket) => {
    connections++
    socket.on('error', () => {})
    socket.end('+OK\n')
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => new Promise<void>((r) => server.close(() => r())))
  return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, connections: () => connections }
}

// A short interval: a schedule, if there were one, would probe several times in the window below.
const yamlFor = (db: string, api: string, extra = '') => `defaults: { interval: 100ms, timeout: 100ms }
services:
  - { name: db, group: infrastructure, probe: tcp, address: "${db}" }
  - { name: api, group: backend, probe: tcp, address: "${api}", depends_on: [db], critical: true }
${extra}`

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

t.test('a daemon without a schedule probes nothing until /probe asks, and is ready at once', async (t) => {
  const db = await peer(t)
  const api = await peer(t)
  let yaml = yamlFor(db.address, api.address)
  const load = async (): Promise<Config> => parseConfig(yaml, 'replica.yml', PROBE_KINDS, {})

  const daemon = await Daemon.create({ load, log: silentLogger, schedule: false })
  t.teardown(() => daemon.stop())
  const server = await daemon.listen(0, '127.0.0.1')
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  t.equal(daemon.scheduled, false)
  t.equal((await fetch(`${base}/-/ready`)).status, 200, 'ready before anything ran: there is no first round to wait for')
  await daemon.startProbing()
  t.same(daemon.jobs, [], 'startProbing() starts no job')

  // The same config with a schedule, for reference: it connects at once.
  const scheduled = await Daemon.create({ load, log: silentLogger })
  await scheduled.startProbing()
  await scheduled.stop()
  const byReference = [db.connections(), api.connections()]
  t.ok(byReference.every((n) => n >= 1), 'a normal daemon over the same config probes both peers in its first round')

  await sleep(500)
  t.same([db.connections(), api.connections()], byReference, 'no connection from the replica in 500 ms at a 100 ms interval')
  t.same(daemon.scheduler.load, { active: 0, queued: 0, overdue: 0 }, 'the scheduler holds nothing')

  // /metrics: the process, build, config and scheduler, and not one service series.
  const metrics = parseExposition(await (await fetch(`${base}/metrics`)).text())
  const names = new Set(metrics.map((s) => s.name))
  t.same([...names].filter((n) => n.startsWith('groundtruth_') && !/^groundtruth_(build_info|config_|scheduler_)/.test(n)), [], 'no service, ratio, env or probe-kind series')
  t.ok(names.has('groundtruth_build_info') && names.has('groundtruth_config_last_reload_successful') && names.has('groundtruth_scheduler_active'))
  t.ok([...names].some((n) => n.startsWith('process_')), 'the process metrics')
  t.notOk(metrics.some((s) => s.labels.service), 'no series names a service')

  // /probe works, and costs one connection per service it needs.
  const before = [db.connections(), api.connections()]
  const res = await fetch(`${base}/probe?service=api`)
  t.equal(res.status, 200)
  const probed = parseExposition(await res.text())
  t.same([db.connections() - before[0]!, api.connections() - before[1]!], [1, 1], 'exactly one connection to api and one to db, its dependency')
  t.equal(value(probed, 'groundtruth_service_ready', { service: 'api' }), 1)
  t.same(find(probed, 'groundtruth_service_up', { service: 'db' }), [], 'the dependency is measured, not exported')
  t.same(find(parseExposition(await (await fetch(`${base}/metrics`)).text()), 'groundtruth_service_up'), [], 'a /probe result is not kept for /metrics')

  // /status: what the replica is, no verdict it did not measure.
  const status = (await (await fetch(`${base}/status`)).json()) as Record<string, unknown> & { gates: { passed: boolean; failures: string[] }; services: Array<{ name: string; state: string }> }
  t.match(status, { scheduled: false, ready_ratio: null, groups: {}, complete: false, refresh_seconds: null })
  t.same(status.gates.failures, [UNSCHEDULED_VERDICT], 'one sentence instead of "0% ready" and "critical service api is not ready: not probed yet"')
  t.equal(status.gates.passed, false, 'never a passing verdict that nothing measured')
  t.same(status.services.map((s) => [s.name, s.state]), [['db', 'pending'], ['api', 'pending']], 'the configured services, never probed here')

  // The page says it plainly, links each service's /probe, and does not list them as pending.
  const page = await (await fetch(`${base}/`)).text()
  t.match(page, /no scheduled probes: this replica answers \/probe only \(serve --no-schedule\)/)
  t.match(page, /<a href="probe\?service=api">api<\/a>/)
  const body = page.slice(page.indexOf('<body'), page.indexOf('<script>'))
  t.notMatch(body, /pending|not probed yet|gates|first round/, 'no pending rows, no failing gates, no first round')
  t.match(page, /<body data-refresh="">/, 'nothing to refresh')

  // A reload (SIGHUP, POST /-/reload) still reloads: /sd and /probe follow, and still no job.
  yaml = yamlFor(db.address, api.address, `  - { name: worker, group: backend, probe: tcp, address: "${api.address}" }\n`)
  t.same(await daemon.reload(), { ok: true })
  t.same(daemon.jobs, [], 'a reload starts no job either')
  const sd = (await (await fetch(`${base}/sd`)).json()) as Array<{ targets: string[] }>
  t.same(sd.map((g) => g.targets[0]), ['db', 'api', 'worker'], 'the new service is discovered')
  const apiBefore = api.connections()
  t.equal((await fetch(`${base}/probe?service=worker`)).status, 200, 'and probed on request')
  t.equal(api.connections() - apiBefore, 1)
  await sleep(300)
  t.equal(api.connections() - apiBefore, 1, 'and nothing else runs after the reload')
  t.equal((await fetch(`${base}/-/ready`)).status, 200)
})

t.test('the default daemon still schedules, and is not ready before its first round', async (t) => {
  const db = await peer(t)
  const api = await peer(t)
  const yaml = yamlFor(db.address, api.address)
  const daemon = await Daemon.create({ load: async () => parseConfig(yaml, 'single.yml', PROBE_KINDS, {}), log: silentLogger })
  t.teardown(() => daemon.stop())
  const server = await daemon.listen(0, '127.0.0.1')
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  t.equal(daemon.scheduled, true)
  t.equal((await fetch(`${base}/-/ready`)).status, 503)
  await daemon.startProbing()
  t.equal(daemon.jobs.length, 3, 'a probe job per service and the env audit')
  t.equal((await fetch(`${base}/-/ready`)).status, 200)
  const status = (await (await fetch(`${base}/status`)).json()) as Record<string, unknown>
  t.match(status, { scheduled: true, ready_ratio: 1, complete: true })
  t.ok(find(parseExposition(await (await fetch(`${base}/metrics`)).text()), 'groundtruth_service_up').length === 2)
})

t.test('serve --no-schedule: the real executable parses the flag and runs no probe', async (t) => {
  const db = await peer(t)
  const api = await peer(t)
  const { file } = writeConfig(yamlFor(db.address, api.address))
  const port = await closedPort()
  const child = spawn(process.execPath, [...CLI, 'serve', '--no-schedule', '--config', file, '--listen', `127.0.0.1:${port}`], { cwd: ROOT, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d) => (stderr += d))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  t.teardown(() => void child.kill('SIGKILL'))
  const base = `http://127.0.0.1:${port}`
  let ready = 0
  for (let i = 0; i < 150 && ready !== 200; i++) {
    ready = await fetch(`${base}/-/ready`).then((r) => r.status, () => 0)
    if (ready !== 200) await sleep(100)
  }
  t.equal(ready, 200, 'ready once it listens')
  await sleep(500)
  t.same([db.connections(), api.connections()], [0, 0], 'no probe in 500 ms at a 100 ms interval')
  t.equal((await fetch(`${base}/probe?service=db`)).status, 200)
  t.same([db.connections(), api.connections()], [1, 0], 'one /probe, one connection')

  // SIGHUP still reloads the config.
  writeFileSync(file, yamlFor(db.address, api.address, `  - { name: worker, group: backend, probe: tcp, address: "${api.address}" }\n`))
  child.kill('SIGHUP')
  let names: string[] = []
  for (let i = 0; i < 50 && !names.includes('worker'); i++) {
    names = ((await (await fetch(`${base}/sd`)).json()) as Array<{ targets: string[] }>).map((g) => g.targets[0]!)
    if (!names.includes('worker')) await sleep(100)
  }
  t.same(names, ['db', 'api', 'worker'], 'SIGHUP reloaded: /sd lists the new service')
  t.same([db.connections(), api.connections()], [1, 0], 'the reload probed nothing')

  child.kill('SIGTERM')
  t.equal(await exited, 0)
  t.match(stderr, /"msg":"groundtruth listening".*"schedule":false/)
  t.match(stderr, /"msg":"no scheduled probes \(--no-schedule\): services are probed only when \/probe asks"/)
  t.match(stderr, /"msg":"config reloaded"/)
  t.notMatch(stderr, /first round of probes done/)
})

t.test('serve --help and the usage name --no-schedule', async (t) => {
  const io = capture()
  t.equal(await main(['serve', '--help'], io), 0)
  t.match(io.out, /\[--no-schedule\]/)
  t.match(io.out, /--no-schedule runs no\nscheduled probes/)
  const top = capture()
  t.equal(await main(['--help'], top), 0)
  t.match(top.out, /--no-schedule/)
  const bad = capture()
  t.equal(await main(['serve', '--no-schedule=yes'], bad), 2, 'a boolean flag takes no value')
})
