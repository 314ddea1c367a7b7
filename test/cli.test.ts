// The command line as a user runs it: exit codes, output formats, reports,
// discovery, and `serve` with its signals, in real child processes.
import { spawn, spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { main, parseListen } from '../src/cli.js'
import { CLI, childEnv, ROOT } from './helpers/child.js'
import { writeConfig } from './helpers/config.js'
import { find, parseExposition, value } from './helpers/metrics.js'
import { closedPort, httpServer, tarpit } from './helpers/servers.js'
import { captureIo as capture } from './helpers/io.js'



async function peers(t: Test) {
  const api = await httpServer((_req, res) => res.end('{"status":"ok"}'))
  t.teardown(api.close)
  return { api, down: await closedPort() }
}

const configFor = (apiPort: number, downPort: number, gates = '') => `
defaults: { timeout: 1s }
services:
  - { name: api, group: backend, probe: http, url: "http://127.0.0.1:${apiPort}/", expect: { json: { status: ok } }, critical: true }
  - { name: cache, group: infrastructure, probe: tcp, address: "127.0.0.1:${downPort}" }
  - { name: web, group: frontend, probe: http, url: "http://127.0.0.1:${apiPort}/", depends_on: [cache] }
${gates}`

t.test('check: exit 0 when gates pass, 1 when not, 2 on bad config', async (t) => {
  const { api, down } = await peers(t)
  const lenient = writeConfig(configFor(api.port, down, 'gates: { min_ready_ratio: 0.3 }'))
  let io = capture()
  t.equal(await main(['check', '--config', lenient.file], io), 0, io.err)
  t.match(io.out, /^SERVICE\s+GROUP\s+PROBE\s+STATE/)
  t.match(io.out, /cache\s+infrastructure\s+tcp\s+down\s+refused/)
  t.match(io.out, /web\s+frontend\s+http\s+not_ready\s+-\s+\S+\s+waits on cache/)
  t.match(io.out, /Ready: 1\/3 services ready \(33\.3%\); gate 30%: PASSED/)

  const strict = writeConfig(configFor(api.port, down))
  io = capture()
  t.equal(await main(['check', '--config', strict.file], io), 1, 'default gate is 100%')
  t.match(io.out, /Ready: 1\/3 services ready \(33\.3%\); gate 100%: FAILED\n {2}- ready ratio 33\.3% is below the gate of 100%\n$/, 'the gate failures come last')

  const critical = writeConfig(configFor(api.port, down, 'gates: { min_ready_ratio: 0 }').replace('address: "127.0.0.1:' + down + '" }', `address: "127.0.0.1:${down}", critical: true }`))
  io = capture()
  t.equal(await main(['check', '--config', critical.file], io), 1, 'a critical service not ready fails whatever the ratio')
  t.match(io.out, /critical service cache is not ready/)

  const bad = writeConfig('services:\n  - { name: api, probe: http, url: "http://x/", expect: { status: [abc] } }\n')
  io = capture()
  t.equal(await main(['check', '--config', bad.file], io), 2)
  t.match(io.err, /services\[0\]\.expect\.status\[0\]/)
  t.equal(io.out, '')

  io = capture()
  t.equal(await main(['check', '--config', join(lenient.dir, 'missing.yml')], io), 2)
  t.match(io.err, /missing\.yml: file not found/)
})

t.test('check --format json has a stable shape', async (t) => {
  const { api, down } = await peers(t)
  const { file } = writeConfig(configFor(api.port, down))
  const io = capture()
  t.equal(await main(['check', '--config', file, '--format', 'json'], io), 1)
  const doc = JSON.parse(io.out)
  t.match(doc, {
    generated_at: String,
    environment: 'production',
    complete: true,
    ready_ratio: 1 / 3,
    groups: { backend: 1, infrastructure: 0, frontend: 0 },
    gates: { passed: false, min_ready_ratio: 1, failures: Array },
  })
  t.same(
    doc.services.map((s: { name: string; state: string; up: boolean; ready: boolean; reason: string | null }) => [s.name, s.state, s.up, s.ready, s.reason]),
    [
      ['api', 'ready', true, true, null],
      ['cache', 'down', false, false, 'refused'],
      ['web', 'not_ready', true, false, null],
    ],
  )
  const apiStatus = doc.services[0]
  t.same(
    Object.keys(apiStatus).sort(),
    ['blocked_by', 'causes', 'checks', 'consecutive_failures', 'container', 'critical', 'depends_on', 'description', 'duration_seconds', 'error', 'failures', 'group', 'history', 'info', 'last_probe_ok', 'last_run', 'last_success', 'migrations', 'name', 'needs_env', 'probe', 'probes', 'reason', 'ready', 'state', 'state_changes', 'state_since', 'target', 'up', 'uptime'].sort(),
  )
  t.same(apiStatus.checks, [{ name: 'status', ok: true, detail: 'got 200, expected 2xx' }, { name: 'json', ok: true }])
  t.same(doc.services[2].blocked_by, ['cache'])
})

t.test('check --format markdown and report tell what is broken and why', async (t) => {
  const { api, down } = await peers(t)
  const { file, dir } = writeConfig(configFor(api.port, down))
  let io = capture()
  t.equal(await main(['check', '--config', file, '--format', 'markdown'], io), 1)
  t.match(io.out, /^# groundtruth status report/)

  io = capture()
  const out = join(dir, 'STATUS.md')
  t.equal(await main(['report', '--config', file, '--out', out], io), 0, 'a report is written even when things are broken')
  const { readFileSync } = await import('node:fs')
  const report = readFileSync(out, 'utf8')
  t.match(report, /\*\*Readiness: 1\/3 services ready \(33\.3%\)\.\*\*/)
  t.match(report, /## backend — 1\/1 ready \(100%\)/)
  t.match(report, /## infrastructure — 0\/1 ready \(0%\)/)
  t.match(report, /\| cache \| ❌ down \| refused \|/)
  t.match(report, /## What is broken and why/)
  t.match(report, /- \*\*cache\*\* \(infrastructure\) is \*\*down\*\*: nothing answered \(connection refused\) — .*ECONNREFUSED.*\. It holds back web\./)
  t.match(report, /- \*\*web\*\* \(frontend\) is up but \*\*not ready\*\*: waits on cache \(not ready\)\./)
  t.match(report, /^# groundtruth status report\n\n\*\*Readiness: [^\n]*\*\* Verdict: \*\*failed\*\*[^\n]*\n\n- ready ratio 33\.3% is below the gate of 100%/, 'the gate failures open the report')

  io = capture()
  t.equal(await main(['check', '--config', file, '--format', 'xml'], io), 2)
  t.match(io.err, /--format must be table, json or markdown/)
})

t.test('without a config file, services are discovered from the environment and .env', async (t) => {
  const { api } = await peers(t)
  const { dir } = writeConfig('', 'unused.yml')
  writeFileSync(join(dir, '.env'), `# comment\nAPI_HEALTH_URL=http://127.0.0.1:${api.port}/\nLOG_LEVEL=info\n`)
  let io = capture(dir, { WORKER_HEALTH_URL: `http://127.0.0.1:${api.port}/worker` })
  t.equal(await main(['check', '--format', 'json'], io), 0, io.err)
  t.match(io.err, /discovered:\n/)
  t.match(io.err, /service api \(http\) from API_HEALTH_URL/)
  t.match(io.err, /service worker \(http\) from WORKER_HEALTH_URL/)
  const doc = JSON.parse(io.out)
  t.same(doc.services.map((s: { name: string; group: string }) => [s.name, s.group]).sort(), [['api', 'discovered'], ['worker', 'discovered']])

  const empty = writeConfig('', 'unused.yml')
  io = capture(empty.dir, {})
  t.equal(await main(['check'], io), 2)
  t.match(io.err, /no groundtruth\.yml here and no service to discover \(looked for \*_HEALTH_URL, .*DATABASE_URL, POSTGRES_URL, .*REDIS_URL/)

  // groundtruth.yml in the working directory is the default config.
  const here = writeConfig(configFor(api.port, await closedPort(), 'gates: { min_ready_ratio: 0 }'))
  io = capture(here.dir, {})
  t.equal(await main(['validate'], io), 0)
  t.match(io.out, /groundtruth\.yml: ok, 3 services/)
})

t.test('infrastructure variables in .env become services in group infrastructure, on the real servers', async (t) => {
  const { dir } = writeConfig('', 'unused.yml')
  const planted = 'Pl4nted-db-pw-' + Date.now()
  writeFileSync(
    join(dir, '.env'),
    [`DATABASE_URL=postgres://postgres:${planted}@127.0.0.1:5432/postgres`, 'REDIS_URL=redis://127.0.0.1:6379/0', 'export AMQP_URL="amqp://guest:guest@127.0.0.1:5672/"', 'NODE_ENV=production'].join('\n'),
  )
  const io = capture(dir, {})
  // Every service is ready; the verdict still fails on the .env it audits: guest:guest in production.
  t.equal(await main(['check', '--format', 'json'], io), 1, io.err)
  t.match(io.err, /service postgres \(postgres\) from DATABASE_URL/)
  t.match(io.err, /service redis \(redis\) from REDIS_URL/)
  t.match(io.err, /service rabbitmq \(rabbitmq\) from AMQP_URL/)
  const doc = JSON.parse(io.out)
  t.same(
    doc.services.map((s: { name: string; group: string; state: string; target: string }) => [s.name, s.group, s.state, s.target]),
    [
      ['postgres', 'infrastructure', 'ready', '127.0.0.1:5432/postgres'],
      ['redis', 'infrastructure', 'ready', '127.0.0.1:6379/0'],
      ['rabbitmq', 'infrastructure', 'ready', '127.0.0.1:5672//'],
    ],
  )
  t.same(doc.gates.failures, [`in ${join(dir, '.env')} (production), 1 variable is weak: AMQP_URL (weak password)`])
  t.notOk((io.out + io.err).includes(planted), 'the password from .env is in no output (trust auth lets it in)')
})

t.test('alerts and dashboards render the shipped files, and follow --config and --job', async (t) => {
  const { readFileSync, readdirSync } = await import('node:fs')
  let io = capture()
  t.equal(await main(['alerts'], io), 0)
  t.equal(io.out, readFileSync(join(ROOT, 'alerts/groundtruth.rules.yml'), 'utf8'), 'the shipped rules are the defaults')

  const { file, dir } = writeConfig(`
services:
  - { name: api, probe: tcp, address: "127.0.0.1:1", critical: true, depends_on: [db] }
  - { name: db, probe: tcp, address: "127.0.0.1:2" }
  - { name: docs, probe: tcp, address: "127.0.0.1:3" }
`)
  io = capture()
  t.equal(await main(['alerts', '--config', file, '--job', 'gt-prod', '--out', 'rules.yml'], { ...io, cwd: dir }), 0)
  const rules = readFileSync(join(dir, 'rules.yml'), 'utf8')
  const { parse } = await import('yaml')
  const alerts = (parse(rules) as { groups: Array<{ rules: Array<{ alert?: string; expr: string; labels?: { severity: string } }> }> }).groups.flatMap((g) => g.rules)
  const down = alerts.filter((r) => r.alert === 'GroundtruthServiceDown')
  const severityOf = (service: string) => down.find((r) => r.expr.includes(`service="${service}"`))?.labels?.severity
  t.equal(severityOf('api'), 'critical', 'a critical service pages')
  t.equal(severityOf('db'), 'critical', 'and so does what it depends on')
  t.equal(severityOf('docs'), undefined, 'others fall under the default rule')
  t.ok(down.some((r) => r.labels?.severity === 'warning' && r.expr.includes('service!~')), 'the default rule warns and excludes the overrides')
  t.ok(alerts.filter((r) => r.expr.includes('groundtruth_')).every((r) => r.expr.includes('job="gt-prod"')), 'every expression selects the job')

  const out = join(dir, 'dash')
  io = capture()
  t.equal(await main(['dashboards', '--out', out], io), 0)
  t.match(io.out, /wrote 3 dashboards/)
  for (const f of readdirSync(join(ROOT, 'grafana')).filter((f) => f.endsWith('.json'))) {
    t.equal(readFileSync(join(out, f), 'utf8'), readFileSync(join(ROOT, 'grafana', f), 'utf8'), `grafana/${f} is the default rendering`)
  }
  io = capture()
  t.equal(await main(['dashboards'], io), 2)
  t.match(io.err, /dashboards needs --out DIR/)
})

t.test('usage errors exit 2 with the usage text', async (t) => {
  for (const argv of [['frobnicate'], ['check', '--bogus'], []]) {
    const io = capture()
    t.equal(await main(argv, io), 2, argv.join(' '))
  }
  let io = capture()
  t.equal(await main(['--help'], io), 0)
  t.match(io.out, /usage:/)
  io = capture()
  t.equal(await main(['--version'], io), 0)
  t.match(io.out, /^\d+\.\d+\.\d+\n$/)
  t.same(parseListen(':9469'), { host: undefined, port: 9469 })
  t.same(parseListen('127.0.0.1:80'), { host: '127.0.0.1', port: 80 })
  t.same(parseListen('[::1]:9469'), { host: '::1', port: 9469 })
  t.throws(() => parseListen('localhost'), /--listen expects/)
  t.throws(() => parseListen(':70000'), /--listen expects/)
})

t.test('the check process exits on its own after refused, timed-out and TLS probes (no leaked handle)', async (t) => {
  const pit = await tarpit()
  t.teardown(pit.close)
  const { file } = writeConfig(`
defaults: { timeout: 500ms }
services:
  - { name: refused, probe: tcp, address: "127.0.0.1:${await closedPort()}" }
  - { name: tarpit-tcp, probe: tcp, address: "127.0.0.1:${pit.port}", expect: { banner_contains: x } }
  - { name: tarpit-http, probe: http, url: "http://127.0.0.1:${pit.port}/" }
  - { name: tarpit-https, probe: http, url: "https://127.0.0.1:${pit.port}/" }
`)
  // The reference: how long this machine takes right now to start the CLI and exit.
  const refStart = performance.now()
  spawnSync(process.execPath, [...CLI, '--version'], { cwd: ROOT, env: childEnv(), encoding: 'utf8', timeout: 15_000 })
  const startup = performance.now() - refStart
  const started = performance.now()
  const res = spawnSync(process.execPath, [...CLI, 'check', '--config', file, '--format', 'json'], { cwd: ROOT, env: childEnv(), encoding: 'utf8', timeout: 15_000 })
  const elapsed = performance.now() - started
  t.equal(res.signal, null, 'not killed by the 15 s guard: it exited by itself')
  t.equal(res.status, 1)
  const doc = JSON.parse(res.stdout)
  t.same(doc.services.map((s: { reason: string }) => s.reason), ['refused', 'timeout', 'timeout', 'timeout'])
  // The probes run side by side, each bounded by the 500 ms timeout: a start-up plus about one timeout, never a wait for sockets to drain.
  t.ok(elapsed < 2 * startup + 4 * 500, `exited ${Math.round(elapsed)} ms after start (start-up alone ${Math.round(startup)} ms)`)
})

t.test('serve: SIGHUP reloads, a broken file is refused, SIGTERM exits cleanly', async (t) => {
  const { api, down } = await peers(t)
  const { file } = writeConfig(configFor(api.port, down))
  const port = await closedPort()
  const child = spawn(process.execPath, [...CLI, 'serve', '--config', file, '--listen', `127.0.0.1:${port}`], { cwd: ROOT, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d) => (stderr += d))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  t.teardown(() => void child.kill('SIGKILL'))
  const base = `http://127.0.0.1:${port}`
  const until = async (what: () => Promise<boolean>) => {
    for (let i = 0; i < 100; i++) {
      if (await what().catch(() => false)) return true
      await new Promise((r) => setTimeout(r, 100))
    }
    return false
  }
  t.ok(await until(async () => (await fetch(`${base}/-/ready`)).status === 200), 'becomes ready')
  const metrics = async () => parseExposition(await (await fetch(`${base}/metrics`)).text())

  writeFileSync(file, 'services: [ {name: x} ]\n')
  child.kill('SIGHUP')
  t.ok(await until(async () => value(await metrics(), 'groundtruth_config_last_reload_successful') === 0), 'reload gauge drops to 0')
  t.equal(value(await metrics(), 'groundtruth_service_up', { service: 'api' }), 1, 'old config still probed')

  writeFileSync(file, configFor(api.port, down).replace('name: web', 'name: website'))
  child.kill('SIGHUP')
  t.ok(await until(async () => find(await metrics(), 'groundtruth_service_up', { service: 'website' }).length === 1), 'the new service appears')
  t.same(find(await metrics(), 'groundtruth_service_up', { service: 'web' }), [], 'the removed one is gone')
  t.equal(value(await metrics(), 'groundtruth_config_last_reload_successful'), 1)

  child.kill('SIGTERM')
  t.equal(await exited, 0, 'graceful exit')
  t.match(stderr, /"msg":"config reload failed; the previous config stays in force"/)
  t.match(stderr, /services\[0\]\.probe: missing/)
  t.match(stderr, /"msg":"shutting down","signal":"SIGTERM"/)
})

t.test('an empty service list fails the verdict with a sentence, not "0/0 ready (100%)"', async (t) => {
  const { dir, file } = writeConfig('services: []\n')
  const io = capture(dir, {})
  t.equal(await main(['check', '--config', file, '--format', 'json'], io), 1)
  t.same(JSON.parse(io.out).gates.failures, ['nothing is configured: the config has no services to probe'])
  const table = capture(dir, {})
  t.equal(await main(['check', '--config', file], table), 1)
  t.match(table.out, /nothing is configured: the config has no services to probe/)
})

t.test('links: the runbook base for alerts comes from the config; --runbook-url wins; a bad link is a config error', async (t) => {
  const { dir, file } = writeConfig('services: []\nlinks: { runbooks: "https://wiki.example/groundtruth", grafana: "https://grafana.example/d/gt" }\n')
  const io = capture(dir, {})
  t.equal(await main(['alerts', '--config', file], io), 0, io.err)
  t.match(io.out, /runbook_url: https:\/\/wiki\.example\/groundtruth#groundtruthservicedown/)
  const flag = capture(dir, {})
  t.equal(await main(['alerts', '--config', file, '--runbook-url', 'https://other.example/rb'], flag), 0, flag.err)
  t.match(flag.out, /runbook_url: https:\/\/other\.example\/rb#/)
  t.notMatch(flag.out, /wiki\.example/)
  const bad = writeConfig('services: []\nlinks: { grafana: "ftp://x" }\n')
  const err = capture(bad.dir, {})
  t.equal(await main(['validate', '--config', bad.file], err), 2)
  t.match(err.err, /links\.grafana: expected an http\(s\) URL/)
})
