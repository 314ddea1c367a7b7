// Bad configs: each must be refused with the file, the exact key path, the
// line where the YAML shows it, and what was expected (SPEC §2).
import { join } from 'node:path'
import t from 'tap'
import { ConfigError } from '../../src/config/errors.js'
import { loadConfig } from '../../src/config/load.js'
import { lineOf, loadFailure } from '../helpers/config-problems.js'
import { PROBE_KINDS } from '../../probes/index.js'

/** Every registered kind, in registration order, as the message lists them. */
const KNOWN_KINDS = [...PROBE_KINDS.keys()].join(', ')

interface BadCase {
  name: string
  yaml: string
  env?: Record<string, string>
  /** Exact key path of the (first) problem; '' for problems of the file as a whole. */
  path: string
  /** Text of the line the problem must point at; undefined when no line is given. */
  at: string | undefined
  /** What was expected, as the user reads it. */
  message: RegExp
  /** Problems in total, when not exactly one. */
  count?: number
}

const TCP = (name: string, extra = '') => `  - name: ${name}\n    probe: tcp\n    address: db.internal:5432\n${extra}`

const cases: BadCase[] = [
  {
    name: 'a failure threshold of 0',
    yaml: `services:\n${TCP('a', '    failure_threshold: 0\n')}`,
    path: 'services[0].failure_threshold',
    at: 'failure_threshold',
    message: /expected number to be >=1/i,
  },
  {
    name: 'an unknown migration finding kind in fail_on',
    yaml: `services:\n  - name: db\n    probe: postgres\n    url: postgres://127.0.0.1/test\n    migrations: { tool: prisma, dir: m, fail_on: [pending, drifted] }\n`,
    path: 'services[0].migrations.fail_on[1]',
    at: 'migrations',
    message: /expected one of "pending"\|"failed"\|"unknown"\|"branched"/,
  },
  {
    name: 'an unknown env finding kind in gates',
    yaml: `gates: { env: [placeholder, ugly] }\n`,
    path: 'gates.env[1]',
    at: 'gates',
    message: /expected one of "placeholder"\|"missing"\|"weak"/,
  },
  {
    name: 'unknown top-level key',
    yaml: `defaults: { interval: 30s }\nservces:\n${TCP('a')}`,
    path: 'servces',
    at: 'servces:',
    message: /^unknown key$/,
    count: 1,
  },
  {
    name: 'unknown key in defaults',
    yaml: `defaults:\n  interval: 30s\n  jitter: 5s\n`,
    path: 'defaults.jitter',
    at: 'jitter',
    message: /^unknown key$/,
  },
  {
    name: 'unknown service key',
    yaml: `services:\n${TCP('a')}${TCP('b', '    adress: db.internal:5432\n')}`,
    path: 'services[1].adress',
    at: 'adress',
    message: /^unknown key$/,
  },
  {
    name: 'unknown key inside expect',
    yaml: `services:\n  - name: api\n    probe: http\n    url: http://api.internal/health\n    expect:\n      status: [200]\n      stauts: [201]\n`,
    path: 'services[0].expect.stauts',
    at: 'stauts',
    message: /^unknown key$/,
  },
  {
    name: 'string where an integer status is expected',
    yaml: `services:\n${TCP('a')}  - name: api\n    probe: http\n    url: http://api.internal/health\n    expect:\n      status: ["200"]\n`,
    path: 'services[1].expect.status[0]',
    at: 'status:',
    message: /expected number, received string/,
  },
  {
    name: 'status code out of range',
    yaml: `services:\n  - name: api\n    probe: http\n    url: http://api.internal/health\n    expect: { status: [200, 42] }\n`,
    path: 'services[0].expect.status[1]',
    at: 'expect:',
    message: />=100/,
  },
  {
    name: 'string where an integer is expected at top level',
    yaml: `concurrency: eight\n`,
    path: 'concurrency',
    at: 'concurrency',
    message: /expected number, received string/,
  },
  {
    name: 'number where a duration is expected',
    yaml: `defaults:\n  interval: 30s\n  timeout: 5\n`,
    path: 'defaults.timeout',
    at: 'timeout: 5',
    message: /^expected a duration such as "500ms", "30s" or "5m"$/,
  },
  {
    name: 'duration written in words',
    yaml: `defaults:\n  interval: 5 seconds\n`,
    path: 'defaults.interval',
    at: '5 seconds',
    message: /^expected a duration such as "500ms", "30s" or "5m"$/,
  },
  {
    name: 'zero duration',
    yaml: `services:\n${TCP('a', '    timeout: 0s\n')}`,
    path: 'services[0].timeout',
    at: '0s',
    message: /^expected a duration such as "500ms", "30s" or "5m"$/,
  },
  {
    name: 'duration past what a timer can hold',
    yaml: `services:\n${TCP('a', '    interval: 30d\n')}`,
    path: 'services[0].interval',
    at: '30d',
    message: /^expected a duration of at most 24d$/,
  },
  {
    name: 'bad cron schedule',
    yaml: `services:\n${TCP('a', '    schedule: "61 * * * *"\n')}`,
    path: 'services[0].schedule',
    at: 'schedule',
    message: /^expected a cron expression such as "\*\/5 \* \* \* \*" \(.*minute/,
  },
  {
    name: 'cron schedule with too few fields',
    yaml: `services:\n${TCP('a', '    schedule: "every day"\n')}`,
    path: 'services[0].schedule',
    at: 'schedule',
    message: /^expected a cron expression/,
  },
  {
    name: 'interval and schedule both set',
    yaml: `services:\n${TCP('a', '    interval: 1m\n    schedule: "*/5 * * * *"\n')}`,
    path: 'services[0].schedule',
    at: 'schedule',
    message: /^expected either "interval" or "schedule", not both$/,
  },
  {
    name: 'timeout longer than interval',
    yaml: `services:\n${TCP('a', '    interval: 2s\n    timeout: 3s\n')}`,
    path: 'services[0].timeout',
    at: 'timeout: 3s',
    message: /^expected a timeout no longer than the interval \(2s\)/,
  },
  {
    name: 'upper-case service name',
    yaml: `services:\n${TCP('Api')}`,
    path: 'services[0].name',
    at: 'Api',
    message: /^expected a name of lower-case letters, digits, "_" and "-"$/,
  },
  {
    name: 'duplicate service names name the first index',
    yaml: `services:\n${TCP('web')}${TCP('db')}  - name: web   # again\n    probe: http\n    url: http://web.internal/\n`,
    path: 'services[2].name',
    at: '# again',
    message: /^duplicate service name "web" \(first defined at services\[0\]\); expected unique names$/,
  },
  {
    name: 'unknown depends_on target',
    yaml: `services:\n${TCP('a')}${TCP('b')}${TCP('c', '    depends_on: [cache, a]\n')}`,
    path: 'services[2].depends_on[0]',
    at: 'depends_on',
    message: /^unknown service "cache"; expected one of: a, b, c$/,
  },
  {
    name: 'self dependency',
    yaml: `services:\n${TCP('a')}${TCP('b', '    depends_on: [a, b]\n')}`,
    path: 'services[1].depends_on[1]',
    at: 'depends_on',
    message: /^a service cannot depend on itself$/,
  },
  {
    name: 'dependency cycle of three',
    yaml: `services:\n${TCP('a', '    depends_on: [b]   # a\n')}${TCP('b', '    depends_on: [c]\n')}${TCP('c', '    depends_on: [a]\n')}`,
    path: 'services[0].depends_on[0]',
    at: '# a',
    message: /^dependency cycle: a -> b -> c -> a; expected depends_on to form no loop$/,
  },
  {
    name: 'undefined ${VAR} without default names the key that used it',
    yaml: `services:\n  - name: api\n    probe: http\n    url: http://api.internal/\n    headers:\n      Authorization: "Bearer \${API_TOKEN}"\n`,
    env: { API_TOKEN_OLD: 'x' },
    path: 'services[0].headers.Authorization',
    at: 'Authorization',
    message: /^environment variable API_TOKEN is not set and \$\{API_TOKEN\} has no default/,
  },
  {
    name: 'unknown probe kind lists the known kinds',
    yaml: `services:\n  - name: db\n    probe: beanstalkd\n`,
    path: 'services[0].probe',
    at: 'beanstalkd',
    message: new RegExp(`^unknown probe kind "beanstalkd"; expected one of: ${KNOWN_KINDS}$`),
  },
  {
    name: 'missing probe is reported at the service',
    yaml: `services:\n  - name: db\n    group: infrastructure\n`,
    path: 'services[0].probe',
    at: 'name: db',
    message: new RegExp(`^missing; expected one of: ${KNOWN_KINDS}$`),
  },
  {
    name: 'missing url for http',
    yaml: `services:\n  - name: api\n    probe: http\n`,
    path: 'services[0].url',
    at: 'name: api',
    message: /^missing; expected string$/,
  },
  {
    name: 'invalid URL scheme',
    yaml: `services:\n  - name: api\n    probe: http\n    url: ftp://files.internal/health\n`,
    path: 'services[0].url',
    at: 'ftp://',
    message: /^expected a URL starting with http:\/\/ or https:\/\/$/,
  },
  {
    name: 'URL that is not one',
    yaml: `services:\n  - name: api\n    probe: http\n    url: api.internal/health\n`,
    path: 'services[0].url',
    at: 'api.internal/health',
    message: /^expected a URL starting with http:\/\/ or https:\/\/$/,
  },
  {
    name: 'tcp address without a port',
    yaml: `services:\n  - name: db\n    probe: tcp\n    address: db.internal\n`,
    path: 'services[0].address',
    at: 'address',
    message: /^expected "host:port" with a port from 1 to 65535$/,
  },
  {
    name: 'tcp address with a port out of range',
    yaml: `services:\n  - name: db\n    probe: tcp\n    address: db.internal:65536\n`,
    path: 'services[0].address',
    at: 'address',
    message: /^expected "host:port" with a port from 1 to 65535$/,
  },
  {
    name: 'invalid regex in body_matches',
    yaml: `services:\n  - name: api\n    probe: http\n    url: http://api.internal/\n    expect:\n      body_matches: "status: (ok"\n`,
    path: 'services[0].expect.body_matches',
    at: 'body_matches',
    message: /^expected a valid regular expression in RE2 syntax \(no backreferences or lookaround\): missing closing \)$/,
  },
  {
    name: 'unreadable tls.ca_file',
    yaml: `services:\n  - name: api\n    probe: http\n    url: https://api.internal/\n    tls:\n      ca_file: /nonexistent/groundtruth/ca.pem\n`,
    path: 'services[0].tls.ca_file',
    at: 'ca_file',
    message: /^expected a readable file$/,
  },
  {
    name: 'min_ready_ratio above 1',
    yaml: `gates:\n  min_ready_ratio: 1.5\n`,
    path: 'gates.min_ready_ratio',
    at: '1.5',
    message: /expected number to be <=1/,
  },
  {
    name: 'env source with neither file nor process',
    yaml: `env:\n  - required: [OPENAI_API_KEY]\n`,
    path: 'env[0]',
    at: 'required',
    message: /^expected exactly one of "file" or "source: process"$/,
  },
  {
    name: 'invalid YAML syntax gives the line',
    yaml: `defaults: { interval: 30s }\nservices:\n  - name: a\n    probe: tcp\n   address: db.internal:5432\n`,
    path: '',
    at: '   address',
    message: /^invalid YAML: /,
  },
  {
    name: 'tabs as YAML indentation',
    yaml: `services:\n  - name: a\n    probe: tcp\n\taddress: db.internal:5432\n`,
    path: '',
    at: '\taddress',
    message: /^invalid YAML: Tabs are not allowed/,
  },
  {
    name: 'duplicate YAML keys',
    yaml: `services:\n  - name: a\n    probe: tcp\n    address: db.internal:5432\n    address: db.internal:5433\n`,
    path: '',
    at: '5433',
    message: /^invalid YAML: Map keys must be unique/,
  },
  {
    name: 'services not a list',
    yaml: `services:\n  name: a\n  probe: tcp\n`,
    path: 'services',
    at: 'services:',
    message: /expected array, received object/,
  },
  {
    name: 'a service that is not a mapping',
    yaml: `services:\n  - api\n`,
    path: 'services[0]',
    at: '- api',
    message: /^expected a mapping with at least "name" and "probe"$/,
  },
  {
    name: 'depends_on not a list',
    yaml: `services:\n${TCP('a')}${TCP('b', '    depends_on: a\n')}`,
    path: 'services[1].depends_on',
    at: 'depends_on',
    message: /expected array, received string/,
  },
]

for (const c of cases) {
  t.test(c.name, async (t) => {
    const { file, error } = await loadFailure(c.yaml, c.env)
    t.equal(error.name, 'ConfigError')
    t.equal(error.file, file, 'the error names the file')
    t.equal(error.problems.length, c.count ?? 1, 'problem count')
    const [p] = error.problems
    t.equal(p?.path, c.path, 'key path')
    const line = c.at === undefined ? undefined : lineOf(c.yaml, c.at)
    t.equal(p?.line, line, 'line')
    t.match(p?.message, c.message, 'what was expected')
    // The message the user reads: `FILE:LINE:COL: PATH: MESSAGE`.
    const first = error.message.split('\n')[0]!
    t.ok(first.startsWith(line ? `${file}:${line}:` : `${file}: `), `"${first}" starts with the file and line`)
    if (c.path) t.ok(first.includes(`: ${c.path}: `), `"${first}" names ${c.path}`)
  })
}

t.test('a missing file is a ConfigError naming it, with no line', async (t) => {
  const file = join('/nonexistent', 'groundtruth', 'groundtruth.yml')
  const err = await loadConfig(file, PROBE_KINDS, {}).then(
    () => undefined,
    (e: unknown) => e,
  )
  t.ok(err instanceof ConfigError)
  const error = err as ConfigError
  t.equal(error.file, file)
  t.same(error.problems, [{ path: '', message: 'file not found' }])
  t.equal(error.message, `${file}: file not found`)
})

t.test('a top-level sequence is refused at line 1', async (t) => {
  const { error } = await loadFailure(`- name: a\n- name: b\n`)
  t.equal(error.problems.length, 1)
  t.equal(error.problems[0]!.path, '')
  t.equal(error.problems[0]!.line, 1)
  t.match(error.problems[0]!.message, /expected object, received array/)
})

t.test('every problem is reported at once, each at its own key and line', async (t) => {
  const yaml = [
    'defaults:',
    '  interval: 5 seconds',
    'servces: []',
    'services:',
    '  - name: api',
    '    probe: http',
    '    url: http://api.internal/',
    '    expect: { status: ["200"] }',
    '  - name: db',
    '    probe: tcp',
    '    address: db.internal',
    '  - name: api',
    '    probe: beanstalkd',
    '  - name: worker',
    '    probe: tcp',
    '    address: worker.internal:9000',
    '    depends_on: [cache]',
    'gates: { min_ready_ratio: 2 }',
    '',
  ].join('\n')
  const { file, error } = await loadFailure(yaml)
  const got = error.problems.map((p) => `${p.line} ${p.path}`).sort()
  t.same(
    got,
    [
      '11 services[1].address',
      '12 services[2].name',
      '13 services[2].probe',
      '17 services[3].depends_on[0]',
      '18 gates.min_ready_ratio',
      '2 defaults.interval',
      '3 servces',
      '8 services[0].expect.status[0]',
    ].sort(),
  )
  t.equal(error.message.split('\n').length, error.problems.length, 'one line per problem')
  for (const line of error.message.split('\n')) t.ok(line.startsWith(`${file}:`), `"${line}" names the file`)
  t.match(error.message, /services\[2\]\.name: duplicate service name "api" \(first defined at services\[0\]\)/)
  t.match(error.message, /services\[3\]\.depends_on\[0\]: unknown service "cache"; expected one of: api, db, worker/)
})

t.test('a service with a problem does not hide the others\' dependency checks', async (t) => {
  // b is invalid (bad address), but it exists: a's depends_on on it is not "unknown".
  const yaml = `services:\n${TCP('a', '    depends_on: [b]\n')}  - name: b\n    probe: tcp\n    address: nowhere\n`
  const { error } = await loadFailure(yaml)
  t.same(
    error.problems.map((p) => p.path),
    ['services[1].address'],
  )
})

t.test('a dependency problem of a duplicated name is reported at its own entry', async (t) => {
  const yaml = `services:\n${TCP('a')}${TCP('a', '    depends_on: [zz]\n')}`
  const { error } = await loadFailure(yaml)
  t.same(
    error.problems.map((p) => [p.path, p.line]),
    [
      ['services[1].name', 5],
      ['services[1].depends_on[0]', 8],
    ],
  )
  t.match(error.problems[1]!.message, /^unknown service "zz"; expected one of: a$/)
})
