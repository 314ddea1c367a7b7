// The daemon's HTTP face against real peers: cached /metrics, multi-target
// /probe, /status, readiness, and reloads that refuse a broken file.
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { loadConfig } from '../../src/config/load.js'
import { Daemon } from '../../src/daemon.js'
import { createLogger } from '../../src/log.js'
import { writeConfig } from '../helpers/config.js'
import { find, parseExposition, value } from '../helpers/metrics.js'
import { closedPort, httpServer, tarpit } from '../helpers/servers.js'
import { PROBE_KINDS } from '../../probes/index.js'

const PASSWORD = 'pl4nted-Pa55word-7731'
const TOKEN = 'pl4nted-t0ken-99812'

async function setup(t: Test, extraYaml = '') {
  let hits = 0
  const api = await httpServer((req, res) => {
    hits++
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ status: 'ok', auth: req.headers.authorization === `Bearer ${TOKEN}` }))
  })
  const slow = await tarpit()
  t.teardown(api.close)
  t.teardown(slow.close)
  const down = await closedPort()
  const yaml = (extra: string) => `
defaults: { interval: 1h, timeout: 400ms }
services:
  - name: api
    group: backend
    probe: http
    url: http://reader:\${API_PASSWORD}@127.0.0.1:${api.port}/health?token=\${API_TOKEN}
    headers: { Authorization: "Bearer \${API_TOKEN}" }
    expect: { json: { status: ok, auth: true } }
    depends_on: [db]
  - { name: db, group: infrastructure, probe: tcp, address: "127.0.0.1:${down}" }
  - { name: queue, group: infrastructure, probe: tcp, address: "127.0.0.1:${slow.port}", expect: { banner_contains: AMQP } }
${extra}`
  const { file } = writeConfig(yaml(extraYaml))
  const env = { API_PASSWORD: PASSWORD, API_TOKEN: TOKEN }
  const logs: string[] = []
  const daemon = await Daemon.create({ load: () => loadConfig(file, PROBE_KINDS, env), log: createLogger({ level: 'debug', secrets: () => daemon.config.secrets, write: (l) => logs.push(l) }) })
  const server = await daemon.listen(0, '127.0.0.1', { enableLifecycle: true })
  t.teardown(() => daemon.stop())
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return { daemon, base, file, yaml, logs, hits: () => hits, apiUrl: api.url }
}

const get = async (url: string) => {
  const res = await fetch(url)
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') }
}

t.test('readiness waits for the first round; /metrics serves the cached results', async (t) => {
  const { daemon, base, logs, hits, apiUrl } = await setup(t)
  const first = daemon.startProbing()
  t.equal((await get(`${base}/-/ready`)).status, 503, 'not ready while the first round runs (the tarpit takes the full timeout)')
  t.equal((await get(`${base}/-/healthy`)).status, 200)
  await first
  t.equal((await get(`${base}/-/ready`)).status, 200)

  const m1 = await get(`${base}/metrics`)
  t.match(m1.type, /text\/plain/)
  const s = parseExposition(m1.text)
  t.equal(value(s, 'groundtruth_service_up', { service: 'api', group: 'backend', probe: 'http' }), 1)
  t.equal(value(s, 'groundtruth_check_ok', { service: 'api', check: 'json' }), 1, 'the header with the expanded token reached the server')
  t.equal(value(s, 'groundtruth_service_ready', { service: 'api' }), 0, 'api is up but db is down')
  t.equal(value(s, 'groundtruth_service_up', { service: 'queue' }), 0)
  t.equal(value(s, 'groundtruth_probe_failures_total', { service: 'queue', reason: 'timeout' }), 1)
  t.equal(value(s, 'groundtruth_check_ok', { service: 'queue', check: 'banner_contains' }), 0)
  t.equal(value(s, 'groundtruth_ready_ratio'), 0)
  t.equal(value(s, 'groundtruth_config_last_reload_successful'), 1)
  t.equal(find(s, 'groundtruth_build_info').length, 1)
  t.equal(find(s, 'groundtruth_build_info')[0]!.labels.nodejs, process.version)
  t.ok(find(s, 'process_cpu_user_seconds_total').length, 'default process metrics on our own registry')

  const before = hits()
  await get(`${base}/metrics`)
  await get(`${base}/metrics`)
  t.equal(hits(), before, 'a scrape never starts a probe')
  t.equal(value(parseExposition((await get(`${base}/metrics`)).text), 'groundtruth_probes_total', { service: 'api' }), 1)

  t.test('promtool check metrics has nothing to say', async (t) => {
    const res = spawnSync('promtool', ['check', 'metrics'], { input: m1.text, encoding: 'utf8' })
    t.equal(res.error, undefined, 'promtool is installed (.ci/run installs Debian\'s prometheus package)')
    t.equal(res.status, 0, res.stdout + res.stderr)
    t.equal((res.stdout + res.stderr).trim(), '', 'no lint complaints')
  })

  t.test('/status and / explain, and hold no secret', async (t) => {
    const status = JSON.parse((await get(`${base}/status`)).text)
    const api = status.services.find((s: { name: string }) => s.name === 'api')
    t.match(api, { state: 'not_ready', up: true, ready: false, blocked_by: ['db'] })
    t.equal(api.target, `${apiUrl}/health`, 'user, password and query dropped from the target')
    const db = status.services.find((s: { name: string }) => s.name === 'db')
    t.match(db, { state: 'down', reason: 'refused', error: /ECONNREFUSED/ })
    t.match(status, { complete: true, ready_ratio: 0, config: { last_reload_successful: true }, gates: { passed: false } })
    const page = await get(`${base}/`)
    t.match(page.type, /html/)
    t.match(page.text, /waits on <a href="#svc-db">db<\/a>/, 'the cause names the dependency and links to its row')
    t.match(page.text, /backend/)
    t.equal((await get(`${base}/nope`)).status, 404)
    const everything = [JSON.stringify(status), page.text, m1.text, logs.join('\n')].join('\n')
    t.notOk(everything.includes(PASSWORD), 'password in no output')
    t.notOk(everything.includes(TOKEN), 'token in no output')
  })
})

t.test('/probe runs only the asked services, now', async (t) => {
  const { daemon, base, hits } = await setup(t)
  await daemon.startProbing()
  const before = hits()
  const one = parseExposition((await get(`${base}/probe?service=api`)).text)
  t.equal(hits(), before + 1, 'the probe ran at request time')
  t.same([...new Set(one.map((s) => s.labels.service).filter(Boolean))], ['api'])
  t.equal(value(one, 'groundtruth_service_ready', { service: 'api' }), 0, 'judged against db, probed now too (and not shown)')
  t.same(find(one, 'groundtruth_probes_total'), [], 'no counters in a one-off probe')
  t.same(find(one, 'groundtruth_ready_ratio'), [], 'no overall ratio for part of the services')

  const two = parseExposition((await get(`${base}/probe?service=api&service=db`)).text)
  t.same([...new Set(two.map((s) => s.labels.service).filter(Boolean))].sort(), ['api', 'db'])
  const group = parseExposition((await get(`${base}/probe?group=infrastructure`)).text)
  t.same([...new Set(group.map((s) => s.labels.service).filter(Boolean))].sort(), ['db', 'queue'])
  t.equal(value(group, 'groundtruth_group_ready_ratio', { group: 'infrastructure' }), 0)
  t.same(find(group, 'groundtruth_group_ready_ratio', { group: 'backend' }), [])

  t.equal((await get(`${base}/probe`)).status, 400)
  const unknown = await get(`${base}/probe?service=nosuch`)
  t.equal(unknown.status, 400)
  t.match(unknown.text, /nosuch/)
  t.equal(value(parseExposition((await get(`${base}/metrics`)).text), 'groundtruth_probes_total', { service: 'api' }), 1, '/probe does not touch the scheduler\'s counters')
})

t.test('/-/reload refuses a broken file and keeps the old config', async (t) => {
  const { daemon, base, file, yaml, logs } = await setup(t)
  await daemon.startProbing()
  writeFileSync(file, yaml('  - { name: extra, probe: tcp, address: "127.0.0.1:1", depends_on: [ghost] }\n'))
  const bad = await fetch(`${base}/-/reload`, { method: 'POST' })
  t.equal(bad.status, 500)
  t.match(await bad.text(), /services\[3\]\.depends_on\[0\]: unknown service "ghost"/)
  let s = parseExposition((await get(`${base}/metrics`)).text)
  t.equal(value(s, 'groundtruth_config_last_reload_successful'), 0)
  t.same(find(s, 'groundtruth_probes_total', { service: 'extra' }), [], 'the refused config added nothing')
  t.equal(value(s, 'groundtruth_service_up', { service: 'api' }), 1, 'the old config keeps running')
  t.match(logs.join('\n'), /config reload failed/)

  const reloadedBefore = value(s, 'groundtruth_config_last_reload_success_timestamp_seconds')
  writeFileSync(file, yaml('  - { name: extra, group: backend, probe: tcp, address: "127.0.0.1:1" }\n'))
  const good = await fetch(`${base}/-/reload`, { method: 'POST' })
  t.equal(good.status, 200)
  await daemon.scheduler.stop() // waits for the reload's round of probes in flight
  s = parseExposition((await get(`${base}/metrics`)).text)
  t.equal(value(s, 'groundtruth_config_last_reload_successful'), 1)
  t.ok(value(s, 'groundtruth_config_last_reload_success_timestamp_seconds') >= reloadedBefore)
  t.equal(value(s, 'groundtruth_service_up', { service: 'extra' }), 0)
  t.equal(value(s, 'groundtruth_probes_total', { service: 'api' }), 2, 'api kept its counter and ran again after the reload')
})
