// `groundtruth validate`: exit 0 for a good config, 2 with the messages on
// stderr for a bad one; in-process through main(), and once as a real process.
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { main } from '../../src/cli.js'
import { CLI, childEnv, ROOT } from '../helpers/child.js'
import { writeConfig } from '../helpers/config.js'
import { captureIo as capture } from '../helpers/io.js'


const GOOD = `services:\n  - name: api\n    probe: http\n    url: http://\${API_HOST:-127.0.0.1}:9/health\n  - name: db\n    probe: tcp\n    address: 127.0.0.1:9\n`
const BAD = `services:\n  - name: api\n    probe: http\n    url: http://127.0.0.1:9/\n    expect:\n      status: ["200"]\n`


t.test('validate: a good config exits 0 and says ok', async (t) => {
  const { dir, file } = writeConfig(GOOD)
  const io = capture(dir)
  t.equal(await main(['validate', '--config', file], io), 0)
  t.equal(io.out, `${file}: ok, 2 services\n`)
  t.equal(io.err, '')
})

t.test('validate: a bad config exits 2 with the file, line and key path on stderr', async (t) => {
  const { dir, file } = writeConfig(BAD)
  const io = capture(dir)
  t.equal(await main(['validate', '--config', file], io), 2)
  t.equal(io.out, '')
  t.equal(io.err, `groundtruth: invalid configuration\n${file}:6:16: services[0].expect.status[0]: Invalid input: expected number, received string\n`)
})

t.test('validate: --config is resolved against the working directory; -c works too', async (t) => {
  const { dir, file } = writeConfig(GOOD, 'custom.yml')
  const io = capture(dir)
  t.equal(await main(['validate', '-c', 'custom.yml'], io), 0)
  t.equal(io.out, `${file}: ok, 2 services\n`)
})

t.test('validate: groundtruth.yml in the working directory is the default', async (t) => {
  const { dir, file } = writeConfig(BAD)
  const io = capture(dir)
  t.equal(await main(['validate'], io), 2)
  t.ok(io.err.includes(`${file}:6:16: services[0].expect.status[0]`), io.err)
  writeFileSync(file, GOOD)
  const again = capture(dir)
  t.equal(await main(['validate'], again), 0)
  t.equal(again.out, `${file}: ok, 2 services\n`)
})

t.test('validate: variables come from io.env', async (t) => {
  const { dir, file } = writeConfig(`services:\n  - name: api\n    probe: http\n    url: \${API_URL}\n`)
  const set = capture(dir, { API_URL: 'http://api.internal/health' })
  t.equal(await main(['validate', '--config', file], set), 0)
  const unset = capture(dir, {})
  t.equal(await main(['validate', '--config', file], unset), 2)
  t.match(unset.err, /services\[0\]\.url: environment variable API_URL is not set/)
})

t.test('validate: a missing file exits 2 naming it', async (t) => {
  const { dir } = writeConfig(GOOD)
  const io = capture(dir)
  t.equal(await main(['validate', '--config', 'absent.yml'], io), 2)
  t.equal(io.err, `groundtruth: invalid configuration\n${join(dir, 'absent.yml')}: file not found\n`)
})

t.test('validate as a real process: exit 2, key path on stderr, no stack trace, no secret', (t) => {
  const secret = 'pw-7d9c2b1e4f'
  const { file } = writeConfig(
    `services:\n  - name: api\n    probe: http\n    url: http://user:\${GT_PW}@127.0.0.1:9/\n    timeout: \${GT_PW}\n  - name: db\n    probe: tcp\n    address: 127.0.0.1:9\n    depends_on: [api, cache]\n`,
  )
  const run = spawnSync(process.execPath, [...CLI, 'validate', '--config', file], {
    cwd: ROOT,
    encoding: 'utf8',
    env: childEnv({ GT_PW: secret }),
    timeout: 60_000,
  })
  t.equal(run.error, undefined)
  t.equal(run.status, 2, run.stderr)
  t.equal(run.stdout, '')
  t.match(run.stderr, /^groundtruth: invalid configuration\n/)
  t.ok(run.stderr.includes(`${file}:5:5: services[0].timeout: expected a duration`), run.stderr)
  t.ok(run.stderr.includes(`${file}:9:23: services[1].depends_on[1]: unknown service "cache"`), run.stderr)
  t.notMatch(run.stderr, /^ {4}at /m, 'no stack trace')
  t.notOk(run.stderr.includes(secret), 'the secret is not echoed')
  t.end()
})
