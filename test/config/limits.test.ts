// Issue 13 item 7: inputs that once ran out of memory, hung, or exited 3
// ("internal error") are config errors (exit 2) with a clear sentence, the
// key path where there is one, and never the value at fault.
import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { main } from '../../src/cli.js'
import { ConfigError } from '../../src/config/errors.js'
import { loadConfig, MAX_CONFIG_BYTES, MAX_DEPTH, parseConfig } from '../../src/config/load.js'
import { writeConfig } from '../helpers/config.js'
import { loadFailure } from '../helpers/config-problems.js'
import { PROBE_KINDS } from '../../probes/index.js'
import { captureIo as capture } from '../helpers/io.js'


/** `validate` in-process: its exit code and stderr. */
async function validate(yaml: string): Promise<{ code: number; err: string; file: string }> {
  const { dir, file } = writeConfig(yaml)
  const io = capture(dir)
  const code = await main(['validate', '--config', file], io)
  return { code, err: io.err, file }
}

const LAUGHS = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]', ...'bcdefghi'.split('').map((x, i) => `${x}: &${x} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`)].join('\n') + '\n'

t.test('a YAML alias bomb exits 2, not 3, and fast', async (t) => {
  const started = performance.now()
  const { code, err, file } = await validate(LAUGHS)
  t.equal(code, 2, err)
  t.match(err, /^groundtruth: invalid configuration\n/)
  t.ok(err.includes(`${file}: the aliases (*name) nest too deeply into one another (a YAML alias bomb)`), err)
  t.notMatch(err, /internal error/)
  t.ok(performance.now() - started < 5_000, 'refused without expanding it')
})

t.test('an alias with no anchor exits 2 naming its key path', async (t) => {
  const { code, err, file } = await validate(`services:\n  - name: a\n    probe: tcp\n    address: h:1\n    depends_on: *deps\n`)
  t.equal(code, 2, err)
  t.ok(err.includes(`${file}:5:17: services[0].depends_on: the alias *deps names no anchor; expected an anchor &deps before it in the file`), err)
})

t.test('more aliases than allowed are refused at the first one too many', async (t) => {
  const yaml = `x: &x 1\nservices:\n${Array.from({ length: 101 }, (_, i) => `  - { name: s${i}, probe: tcp, address: h:1, failure_threshold: *x }`).join('\n')}\n`
  const { error } = await loadFailure(yaml)
  t.ok(error.problems.some((p) => p.path === 'services[100].failure_threshold' && /more than 100 aliases/.test(p.message)), error.message)
})

t.test(`a file over ${MAX_CONFIG_BYTES} bytes is refused without being read whole`, async (t) => {
  const { dir, file } = writeConfig('')
  // A real services list, so that only its size is wrong.
  const entry = '  - { name: s, probe: tcp, address: "h:1" }\n'
  writeFileSync(file, `services:\n${entry.repeat(Math.ceil((MAX_CONFIG_BYTES + 1) / entry.length))}`)
  const io = capture(dir)
  const started = performance.now()
  t.equal(await main(['validate', '--config', file], io), 2)
  t.equal(io.err, `groundtruth: invalid configuration\n${file}: the file is larger than 4 MiB; expected a config of at most ${MAX_CONFIG_BYTES} bytes\n`)
  t.ok(performance.now() - started < 2_000, 'refused before parsing')
  t.throws(() => parseConfig('x'.repeat(MAX_CONFIG_BYTES + 1), 'big.yml', PROBE_KINDS, {}), ConfigError, 'a text given directly too')
})

t.test('a FIFO as --config is refused at once instead of hanging', async (t) => {
  const { dir } = writeConfig('')
  const fifo = join(dir, 'config.fifo')
  const made = spawnSync('mkfifo', [fifo])
  if (made.error || made.status !== 0) {
    t.pass('mkfifo is not available: nothing to test')
    return
  }
  const run = async () => {
    const started = performance.now()
    const io = capture(dir)
    const code = await main(['validate', '--config', fifo], io)
    return { code, err: io.err, ms: performance.now() - started }
  }
  const hang = new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 5_000).unref())
  const outcome = await Promise.race([run(), hang])
  if (outcome === 'hung') return t.fail('validate hung on a FIFO')
  t.equal(outcome.code, 2)
  t.equal(outcome.err, `groundtruth: invalid configuration\n${fifo}: not a regular file (a named pipe); expected a YAML file\n`)
})

t.test('a directory as --config is refused', async (t) => {
  const { dir } = writeConfig('')
  const sub = join(dir, 'conf.d')
  mkdirSync(sub)
  const error = await loadConfig(sub, PROBE_KINDS, {}).catch((e: unknown) => e)
  t.ok(error instanceof ConfigError)
  t.equal((error as Error).message, `${sub}: not a regular file (a directory); expected a YAML file`)
})

// Six shapes of nesting; each is refused by key path (the parser alone ran out of stack on some and named none).
const N = 5_000
const deep: { name: string; yaml: string; path: RegExp }[] = [
  { name: 'flow lists', yaml: `services: ${'['.repeat(N)}${']'.repeat(N)}\n`, path: /^services(\[0\]){31}$/ },
  { name: 'flow mappings', yaml: `services: ${'{a: '.repeat(N)}1${'}'.repeat(N)}\n`, path: /^services(\.a){31}$/ },
  { name: 'block lists', yaml: `services:\n${Array.from({ length: 1_000 }, (_, i) => `${' '.repeat(i + 2)}-`).join('\n')} x\n`, path: /^services(\[0\]){31}$/ },
  { name: 'block mappings', yaml: `services:\n${Array.from({ length: 1_000 }, (_, i) => `${' '.repeat(i + 2)}k:`).join('\n')} 1\n`, path: /^services(\.k){31}$/ },
  { name: 'compact lists', yaml: `services: \n  ${'- '.repeat(N)}x\n`, path: /^services(\[0\]){31}$/ },
  {
    name: 'an expected JSON body',
    yaml: `services:\n  - name: api\n    probe: http\n    url: http://api.internal/\n    expect:\n      json: ${'{a: ['.repeat(N)}1${']}'.repeat(N)}\n`,
    path: /^services\[0\]\.expect\.json(\.a\[0\]){14}$/,
  },
]

for (const d of deep) {
  t.test(`deep nesting (${d.name}) is an error naming the key path`, async (t) => {
    const { code, err, file } = await validate(d.yaml)
    t.equal(code, 2, err.slice(0, 500))
    const lines = err.trim().split('\n').slice(1)
    t.equal(lines.length, 1, 'one problem, not a flood')
    const m = /^(.*?):(\d+):(\d+): (\S+): (.*)$/.exec(lines[0] ?? '')
    t.ok(m, lines[0]?.slice(0, 300) ?? 'no problem line')
    t.equal(m?.[1], file)
    t.match(m?.[4], d.path, 'the key path down to the level that is too deep')
    t.equal(m?.[5], `nested more than ${MAX_DEPTH} levels deep; expected at most ${MAX_DEPTH} levels of mappings and lists`)
  })
}

t.test('header names and values are checked at load', async (t) => {
  const http = (headers: string) => `services:\n  - name: api\n    probe: http\n    url: http://api.internal/\n    headers:\n${headers}`
  const crlf = await loadFailure(http(`      X-Trace: "abc\\r\\nX-Injected: 1"\n`))
  t.same(
    crlf.error.problems.map((p) => [p.path, p.message]),
    [['services[0].headers.X-Trace', 'expected a header value without line breaks or control characters']],
  )
  const space = await loadFailure(http(`      "X Trace": abc\n`))
  t.same(
    space.error.problems.map((p) => [p.path, p.message]),
    [['services[0].headers.X Trace', "expected a header name of letters, digits and !#$%&'*+-.^_`|~ (no spaces or other separators)"]],
  )
  const colon = await loadFailure(http(`      "X-Trace:": abc\n`))
  t.equal(colon.error.problems[0]?.path, 'services[0].headers.X-Trace:')
  const fine = parseConfig(http(`      X-Trace: "a b\\tc"\n      Authorization: Bearer abc\n`), 'f.yml', PROBE_KINDS, {})
  t.same(fine.services[0]!.headers, { 'X-Trace': 'a b\tc', Authorization: 'Bearer abc' }, 'spaces and tabs inside a value are fine')
})

t.test('service names are at most 128 characters, and the name is not echoed', async (t) => {
  const long = 'a'.repeat(10_000)
  const { error } = await loadFailure(`services:\n  - name: ${long}\n    probe: tcp\n    address: h:1\n`)
  t.same(error.problems.map((p) => [p.path, p.message]), [['services[0].name', 'expected a name of at most 128 characters']])
  t.notOk(error.message.includes('a'.repeat(129)))
  t.equal(parseConfig(`services:\n  - name: ${'a'.repeat(128)}\n    probe: tcp\n    address: h:1\n`, 'f.yml', PROBE_KINDS, {}).services[0]!.name.length, 128)
  const dep = await loadFailure(`services:\n  - name: a\n    probe: tcp\n    address: h:1\n    depends_on: [${long}]\n`)
  t.same(dep.error.problems.map((p) => p.path), ['services[0].depends_on[0]'])
  t.notOk(dep.error.message.includes('a'.repeat(129)))
})

t.test('a URL without a host is refused, not read as localhost', async (t) => {
  const urls: [string, string][] = [
    ['redis', 'redis:///0'],
    ['redis', 'rediss:///0'],
    ['rabbitmq', 'amqp:///vhost'],
    ['postgres', 'postgres:///db'],
  ]
  for (const [probe, url] of urls) {
    const { error } = await loadFailure(`services:\n  - name: a\n    probe: ${probe}\n    url: "${url}"\n`)
    t.same(error.problems.map((p) => p.path), ['services[0].url'], url)
    t.match(error.problems[0]?.message, /^expected a host in the URL, as in \w+:\/\/host:port$/, url)
  }
})

// A literal secret (not from ${VAR}, so no mask knows it) put under the wrong key.
const LITERAL = 'Lit3ral-s3cret-9f8e7d'
const misplaced: { name: string; yaml: string; path: string }[] = [
  { name: 'as a timeout', yaml: `services:\n  - name: a\n    probe: tcp\n    address: h:1\n    timeout: ${LITERAL}\n`, path: 'services[0].timeout' },
  { name: 'as a default interval', yaml: `defaults: { interval: ${LITERAL} }\n`, path: 'defaults.interval' },
  { name: 'as the probe kind', yaml: `services:\n  - name: a\n    probe: ${LITERAL}\n`, path: 'services[0].probe' },
  { name: 'as a regex', yaml: `services:\n  - name: a\n    probe: http\n    url: http://h/\n    expect: { body_matches: "(${LITERAL}" }\n`, path: 'services[0].expect.body_matches' },
  { name: 'as a dependency', yaml: `services:\n  - name: a\n    probe: tcp\n    address: h:1\n    depends_on: [${LITERAL}]\n`, path: 'services[0].depends_on[0]' },
  { name: 'as a tcp address', yaml: `services:\n  - name: a\n    probe: tcp\n    address: ${LITERAL}\n`, path: 'services[0].address' },
  { name: 'as a duplicated name', yaml: `services:\n  - { name: "${LITERAL}", probe: tcp, address: "h:1" }\n  - { name: "${LITERAL}", probe: tcp, address: "h:1" }\n`, path: 'services[1].name' },
  { name: 'as a postgres schema', yaml: `services:\n  - name: a\n    probe: postgres\n    url: postgres://db.internal/app\n    expect: { schemas: ["a.b.${LITERAL}"] }\n`, path: 'services[0].expect.schemas[0]' },
  { name: 'as a cron schedule', yaml: `services:\n  - name: a\n    probe: tcp\n    address: h:1\n    schedule: "${LITERAL} * * * *"\n`, path: 'services[0].schedule' },
]

for (const m of misplaced) {
  t.test(`a value under the wrong key is never echoed: ${m.name}`, async (t) => {
    const { error } = await loadFailure(m.yaml)
    t.ok(error.problems.some((p) => p.path === m.path), `a problem at ${m.path}: ${error.message}`)
    t.notOk(error.message.includes(LITERAL), error.message)
    t.notOk(error.message.includes(LITERAL.slice(0, 8)), 'not even its start')
  })
}
