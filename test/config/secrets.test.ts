// Secrets that reach the config through ${VAR} are masked by config.secrets,
// and never echoed by a ConfigError, wherever in the file they were misused.
import t from 'tap'
import { ConfigError } from '../../src/config/errors.js'
import { loadConfig } from '../../src/config/load.js'
import { writeConfig } from '../helpers/config.js'
import { loadFailure } from '../helpers/config-problems.js'
import { PROBE_KINDS } from '../../probes/index.js'

const PW = 'Zq8-hunter2-pw'
const TOKEN = 'tok_live_5f4e3d2c1b0a'
const ENCODED = 's3cr3t%2Fpass'
const env = { PW, TOKEN, ENCODED }
const PLANTED = [PW, TOKEN, ENCODED, 's3cr3t/pass']

t.test('config.secrets.redact masks the planted values', async (t) => {
  const { file } = writeConfig(`
services:
  - name: api
    probe: http
    url: http://user:\${PW}@api.internal/health
    headers:
      Authorization: Bearer \${TOKEN}
      Accept: application/json
  - name: db
    probe: http
    url: http://app:\${ENCODED}@db.internal:8080/
`)
  const config = await loadConfig(file, PROBE_KINDS, env)
  // The config itself holds the real values: probes need them.
  t.equal(config.services[0]!.url, `http://user:${PW}@api.internal/health`)
  t.same(config.services[0]!.headers, { Authorization: `Bearer ${TOKEN}`, Accept: 'application/json' })

  const text = `GET http://user:${PW}@api.internal/health failed; Authorization: Bearer ${TOKEN}; password ${PW}; token=${TOKEN}; db ${ENCODED} s3cr3t/pass`
  const masked = config.secrets.redact(text)
  for (const secret of PLANTED) t.notOk(masked.includes(secret), `"${secret}" masked`)
  t.equal(config.secrets.redact(PW), '***')
  t.equal(config.secrets.redact(`Bearer ${TOKEN}`), 'Bearer ***')
  t.equal(config.secrets.redact('s3cr3t/pass'), '***', 'the percent-decoded password too')
  t.equal(config.secrets.redact(`http://user:${PW}@api.internal/health`), 'http://***@api.internal/health')
  t.equal(config.secrets.redact('api.internal answered 503 for user'), 'api.internal answered 503 for user', 'ordinary text untouched')
})

// Each puts a planted secret where it is invalid; the error must still name the key.
const misuses: { name: string; yaml: string; path: string }[] = [
  {
    name: 'secret as a duration',
    yaml: `services:\n  - name: api\n    probe: http\n    url: http://user:\${PW}@api.internal/\n    timeout: \${TOKEN}\n`,
    path: 'services[0].timeout',
  },
  { name: 'secret as a default interval', yaml: `defaults:\n  interval: "\${PW}"\n`, path: 'defaults.interval' },
  { name: 'secret as a probe kind', yaml: `services:\n  - name: api\n    probe: \${PW}\n`, path: 'services[0].probe' },
  {
    name: 'secret in a regex',
    yaml: `services:\n  - name: api\n    probe: http\n    url: http://api.internal/\n    expect: { body_matches: "(\${TOKEN}" }\n`,
    path: 'services[0].expect.body_matches',
  },
  {
    name: 'secret as a duplicate service name',
    yaml: `services:\n  - name: \${TOKEN}\n    probe: tcp\n    address: h:1\n  - name: \${TOKEN}\n    probe: tcp\n    address: h:1\n`,
    path: 'services[1].name',
  },
  {
    name: 'secret as a dependency',
    yaml: `services:\n  - name: api\n    probe: tcp\n    address: h:1\n    depends_on: ["\${PW}"]\n`,
    path: 'services[0].depends_on[0]',
  },
  {
    name: 'secret as a cron schedule',
    yaml: `services:\n  - name: api\n    probe: tcp\n    address: h:1\n    schedule: "\${PW} * * * *"\n`,
    path: 'services[0].schedule',
  },
  {
    name: 'secret as a tcp address',
    yaml: `services:\n  - name: api\n    probe: tcp\n    address: \${PW}\n`,
    path: 'services[0].address',
  },
  {
    name: 'secret in a URL with a wrong scheme',
    yaml: `services:\n  - name: api\n    probe: http\n    url: ftp://user:\${PW}@files.internal/\n`,
    path: 'services[0].url',
  },
  {
    name: 'secret in a service name',
    yaml: `services:\n  - name: "\${TOKEN}-X"\n    probe: tcp\n    address: h:1\n`,
    path: 'services[0].name',
  },
  {
    name: 'secret as the environment, next to an unknown key',
    yaml: `environment: \${PW}\nservces: []\n`,
    path: 'servces',
  },
]

for (const m of misuses) {
  t.test(`no ConfigError echoes a planted secret: ${m.name}`, async (t) => {
    const { error } = await loadFailure(m.yaml, env)
    t.ok(error instanceof ConfigError)
    t.ok(
      error.problems.some((p) => p.path === m.path),
      `a problem at ${m.path}`,
    )
    for (const secret of PLANTED) {
      t.notOk(error.message.includes(secret), `message free of "${secret}"`)
      t.notOk(
        error.problems.some((p) => p.message.includes(secret) || p.path.includes(secret)),
        `problems free of "${secret}"`,
      )
    }
  })
}
