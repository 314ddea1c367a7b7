// Issue 6 end to end, against the real Debian `prometheus` and
// `prometheus-alertmanager`: groundtruth serves a scenario (a down service
// behind a dependency, a placeholder key that a critical service needs, a
// pending migration), Prometheus scrapes it and evaluates the generated rules
// (short `for`s through the options), Alertmanager runs the shipped example
// config pointed at local receivers. Asserts the firing alerts, the PagerDuty
// Events v2 payloads (trigger, then resolve), the inhibition of the not-ready
// alert (and that a service's own env problem is not inhibited, but pages),
// and that every dashboard query returns data.
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import t, { type Test } from 'tap'
import { parse, stringify } from 'yaml'
import { ALERT_NAMES, alertOptionsFromConfig, renderAlertRules, type AlertName } from '../src/alerts/index.js'
import { loadConfig } from '../src/config/load.js'
import { Daemon } from '../src/daemon.js'
import { allQueries, dashboards } from '../src/dashboards/index.js'
import { createLogger } from '../src/log.js'
import { ROOT } from './helpers/child.js'
import { writeConfig } from './helpers/config.js'
import { closedPort, httpServer } from './helpers/servers.js'
import { PROBE_KINDS } from '../probes/index.js'
import { until } from './helpers/poll.js'

const DB = `gt_e2e_alerting_${randomBytes(4).toString('hex')}`
const PG = (db: string) => `postgres://postgres@127.0.0.1:5432/${db}`
const ROUTING_KEY = `e2e${randomBytes(14).toString('hex')}`
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function sql(db: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG(db) })
  await client.connect()
  try {
    await client.query(text)
  } finally {
    await client.end()
  }
}

async function getJson(url: string): Promise<any> {
  const res = await fetch(url, { signal: AbortSignal.timeout(3000) })
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`)
  return res.json()
}

/** Starts a child process; teardown sends SIGTERM, then SIGKILL after 5 s. */
function start(t: Test, cmd: string, args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-20000)
  }
  child.stdout!.on('data', keep)
  child.stderr!.on('data', keep)
  child.on('error', (err) => keep(Buffer.from(String(err))))
  t.teardown(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>((r) => child.once('exit', () => r()))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  })
  return { child, output: () => out }
}

interface Received {
  path: string
  body: any
}

t.test('real Prometheus and Alertmanager: groundtruth alerts fire, page PagerDuty (trigger then resolve), inhibit, and every dashboard query has data', { timeout: 120_000 }, async (t) => {
  const t0 = Date.now()
  const timings: Record<string, number> = {}
  const mark = (name: string) => (timings[name] = (Date.now() - t0) / 1000)

  // --- the scenario ---------------------------------------------------------
  await sql('postgres', `CREATE DATABASE ${DB}`)
  t.teardown(() => sql('postgres', `DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`))
  await sql(DB, 'CREATE TABLE schema_migrations (version bigint not null primary key, dirty boolean not null)')
  await sql(DB, 'INSERT INTO schema_migrations (version, dirty) VALUES (1, false)')

  const dbPort = await closedPort()
  const api = await httpServer((_req, res) => res.end('ok'))
  t.teardown(api.close)

  const { dir, file } = writeConfig(`
defaults: { interval: 1s, timeout: 500ms }
environment: production
services:
  - { name: db, group: infrastructure, probe: tcp, address: "127.0.0.1:${dbPort}" }
  - { name: api, group: backend, probe: http, url: "http://127.0.0.1:${api.port}/", depends_on: [db], critical: true }
  - { name: assistant, group: backend, probe: http, url: "http://127.0.0.1:${api.port}/", needs_env: [OPENAI_API_KEY], critical: true }
  - name: pg
    group: infrastructure
    probe: postgres
    url: ${PG(DB)}
    migrations: { tool: golang-migrate, dir: migrations }
env:
  - { file: .env }
`)
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, '.env'), 'OPENAI_API_KEY=your-openai-api-key-here\n')
  mkdirSync(join(dir, 'migrations'))
  writeFileSync(join(dir, 'migrations', '1_a.up.sql'), 'SELECT 1;\n')
  writeFileSync(join(dir, 'migrations', '2_b.up.sql'), 'SELECT 1;\n')

  const logs: string[] = []
  const daemon = await Daemon.create({ load: () => loadConfig(file, PROBE_KINDS, {}), log: createLogger({ level: 'info', write: (l) => logs.push(l) }) })
  t.teardown(() => daemon.stop())
  const server = await daemon.listen(0, '127.0.0.1')
  const gtPort = (server.address() as { port: number }).port
  void daemon.startProbing()

  // --- local receivers: PagerDuty Events v2 and the webhook -----------------
  const pagerduty: Received[] = []
  const webhook: Received[] = []
  const receiver = await httpServer((req, res) => {
    let body = ''
    req.on('data', (d) => (body += d))
    req.on('end', () => {
      let parsed: unknown = body
      try {
        parsed = JSON.parse(body)
      } catch {}
      ;(req.url?.startsWith('/pagerduty') ? pagerduty : webhook).push({ path: req.url ?? '', body: parsed })
      res.writeHead(req.url?.startsWith('/pagerduty') ? 202 : 200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ status: 'success', message: 'Event processed', dedup_key: 'x' }))
    })
  })
  t.teardown(receiver.close)

  // --- Alertmanager with the shipped example, pointed at the receivers ------
  const work = mkdtempSync(join(tmpdir(), 'gt-e2e-alerting-'))
  t.teardown(() => rmSync(work, { recursive: true, force: true }))
  const keyFile = join(work, 'pagerduty_routing_key')
  writeFileSync(keyFile, ROUTING_KEY + '\n')
  const am = parse(readFileSync(join(ROOT, 'alerts/alertmanager.example.yml'), 'utf8'))
  am.route.group_wait = '1s'
  am.route.group_interval = '1s'
  am.route.repeat_interval = '24h'
  let pdConfigs = 0
  let whConfigs = 0
  for (const r of am.receivers) {
    for (const p of r.pagerduty_configs ?? []) {
      p.url = `${receiver.url}/pagerduty/v2/enqueue`
      p.routing_key_file = keyFile
      pdConfigs++
    }
    for (const w of r.webhook_configs ?? []) {
      w.url = `${receiver.url}/webhook`
      whConfigs++
    }
  }
  t.equal(pdConfigs, 1, 'the example has one PagerDuty receiver')
  t.equal(whConfigs, 1, 'the example has one webhook receiver')
  const amFile = join(work, 'alertmanager.yml')
  writeFileSync(amFile, stringify(am))
  const amPort = await closedPort()
  const amUrl = `http://127.0.0.1:${amPort}`
  mkdirSync(join(work, 'am-data'))
  const amProc = start(t, '/usr/bin/prometheus-alertmanager', [
    `--config.file=${amFile}`,
    `--web.listen-address=127.0.0.1:${amPort}`,
    '--cluster.listen-address=',
    `--storage.path=${join(work, 'am-data')}`,
  ])

  // --- Prometheus with the generated rules (short `for`s) -------------------
  const config = await loadConfig(file, PROBE_KINDS, {})
  const fromConfig = alertOptionsFromConfig(config)
  const forAll = Object.fromEntries(ALERT_NAMES.map((n) => [n, '0s'])) as Record<AlertName, string>
  forAll.GroundtruthServiceNotReady = '1s'
  const rulesFile = join(work, 'groundtruth.rules.yml')
  writeFileSync(rulesFile, renderAlertRules({ ...fromConfig, job: 'job="groundtruth"', for: forAll }))
  const promPort = await closedPort()
  const promUrl = `http://127.0.0.1:${promPort}`
  const promFile = join(work, 'prometheus.yml')
  writeFileSync(
    promFile,
    stringify({
      global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
      rule_files: [rulesFile],
      alerting: { alertmanagers: [{ static_configs: [{ targets: [`127.0.0.1:${amPort}`] }] }] },
      scrape_configs: [{ job_name: 'groundtruth', honor_labels: true, static_configs: [{ targets: [`127.0.0.1:${gtPort}`] }] }],
    }),
  )
  mkdirSync(join(work, 'prom-data'))
  const promProc = start(t, '/usr/bin/prometheus', [
    `--config.file=${promFile}`,
    `--web.listen-address=127.0.0.1:${promPort}`,
    `--storage.tsdb.path=${join(work, 'prom-data')}`,
  ])
  t.teardown(() => {
    if (t.passing()) return
    t.comment('prometheus output (tail):\n' + promProc.output().slice(-3000))
    t.comment('alertmanager output (tail):\n' + amProc.output().slice(-3000))
    t.comment('groundtruth logs (tail):\n' + logs.slice(-20).join('\n'))
  })

  await until('Alertmanager ready', async () => ((await fetch(`${amUrl}/-/ready`)).ok ? true : undefined), 20_000)
  await until('Prometheus ready', async () => ((await fetch(`${promUrl}/-/ready`)).ok ? true : undefined), 20_000)
  mark('processes ready')

  // (1) the alerts fire in Prometheus
  type PromAlert = { labels: Record<string, string>; annotations: Record<string, string>; state: string }
  const firing = async (): Promise<PromAlert[]> => ((await getJson(`${promUrl}/api/v1/alerts`)).data.alerts as PromAlert[]).filter((a) => a.state === 'firing')
  const expected: Array<[string, Record<string, string>]> = [
    ['GroundtruthServiceDown', { service: 'db' }],
    ['GroundtruthServiceNotReady', { service: 'api' }],
    ['GroundtruthEnvPlaceholder', {}],
    ['GroundtruthMigrationPending', { service: 'pg' }],
    // Up, but its key is a placeholder: critical, as the service is.
    ['GroundtruthServiceNotReadyConfig', { service: 'assistant', cause: 'env', group: 'backend', severity: 'critical' }],
    // Up, but a migration is pending: pg is not critical, so a warning.
    ['GroundtruthServiceNotReadyConfig', { service: 'pg', cause: 'migrations', group: 'infrastructure', severity: 'warning' }],
  ]
  const matches = (a: PromAlert, name: string, labels: Record<string, string>) =>
    a.labels.alertname === name && Object.entries(labels).every(([k, v]) => a.labels[k] === v)
  const alerts = await until(
    'the six alerts to fire in Prometheus',
    async () => {
      const all = await firing()
      return expected.every(([n, l]) => all.some((a) => matches(a, n, l))) ? all : undefined
    },
    40_000,
  )
  mark('alerts firing in Prometheus')
  for (const [name, labels] of expected) t.ok(alerts.some((a) => matches(a, name, labels)), `${name} ${JSON.stringify(labels)} fires`)
  const down = alerts.find((a) => matches(a, 'GroundtruthServiceDown', { service: 'db' }))!
  t.equal(down.labels.severity, 'critical', 'db is critical (api depends on it and is critical)')
  t.equal(down.labels.job, 'groundtruth')
  const placeholder = alerts.find((a) => a.labels.alertname === 'GroundtruthEnvPlaceholder')!
  t.match(JSON.stringify(placeholder), /OPENAI_API_KEY/, 'the placeholder alert names the variable')
  t.notMatch(JSON.stringify(alerts), /your-openai-api-key-here/, 'no alert carries the value')
  const ownEnv = alerts.filter((a) => a.labels.alertname === 'GroundtruthServiceNotReadyConfig')
  t.same(ownEnv.map((a) => `${a.labels.service}:${a.labels.cause}`).sort(), ['assistant:env', 'pg:migrations'], 'only assistant (env) and pg (migrations) are held back by their own cause')
  t.match(ownEnv.find((a) => a.labels.service === 'assistant')!.annotations, {
    summary: 'Service assistant is up but not ready because of its env',
    description: /service assistant \(group backend\) answers its probe, but is not ready: a variable it needs \(needs_env\)/,
  })
  t.notOk(
    alerts.some((a) => a.labels.alertname === 'GroundtruthServiceNotReady' && a.labels.service === 'assistant'),
    'assistant waits on no dependency: no dependency not-ready alert for it',
  )

  // (2) PagerDuty gets an Events v2 trigger for db
  const isDbTrigger = (r: Received) => r.body?.event_action === 'trigger' && /\bdb\b/.test(String(r.body?.payload?.summary ?? ''))
  const trigger = await until('a PagerDuty trigger for db', () => pagerduty.find(isDbTrigger), 30_000)
  mark('PagerDuty trigger received')
  t.equal(trigger.path, '/pagerduty/v2/enqueue')
  t.equal(trigger.body.routing_key, ROUTING_KEY, 'routing key read from routing_key_file')
  t.equal(trigger.body.payload.severity, 'critical')
  t.match(trigger.body.payload.summary, /db/, 'summary names the service')
  t.ok(trigger.body.dedup_key, 'has a dedup key')
  t.equal(trigger.body.payload.custom_details?.service, 'db')

  // (3) the NotReady alert for api reached Alertmanager but was inhibited
  const amAlert = await until(
    'Alertmanager to hold the inhibited NotReady alert for api',
    async () => {
      const list = (await getJson(`${amUrl}/api/v2/alerts`)) as Array<{ labels: Record<string, string>; status: { state: string; inhibitedBy: string[] } }>
      const a = list.find((x) => x.labels.alertname === 'GroundtruthServiceNotReady' && x.labels.service === 'api')
      return a && a.status.state === 'suppressed' ? a : undefined
    },
    20_000,
  )
  t.ok(amAlert.status.inhibitedBy.length > 0, 'NotReady{service="api"} is inhibited in Alertmanager')
  // assistant's own env problem is not silenced by db being down: it pages.
  const ownAlert = await until(
    'Alertmanager to hold the NotReadyConfig alert for assistant',
    async () => {
      const list = (await getJson(`${amUrl}/api/v2/alerts`)) as Array<{ labels: Record<string, string>; status: { state: string; inhibitedBy: string[] } }>
      return list.find((x) => x.labels.alertname === 'GroundtruthServiceNotReadyConfig' && x.labels.service === 'assistant')
    },
    20_000,
  )
  t.equal(ownAlert.status.state, 'active', 'NotReadyConfig{service="assistant"} is not inhibited while db is down')
  const assistantTrigger = await until(
    'a PagerDuty trigger for assistant',
    () => pagerduty.find((r) => r.body?.event_action === 'trigger' && /\bassistant\b/.test(String(r.body?.payload?.summary ?? ''))),
    20_000,
  )
  t.equal(assistantTrigger.body.payload.severity, 'critical')
  t.equal(assistantTrigger.body.payload.summary, 'Service assistant is up but not ready because of its env')
  t.equal(assistantTrigger.body.payload.custom_details?.service, 'assistant')
  t.notMatch(JSON.stringify(assistantTrigger.body), /your-openai-api-key-here/, 'the page does not carry the value')
  // The webhook works (warnings reach it), so its silence about api is meaningful.
  await until('the placeholder warning at the webhook', () => webhook.find((r) => JSON.stringify(r.body).includes('GroundtruthEnvPlaceholder')), 20_000)
  await sleep(3000) // a few more group_intervals for anything that would leak
  // The dependency alert only, not GroundtruthServiceNotReadyConfig (which is sent).
  const notReadySent = (list: Received[]) => list.filter((r) => /GroundtruthServiceNotReady(?!Config)/.test(JSON.stringify(r.body)))
  t.same(notReadySent(webhook), [], 'the inhibited NotReady alert was not sent to the webhook')
  t.same(notReadySent(pagerduty), [], 'nor to PagerDuty')
  mark('inhibition checked')

  // (5) every dashboard query that must have data has it (db is still down here,
  // so the not-ready / failure panels are also populated)
  // The cause panels may be empty when all is well; here they must show db, api, assistant and pg.
  const queries = allQueries(dashboards()).filter((q) => !q.mayBeEmpty || q.panel.startsWith('Not ready causes'))
  t.ok(queries.length > 20, `${queries.length} dashboard queries to check`)
  const substitute = (expr: string) =>
    expr
      .replaceAll('$__rate_interval', '1m')
      .replaceAll('$__range', '5m')
      .replaceAll('$__interval', '15s')
      .replaceAll('$job', 'groundtruth')
      .replaceAll('$group', '.*')
  const empty: string[] = []
  await until(
    'every dashboard query to return data',
    async () => {
      empty.length = 0
      for (const q of queries) {
        const body = await getJson(`${promUrl}/api/v1/query?query=${encodeURIComponent(substitute(q.expr))}`)
        if (body.status !== 'success') throw new Error(`${q.panel}: ${JSON.stringify(body)}`)
        const result = body.data.result
        if (!Array.isArray(result) ? result === undefined : result.length === 0) empty.push(`${q.dashboard} / ${q.panel} / ${q.refId}: ${q.expr}`)
      }
      return empty.length === 0 ? true : undefined
    },
    30_000,
  ).catch(() => undefined)
  t.same(empty, [], 'no dashboard query is empty')
  const causes = allQueries(dashboards()).find((q) => q.panel === 'Not ready causes')!
  const causeRows = (await getJson(`${promUrl}/api/v1/query?query=${encodeURIComponent(substitute(causes.expr))}`)).data.result as Array<{ metric: Record<string, string> }>
  t.same(
    causeRows.map((r) => `${r.metric.service} (${r.metric.group}): ${r.metric.cause}`).sort(),
    ['api (backend): dependency', 'assistant (backend): env', 'db (infrastructure): down', 'pg (infrastructure): migrations'],
    'the "Not ready causes" table shows each service with its group and cause',
  )
  mark('dashboard queries checked')

  // (4) db comes back: PagerDuty gets the resolve for the same incident
  const sockets = new Set<Socket>()
  const dbServer: NetServer = createNetServer((s) => {
    sockets.add(s)
    s.on('error', () => {})
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve, reject) => {
    dbServer.once('error', reject)
    dbServer.listen(dbPort, '127.0.0.1', () => resolve())
  })
  t.teardown(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy()
        dbServer.close(() => r())
      }),
  )
  const resolve = await until(
    'a PagerDuty resolve for db',
    () => pagerduty.find((r) => r.body?.event_action === 'resolve' && r.body?.dedup_key === trigger.body.dedup_key),
    40_000,
  )
  mark('PagerDuty resolve received')
  t.equal(resolve.body.routing_key, ROUTING_KEY)
  t.same(notReadySent(webhook).filter((r) => r.body?.status === 'firing'), [], 'api NotReady never went out as firing')

  t.comment(`timings (s since start): ${JSON.stringify(timings)}`)
})
