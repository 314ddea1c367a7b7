// The env audit as users meet it: gauges on /metrics (linted by promtool),
// findings in /status, check and report, and no value in any output.
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { rmSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { main, type Io } from '../../src/cli.js'
import { loadConfig } from '../../src/config/load.js'
import { Daemon } from '../../src/daemon.js'
import { createLogger } from '../../src/log.js'
import { writeConfig } from '../helpers/config.js'
import { find, parseExposition, value } from '../helpers/metrics.js'
import { httpServer } from '../helpers/servers.js'
import { PROBE_KINDS } from '../../probes/index.js'

const unique = () => randomBytes(12).toString('hex')
// Real-looking values nobody should ever see again: they must not leave the process.
const LIVE_KEY = `sk_live_${unique()}${unique()}`
const DB_PASSWORD = `Pw-${unique()}`
const PROCESS_TOKEN = `tok_${unique()}${unique()}`
const PLANTED = [LIVE_KEY, DB_PASSWORD, PROCESS_TOKEN]

function project() {
  const { dir, file } = writeConfig('')
  writeFileSync(
    join(dir, '.env'),
    [
      '# the seed reports, as a .env',
      'ANTHROPIC_API_KEY=placeholder_replace_with_real_key',
      'OPENAI_API_KEY=your-openai-api-key-here',
      `STRIPE_SECRET_KEY=${LIVE_KEY}`,
      'JWT_SECRET=dev-secret-change-in-production-min-32-chars-required',
      'ENCRYPTION_KEY=0123456789abcdef0123456789abcdef',
      `DATABASE_PASSWORD=${DB_PASSWORD}`,
      'NODE_ENV=production',
      'LOG_LEVEL=info',
      'LOG_LEVEL=debug',
    ].join('\n') + '\n',
  )
  writeFileSync(join(dir, '.env.example'), ['OPENAI_API_KEY=', 'STRIPE_SECRET_KEY=', 'SENTRY_DSN=', 'LOG_LEVEL=info'].join('\n') + '\n')
  return { dir, file }
}

async function configFor(t: Test, extraEnv = '') {
  const api = await httpServer((_req, res) => res.end('ok'))
  t.teardown(api.close)
  const { dir, file } = project()
  writeFileSync(
    file,
    `
environment: production
services:
  - { name: api, probe: http, url: "http://127.0.0.1:${api.port}/" }
env:
  - { file: .env, example: .env.example, required: [REDIS_URL] }
  - { source: process, required: [GT_PROCESS_TOKEN, GT_ABSENT_TOKEN] }
${extraEnv}`,
  )
  return { dir, file }
}

t.test('check: the configured N/M line, the findings, and a verdict the audit fails', async (t) => {
  const { file, dir } = await configFor(t)
  let out = ''
  let err = ''
  const io: Io = { stdout: (s) => void (out += s), stderr: (s) => void (err += s), isTTY: false, cwd: dir, env: { GT_PROCESS_TOKEN: PROCESS_TOKEN } }
  t.equal(await main(['check', '--config', file], io), 1, 'every service is ready, but placeholders in production fail the verdict')
  t.match(out, /Environment \.env \(production\): configured 4\/10 \(40%\)/)
  t.match(out, /ANTHROPIC_API_KEY \(line 2\) holds a placeholder: .*\(template_words\)/)
  t.match(out, /missing: REDIS_URL, SENTRY_DSN/)
  t.match(out, /ENCRYPTION_KEY \(line \d+\) is weak: made of runs or repeated characters \(sequential_or_repeated\)/)
  t.match(out, /duplicate: LOG_LEVEL on lines 9, 10; line 10 wins/)
  t.match(out, /Environment process \(production\): configured 1\/2 \(50%\)/)

  out = ''
  t.equal(await main(['check', '--config', file, '--format', 'json'], io), 1)
  const doc = JSON.parse(out)
  t.same(doc.gates.failures, [
    'in .env (production), 2 variables hold a placeholder: ANTHROPIC_API_KEY, OPENAI_API_KEY',
    'in .env (production), 2 variables are missing: REDIS_URL, SENTRY_DSN',
    `in .env (production), 2 variables are weak: ${doc.env[0].variables.filter((v: { state: string }) => v.state === 'weak').map((v: { name: string; rule: string }) => `${v.name} (${v.rule.replace(/_/g, ' ')})`).join(', ')}`,
    'in process (production), 1 variable is missing: GT_ABSENT_TOKEN',
  ])
  t.equal(doc.services[0].ready, true, 'no service needs these variables: the services stay ready')
  const dotenv = doc.env[0]
  t.same(dotenv.counts, { configured: 4, placeholder: 2, missing: 2, weak: 2 })
  t.same([dotenv.configured, dotenv.total], [4, 10])
  const state = Object.fromEntries(dotenv.variables.map((v: { name: string; state: string; rule?: string }) => [v.name, v.rule ? `${v.state}:${v.rule}` : v.state]))
  t.match(state, {
    ANTHROPIC_API_KEY: 'placeholder',
    OPENAI_API_KEY: 'placeholder',
    STRIPE_SECRET_KEY: 'configured',
    ENCRYPTION_KEY: 'weak:sequential_or_repeated',
    REDIS_URL: 'missing',
    SENTRY_DSN: 'missing',
    LOG_LEVEL: 'configured',
  })
  t.match(state.JWT_SECRET, /^(weak:dev_default_secret|placeholder)$/)
  t.same(doc.env[1].variables, [
    { name: 'GT_ABSENT_TOKEN', state: 'missing' },
    { name: 'GT_PROCESS_TOKEN', state: 'configured' },
  ])

  out = ''
  t.equal(await main(['report', '--config', file], io), 0, 'a report is written whatever the verdict')
  t.match(out, /## Environment configuration/)
  t.match(out, /### `\.env` \(production\) — configured 4\/10 \(40%\)/)
  t.match(out, /\| `OPENAI_API_KEY` \| placeholder \|/)
  t.match(out, /- duplicate: LOG_LEVEL on lines 9, 10; line 10 wins/)
  for (const secret of PLANTED) t.notOk((out + err).includes(secret), 'no planted value in any output')
})

t.test('gates: { env: [], migrations: [] } turns the finding gates off', async (t) => {
  const { file, dir } = await configFor(t, 'gates: { env: [], migrations: [] }\n')
  let out = ''
  const io: Io = { stdout: (s) => void (out += s), stderr: () => {}, isTTY: false, cwd: dir, env: { GT_PROCESS_TOKEN: PROCESS_TOKEN } }
  t.equal(await main(['check', '--config', file, '--format', 'json'], io), 0)
  t.same(JSON.parse(out).gates.failures, [])
})

t.test('a healthy HTTP service that needs a placeholder key: up, not ready, cause env, exit 1, the report names both', async (t) => {
  const api = await httpServer((_req, res) => res.end('ok'))
  t.teardown(api.close)
  const { dir, file } = project()
  writeFileSync(
    file,
    `
services:
  - { name: ai, group: backend, probe: http, url: "http://127.0.0.1:${api.port}/", needs_env: [OPENAI_API_KEY, LOG_LEVEL], critical: true }
  - { name: web, group: frontend, probe: http, url: "http://127.0.0.1:${api.port}/", depends_on: [ai] }
env:
  - { file: .env, example: .env.example }
gates: { env: [] }
`,
  )
  let out = ''
  const io: Io = { stdout: (s) => void (out += s), stderr: () => {}, isTTY: false, cwd: dir, env: {} }
  t.equal(await main(['check', '--config', file, '--format', 'json'], io), 1, 'the critical service is not ready, whatever the env gate says')
  const doc = JSON.parse(out)
  const [ai, web] = doc.services
  t.match(ai, { up: true, ready: false, state: 'not_ready' })
  t.same(ai.causes, [
    {
      cause: 'env',
      detail: 'OPENAI_API_KEY holds a placeholder in .env',
      variables: [{ name: 'OPENAI_API_KEY', state: 'placeholder', sources: ['.env'] }],
    },
  ])
  t.same(web.causes.map((c: { cause: string }) => c.cause), ['dependency'], 'what waits on it is not ready either')
  t.same(doc.gates.failures, ['ready ratio 0% is below the gate of 100%', 'critical service ai is not ready: OPENAI_API_KEY holds a placeholder in .env'])
  t.same(doc.findings[0], { concern: 'env', kind: 'placeholder', where: '.env', subject: 'OPENAI_API_KEY', summary: 'OPENAI_API_KEY holds a placeholder in .env', blocks: ['ai', 'web'], gated: false }, 'the finding that blocks most comes first')

  const daemon = await Daemon.create({ load: () => loadConfig(file, PROBE_KINDS, {}), log: createLogger({ level: 'error', write: () => {} }) })
  t.teardown(() => daemon.stop())
  await daemon.startProbing()
  const s = parseExposition(String((await daemon.view().metrics()).text))
  t.equal(value(s, 'groundtruth_service_up', { service: 'ai' }), 1)
  t.equal(value(s, 'groundtruth_service_ready', { service: 'ai' }), 0)
  t.equal(value(s, 'groundtruth_service_not_ready', { service: 'ai', cause: 'env' }), 1)
  t.same(find(s, 'groundtruth_service_not_ready', { service: 'ai', cause: 'down' }), [], 'only the causes that hold are emitted')
  t.equal(value(s, 'groundtruth_service_not_ready', { service: 'web', cause: 'dependency' }), 1)

  out = ''
  t.equal(await main(['report', '--config', file], io), 0)
  t.match(out, /OPENAI_API_KEY/)
  t.match(out, /\bai\b/)
})

t.test('needs_env must name a variable some env source audits', async (t) => {
  const { dir, file } = project()
  writeFileSync(file, `services:\n  - { name: api, probe: tcp, address: "127.0.0.1:1", needs_env: [OPENAI_API_KEY, NOT_ANYWHERE] }\nenv:\n  - { file: .env, required: [REDIS_URL] }\n`)
  let err = ''
  const io: Io = { stdout: () => {}, stderr: (s) => void (err += s), isTTY: false, cwd: dir, env: {} }
  t.equal(await main(['validate', '--config', file], io), 2)
  t.match(err, /services\[0\]\.needs_env\[1\]: NOT_ANYWHERE is audited by no env source: the env sources \(\.env\) do not list it/)
  t.notMatch(err, /needs_env\[0\]/, 'a variable in the .env file is audited')
  writeFileSync(file, `services:\n  - { name: api, probe: tcp, address: "127.0.0.1:1", needs_env: [OPENAI_API_KEY] }\n`)
  err = ''
  t.equal(await main(['validate', '--config', file], io), 2)
  t.match(err, /services\[0\]\.needs_env\[0\]: OPENAI_API_KEY is audited by no env source: there is no `env:` source/)
})

t.test('serve: env gauges on /metrics, findings in /status, a missing file is a finding', async (t) => {
  const { file, dir } = await configFor(t, '  - { file: missing.env }\n')
  const logs: string[] = []
  const daemon = await Daemon.create({ load: () => loadConfig(file, PROBE_KINDS, {}), log: createLogger({ level: 'debug', write: (l) => logs.push(l) }) })
  process.env.GT_PROCESS_TOKEN = PROCESS_TOKEN
  t.teardown(() => void delete process.env.GT_PROCESS_TOKEN)
  const server = await daemon.listen(0, '127.0.0.1')
  t.teardown(() => daemon.stop())
  await daemon.startProbing()
  await daemon.runNow(['env-audit'])
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const text = await (await fetch(`${base}/metrics`)).text()
  const s = parseExposition(text)
  t.equal(value(s, 'groundtruth_env_variable_placeholder', { source: '.env', variable: 'OPENAI_API_KEY' }), 1)
  t.equal(value(s, 'groundtruth_env_variable_placeholder', { source: '.env', variable: 'STRIPE_SECRET_KEY' }), 0)
  t.equal(value(s, 'groundtruth_env_variable_missing', { source: '.env', variable: 'SENTRY_DSN' }), 1)
  t.equal(value(s, 'groundtruth_env_variable_missing', { source: 'process', variable: 'GT_ABSENT_TOKEN' }), 1)
  t.equal(value(s, 'groundtruth_env_variable_missing', { source: 'process', variable: 'GT_PROCESS_TOKEN' }), 0)
  t.equal(value(s, 'groundtruth_env_variable_weak', { source: '.env', variable: 'ENCRYPTION_KEY', rule: 'sequential_or_repeated' }), 1)
  t.same(find(s, 'groundtruth_env_variable_weak', { variable: 'STRIPE_SECRET_KEY' }), [], 'weak is only emitted when 1')
  t.equal(value(s, 'groundtruth_env_variables', { source: '.env', state: 'configured' }), 4)
  t.equal(value(s, 'groundtruth_env_variables', { source: '.env', state: 'weak' }), 2)
  t.equal(value(s, 'groundtruth_env_file_readable', { source: '.env', role: 'env' }), 1)
  t.equal(value(s, 'groundtruth_env_file_readable', { source: '.env', role: 'example' }), 1)
  t.equal(value(s, 'groundtruth_env_file_readable', { source: 'missing.env', role: 'env' }), 0)
  const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' })
  t.equal(lint.status, 0, lint.stdout + lint.stderr)
  t.equal((lint.stdout + lint.stderr).trim(), '')

  const status = await (await fetch(`${base}/status`)).json()
  const missing = status.env.find((f: { source: string }) => f.source === 'missing.env')
  t.match(missing, { readable: false, error: /not found/, total: 0 })
  const page = await (await fetch(`${base}/`)).text()
  t.match(page, /missing\.env could not be read/)
  t.match(logs.join('\n'), /env file unreadable/)

  // The file changes without a reload: the next audit sees it.
  rmSync(join(dir, '.env'))
  await daemon.runNow(['env-audit'])
  const after = parseExposition(await (await fetch(`${base}/metrics`)).text())
  t.equal(value(after, 'groundtruth_env_file_readable', { source: '.env', role: 'env' }), 0)

  const everything = [text, JSON.stringify(status), page, logs.join('\n')].join('\n')
  for (const secret of PLANTED) t.notOk(everything.includes(secret), 'no planted value in /metrics, /status, / or logs')
})
