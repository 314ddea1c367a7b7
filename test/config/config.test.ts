// Good configs: defaults, overrides, schedules, ${VAR} expansion, and every
// shipped example in config/ (SPEC §2).
import { readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { ConfigError } from '../../src/config/errors.js'
import { loadConfig, parseConfig, serviceSchema } from '../../src/config/load.js'
import type { Pattern } from '../../src/settings/fields.js'
import { writeConfig } from '../helpers/config.js'
import { PROBE_KINDS } from '../../probes/index.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

t.test('defaults are applied to a minimal config', async (t) => {
  const { file } = writeConfig(`services:\n  - name: api\n    probe: http\n    url: http://api.internal/health\n`)
  const config = await loadConfig(file, PROBE_KINDS, {})
  t.equal(config.file, file)
  t.same(config.defaults, { interval: 30_000, timeout: 5_000 })
  t.equal(config.environment, 'production')
  t.equal(config.concurrency, 16)
  t.same(config.gates, { min_ready_ratio: 1, env: ['placeholder', 'missing', 'weak'], migrations: ['pending', 'failed', 'unknown', 'branched'] }, 'production: weak values fail the verdict too')
  t.same(config.env, [])
  t.equal(config.services.length, 1)
  const [api] = config.services
  t.equal(api!.name, 'api')
  t.equal(api!.group, 'default')
  t.equal(api!.probe, 'http')
  t.equal(api!.interval, 30_000, 'interval from defaults (30s)')
  t.equal(api!.timeout, 5_000, 'timeout from defaults (5s)')
  t.equal(api!.schedule, undefined)
  t.same(api!.depends_on, [])
  t.equal(api!.critical, false)
  t.equal(api!.url, 'http://api.internal/health')
  t.equal(api!.method, 'GET')
  t.same(api!.headers, {})
  t.equal(api!.follow_redirects, false)
  t.equal(api!.max_body_bytes, 1024 * 1024)
  t.same(api!.expect, { cert_min_validity: 14 * 86_400_000 })
})

t.test('an empty document is an error, never a config with no services', async (t) => {
  const documents: [string, string][] = [
    ['empty', ''],
    ['whitespace only', '  \n\n\t\n'],
    ['comments only', '# groundtruth\n# nothing yet\n'],
    ['a lone ~', '~\n'],
    ['null', 'null\n'],
    ['a document marker', '---\n'],
  ]
  for (const [name, text] of documents) {
    const { file } = writeConfig(text)
    const err = await loadConfig(file, PROBE_KINDS, {}).then(
      () => undefined,
      (e: unknown) => e,
    )
    t.ok(err instanceof ConfigError, `${name}: refused`)
    t.equal((err as ConfigError).message, `${file}: the file holds no configuration (it is empty, blank, only comments or null); expected a mapping with at least "services:"`, name)
  }
})

t.test('an explicit "services: []" is a valid config with no services', async (t) => {
  const { file } = writeConfig('services: []\n')
  const config = await loadConfig(file, PROBE_KINDS, {})
  t.same(config.services, [])
  t.same(config.defaults, { interval: 30_000, timeout: 5_000 })
})

t.test('per-service interval and timeout override the defaults; schedule leaves interval undefined', async (t) => {
  const yaml = `
defaults: { interval: 1m, timeout: 10s }
environment: staging
concurrency: 4
services:
  - name: api
    group: backend
    probe: http
    url: https://api.internal/health
    method: HEAD
    expect:
      status: [200, 204]
      json: { status: ok }
      body_contains: [ok, ready]
      body_matches: "^ok"
      max_latency: 500ms
      cert_min_validity: 7d
    depends_on: [db]
    critical: true
  - name: db
    group: infrastructure
    probe: tcp
    address: "[::1]:5432"
    interval: 1h30m
    timeout: 500ms
  - name: nightly
    probe: tcp
    address: db.internal:5432
    schedule: "*/5 * * * *"
    timeout: 2m
gates: { min_ready_ratio: 0.95 }
env:
  - file: .env
    example: .env.example
    required: [OPENAI_API_KEY]
`
  const config = parseConfig(yaml, 'inline.yml', PROBE_KINDS, {})
  t.same(config.defaults, { interval: 60_000, timeout: 10_000 })
  t.equal(config.environment, 'staging')
  t.equal(config.concurrency, 4)
  t.same(config.gates, { min_ready_ratio: 0.95, env: ['placeholder', 'missing'], migrations: ['pending', 'failed', 'unknown', 'branched'] }, 'staging: weak values are reported, not gated')
  t.same(config.env, [{ file: '.env', example: '.env.example', required: ['OPENAI_API_KEY'] }])
  const [api, db, nightly] = config.services
  t.equal(api!.interval, 60_000, 'api: interval from defaults')
  t.equal(api!.timeout, 10_000, 'api: timeout from defaults')
  t.equal(api!.critical, true)
  t.same(api!.depends_on, ['db'])
  t.equal(api!.method, 'HEAD')
  const expect = api!.expect as Record<string, unknown>
  t.same(expect.status, [200, 204])
  t.same(expect.json, { status: 'ok' })
  t.same(expect.body_contains, ['ok', 'ready'])
  const pattern = expect.body_matches as Pattern
  t.equal(pattern.source, '^ok', 'body_matches compiled')
  t.ok(pattern.test('ok then more'), 'matches anywhere, anchored where the pattern says')
  t.notOk(pattern.test('not ok'))
  t.equal(expect.max_latency, 500)
  t.equal(expect.cert_min_validity, 7 * 86_400_000)
  t.equal(db!.interval, 5_400_000, 'db: 1h30m')
  t.equal(db!.timeout, 500, 'db: 500ms')
  t.equal(db!.address, '[::1]:5432')
  t.equal(nightly!.schedule, '*/5 * * * *')
  t.equal(nightly!.interval, undefined, 'a scheduled service has no interval')
  t.equal(nightly!.timeout, 120_000, 'a scheduled service may time out later than the default interval')
  t.equal(nightly!.group, 'default')
})

t.test('durations: the longest a timer holds is accepted, units combine', async (t) => {
  const yaml = (interval: string, timeout: string) => `services:\n  - name: a\n    probe: tcp\n    address: h:1\n    interval: ${interval}\n    timeout: ${timeout}\n`
  t.equal(parseConfig(yaml('24d', '1d2h3m4s5ms'), 'f.yml', PROBE_KINDS, {}).services[0]!.interval, 24 * 86_400_000)
  t.equal(parseConfig(yaml('24d', '1d2h3m4s5ms'), 'f.yml', PROBE_KINDS, {}).services[0]!.timeout, 86_400_000 + 2 * 3_600_000 + 3 * 60_000 + 4_000 + 5)
  t.equal(parseConfig(yaml('1s', '1s'), 'f.yml', PROBE_KINDS, {}).services[0]!.timeout, 1_000, 'timeout equal to interval is fine')
})

t.test('${VAR} and ${VAR:-default} are expanded from the environment', async (t) => {
  const yaml = `
defaults: { interval: "\${INTERVAL:-45s}", timeout: "\${TIMEOUT}" }
environment: \${DEPLOY_ENV:-production}
services:
  - name: api
    group: "\${GROUP:-backend}"
    probe: http
    url: http://\${API_HOST}:\${API_PORT:-8080}/health
    headers:
      X-Empty: "[\${EMPTY}]"
      X-Defaulted: "\${EMPTY:-fallback}"
      X-Literal: "$\${NOT_EXPANDED} and $\${KEEP:-this}"
      X-Nested: "\${NESTED}"
    description: "\${DESC}"
`
  const env = { TIMEOUT: '3s', API_HOST: 'api.internal', EMPTY: '', GROUP: 'frontend', NESTED: '${API_HOST}', DESC: 'two\nlines: [x]' }
  const config = parseConfig(yaml, 'f.yml', PROBE_KINDS, env)
  t.same(config.defaults, { interval: 45_000, timeout: 3_000 }, 'default used for an unset variable; set one wins')
  t.equal(config.environment, 'production')
  const [api] = config.services
  t.equal(api!.group, 'frontend', 'a set variable wins over its default')
  t.equal(api!.url, 'http://api.internal:8080/health', 'two references in one value')
  const headers = api!.headers as Record<string, string>
  t.equal(headers['X-Empty'], '[]', 'set but empty, no default: empty')
  t.equal(headers['X-Defaulted'], 'fallback', ':- also replaces a set-but-empty value')
  t.equal(headers['X-Literal'], '${NOT_EXPANDED} and ${KEEP:-this}', '$${ writes a literal ${')
  t.equal(headers['X-Nested'], '${API_HOST}', 'an expanded value is not expanded again')
  t.equal(api!.description, 'two\nlines: [x]', 'an expanded value never changes the document shape')
  t.equal(config.services.length, 1)
})

t.test('loadConfig expands from process.env when no env is given', async (t) => {
  const name = `GT_TEST_HOST_${process.pid}`
  process.env[name] = 'from-process.internal'
  t.teardown(() => {
    delete process.env[name]
  })
  const { file } = writeConfig(`services:\n  - name: a\n    probe: tcp\n    address: \${${name}}:9\n`)
  const config = await loadConfig(file, PROBE_KINDS)
  t.equal(config.services[0]!.address, 'from-process.internal:9')
})

t.test('every shipped config/*.yml validates', async (t) => {
  const dir = join(ROOT, 'config')
  const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f))
  t.ok(files.length >= 1, 'there are shipped configs')
  for (const name of files) {
    const config = await loadConfig(join(dir, name), PROBE_KINDS, {})
    t.ok(config.services.length > 0, `${name}: has services`)
    for (const s of config.services) t.ok(s.timeout > 0 && (s.interval !== undefined || s.schedule !== undefined), `${name}: ${s.name} has a cadence`)
  }
})

t.test('config/local.yml loads with its values', async (t) => {
  const config = await loadConfig(join(ROOT, 'config', 'local.yml'), PROBE_KINDS, {})
  t.same(config.defaults, { interval: 15_000, timeout: 3_000 })
  t.equal(config.environment, 'development')
  t.same(config.gates, { min_ready_ratio: 0.75, env: ['placeholder', 'missing'], migrations: ['pending', 'failed', 'unknown', 'branched'] }, 'development: weak values are not gated')
  t.same(
    config.services.map((s) => [s.name, s.group, s.probe]),
    [
      ['postgres', 'infrastructure', 'postgres'],
      ['redis', 'infrastructure', 'redis'],
      ['rabbitmq', 'infrastructure', 'rabbitmq'],
      ['groundtruth', 'self', 'http'],
    ],
  )
  const [postgres, redis] = config.services
  t.equal(postgres!.critical, true)
  t.equal(postgres!.url, 'postgres://postgres@127.0.0.1:5432/postgres', '${DATABASE_URL:-...} default applies')
  t.same(redis!.expect, { role: 'master', max_latency: 250 })
  const withEnv = await loadConfig(join(ROOT, 'config', 'local.yml'), PROBE_KINDS, { REDIS_URL: 'redis://10.0.0.9:6380' })
  t.equal(withEnv.services[1]!.url, 'redis://10.0.0.9:6380', 'the environment overrides it')
})

t.test("a kind's service schema is built once and serves every service of the kind, each parsed on its own", async (t) => {
  // zod compiles a parser per schema object at its first parse: one per service made 10,000 services take seconds.
  const http = PROBE_KINDS.get('http')!
  t.equal(serviceSchema(http), serviceSchema(http), 'the same schema object for the same kind')
  t.not(serviceSchema(http), serviceSchema(PROBE_KINDS.get('tcp')!), 'another kind has its own')
  const config = parseConfig(
    `services:
  - { name: a, group: g, probe: http, url: "http://127.0.0.1:1/a", interval: 5s }
  - { name: b, group: g, probe: http, url: "http://127.0.0.1:1/b", expect: { status: [204] } }
`,
    'shared.yml',
    PROBE_KINDS,
    {},
  )
  t.same(config.services.map((s) => [s.name, s.interval, (s as { url?: string }).url]), [['a', 5000, 'http://127.0.0.1:1/a'], ['b', 30_000, 'http://127.0.0.1:1/b']], 'nothing of one service leaks into the next')
  t.throws(
    () => parseConfig(`services:\n  - { name: a, group: g, probe: http, url: "http://127.0.0.1:1/a" }\n  - { name: c, group: g, probe: http, url: "http://127.0.0.1:1/c", interval: 5s, schedule: "* * * * *" }\n`, 'both.yml', PROBE_KINDS, {}),
    /services\[1\]\.schedule: expected either "interval" or "schedule", not both/,
    "the shared schema's refinement still names the service it failed on",
  )
})
