// The client libraries of pg, ioredis and amqplib are loaded by the first run
// of a probe of their kind, not when the registry or the CLI is imported
// (probes/lib/lazy.ts: memory). Each case is a fresh child process, since
// this one may have loaded them already; it reports which of the three sit in
// Node's CommonJS module cache (they are CommonJS packages: an ESM import()
// of them lands there too). A control case imports them explicitly, so a
// detection that sees nothing cannot pass for "not loaded".
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import t from 'tap'
import { isDatabaseError, loadPg } from '../../probes/postgres/connect.js'
import { lazy } from '../../probes/lib/lazy.js'
import { CLI, ROOT, childEnv } from '../helpers/child.js'

const LIBRARIES = ['pg', 'ioredis', 'amqplib'] as const
type Library = (typeof LIBRARIES)[number]

const SERVERS = {
  postgres: 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable',
  redis: 'redis://127.0.0.1:6379/0',
  rabbitmq: 'amqp://guest:guest@127.0.0.1:5672/',
}

// The child's program, as ESM evaluated with the working directory at the
// repository root (so bare specifiers resolve from its node_modules). It
// prints one line: `RESULT <json>`.
const CHILD = `
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
const [mode, root, configFile] = process.argv.slice(1)
const from = (path) => import(pathToFileURL(root + path).href)
const cache = createRequire(root + 'package.json').cache
const LIBRARIES = ${JSON.stringify(LIBRARIES)}
const loaded = () => LIBRARIES.filter((name) => Object.keys(cache).some((key) => key.includes('/node_modules/' + name + '/')))

const report = {}
const { PROBE_KINDS } = await from('probes/index.ts')
const { main } = await from('src/cli.ts')
const { parseConfig } = await from('src/config/load.ts')
const { runProbe } = await from('src/runner.ts')
const out = []
const io = { stdout: (t) => out.push(t), stderr: (t) => out.push(t), isTTY: false, cwd: root, env: {} }
report.validate = { code: await main(['validate', '--config', configFile], io), output: out.join('') }
report.kinds = [...PROBE_KINDS.keys()].sort()
report.afterValidate = loaded()

if (mode === 'control') {
  for (const name of LIBRARIES) await import(name)
  report.afterImport = loaded()
}
if (mode === 'runs') {
  const servers = JSON.parse(process.env.LAZY_SERVERS)
  report.runs = []
  for (const [kind, url] of Object.entries(servers)) {
    const yaml = 'services:\\n  - { name: svc, probe: ' + kind + ', url: "' + url + '", timeout: 5s }\\n'
    const config = parseConfig(yaml, 'lazy.yml', PROBE_KINDS, {})
    const result = await runProbe(config.services[0], config.secrets)
    report.runs.push({ kind, ok: result.ok, error: result.error, loaded: loaded() })
  }
}
console.log('RESULT ' + JSON.stringify(report))
`

interface Report {
  validate: { code: number; output: string }
  kinds: string[]
  afterValidate: Library[]
  afterImport?: Library[]
  runs?: { kind: keyof typeof SERVERS; ok: boolean; error?: string; loaded: Library[] }[]
}

const dir = mkdtempSync(join(tmpdir(), 'gt-lazy-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const configFile = join(dir, 'groundtruth.yml')
writeFileSync(
  configFile,
  [
    'services:',
    '  - { name: web, probe: http, url: "http://127.0.0.1:1/health" }',
    '  - { name: socket, probe: tcp, address: "127.0.0.1:1" }',
    '',
  ].join('\n'),
)

/** Runs the child in this mode with the loader the CLI tests use (CLI without its script). */
function child(mode: 'registry' | 'control' | 'runs'): Report {
  const loader = CLI.slice(0, -1)
  const res = spawnSync(process.execPath, [...loader, '--input-type=module', '--eval', CHILD, mode, `${ROOT}/`, configFile], {
    cwd: ROOT,
    env: childEnv({ LAZY_SERVERS: JSON.stringify(SERVERS) }),
    encoding: 'utf8',
    timeout: 60_000,
  })
  const line = res.stdout.split('\n').find((l) => l.startsWith('RESULT '))
  if (res.status !== 0 || !line) throw new Error(`child (${mode}) exited ${res.status}:\n${res.stdout}\n${res.stderr}`)
  return JSON.parse(line.slice('RESULT '.length)) as Report
}

t.test('importing the registry and the CLI, and validating an http/tcp config, loads none of them', async (t) => {
  const report = child('registry')
  t.equal(report.validate.code, 0, report.validate.output)
  t.ok(['postgres', 'redis', 'rabbitmq'].every((kind) => report.kinds.includes(kind)), 'the kinds are registered all the same')
  t.same(report.afterValidate, [])
})

t.test('control: the detection sees each library once it is imported', async (t) => {
  const report = child('control')
  t.same(report.afterValidate, [], 'none before')
  t.same(report.afterImport, [...LIBRARIES], 'all three after an explicit import')
})

t.test('one run of a kind against the real server loads its library, and only its', async (t) => {
  const report = child('runs')
  t.same(report.afterValidate, [])
  t.same(
    report.runs?.map(({ kind, ok, error }) => ({ kind, ok, error })),
    [
      { kind: 'postgres', ok: true, error: undefined },
      { kind: 'redis', ok: true, error: undefined },
      { kind: 'rabbitmq', ok: true, error: undefined },
    ],
  )
  t.same(
    report.runs?.map((r) => r.loaded),
    [['pg'], ['pg', 'ioredis'], ['pg', 'ioredis', 'amqplib']],
  )
})

t.test('lazy(): one shared load, its value once arrived; a failed load is tried again', async (t) => {
  let calls = 0
  const load = lazy(async () => ({ n: ++calls }))
  t.equal(load.loaded(), undefined)
  const [a, b] = await Promise.all([load(), load()])
  t.equal(calls, 1)
  t.equal(a, b)
  t.equal(load.loaded(), a)
  t.equal(await load(), a)

  let attempts = 0
  const flaky = lazy(async () => {
    if (++attempts === 1) throw new Error('first')
    return 'second'
  })
  await t.rejects(flaky(), { message: 'first' })
  t.equal(flaky.loaded(), undefined)
  t.equal(await flaky(), 'second')
  t.equal(attempts, 2)
})

t.test('isDatabaseError: pg\'s class whoever loaded pg; other errors are not', async (t) => {
  // This process imported pg itself (above), before any postgres run.
  t.equal(loadPg.loaded(), undefined, 'no run has loaded it')
  t.equal(isDatabaseError(new pg.DatabaseError('x', 0, 'error')), true)
  t.equal(isDatabaseError(new Error('x')), false)
  const driver = await loadPg()
  t.equal(driver, pg, 'the probe loads the very module an import of pg gives')
  t.equal(isDatabaseError(new pg.DatabaseError('x', 0, 'error')), true)
  t.equal(isDatabaseError({ code: '57014' }), false)
})
