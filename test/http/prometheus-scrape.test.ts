// A real Prometheus scrapes a real `groundtruth serve --web.config.file` over
// TLS with a client certificate and basic auth; a job with the wrong password
// is refused. The password and its hash appear in none of groundtruth's output.
import bcrypt from 'bcryptjs'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { CLI, childEnv, ROOT } from '../helpers/child.js'
import { writeConfig } from '../helpers/config.js'
import { closedPort } from '../helpers/servers.js'
import { makePki } from './pki.js'

const PASSWORD = 'pl4nted-prom-Scrape-9920'
const HASH = bcrypt.hashSync(PASSWORD, 8)

function started(t: Test, child: ChildProcess): { output: () => string; exited: Promise<number | null>; kill: () => void } {
  let output = ''
  child.stdout?.on('data', (d) => (output += d))
  child.stderr?.on('data', (d) => (output += d))
  t.teardown(() => void child.kill('SIGKILL'))
  return { output: () => output, exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))), kill: () => void child.kill('SIGTERM') }
}

t.test('Prometheus scrapes through TLS, a client certificate and basic auth', async (t) => {
  const pki = makePki()
  writeFileSync(
    join(pki.dir, 'web.yml'),
    `tls_server_config:
  cert_file: ${pki.files.serverCert}
  key_file: ${pki.files.serverKey}
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ${pki.files.ca}
basic_auth_users:
  prometheus: ${HASH}
http_server_config:
  headers:
    X-Content-Type-Options: nosniff
`,
  )
  writeFileSync(join(pki.dir, 'client.pem'), pki.client.cert)
  writeFileSync(join(pki.dir, 'client.key'), pki.client.key)
  writeFileSync(join(pki.dir, 'password'), PASSWORD)
  const { file } = writeConfig('defaults: { interval: 1h, timeout: 300ms }\nservices:\n  - { name: x, probe: tcp, address: "127.0.0.1:1" }\n')
  const port = await closedPort()
  const gt = started(
    t,
    spawn(process.execPath, [...CLI, 'serve', '--config', file, '--listen', `127.0.0.1:${port}`, '--web.config.file', join(pki.dir, 'web.yml'), '--log-level', 'debug'], {
      cwd: ROOT,
      env: childEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  )

  const promDir = mkdtempSync(join(tmpdir(), 'gt-prom-'))
  const job = (name: string, passwordFile: string) => `
  - job_name: ${name}
    scheme: https
    scrape_interval: 1s
    scrape_timeout: 1s
    basic_auth: { username: prometheus, password_file: ${join(pki.dir, passwordFile)} }
    tls_config: { ca_file: ${join(pki.dir, pki.files.ca)}, cert_file: ${join(pki.dir, 'client.pem')}, key_file: ${join(pki.dir, 'client.key')} }
    static_configs: [ { targets: ['127.0.0.1:${port}'] } ]
`
  writeFileSync(join(pki.dir, 'wrong'), 'not-the-password')
  writeFileSync(join(promDir, 'prometheus.yml'), `global: { scrape_interval: 1s, evaluation_interval: 1s }\nscrape_configs:${job('groundtruth', 'password')}${job('intruder', 'wrong')}`)
  const promPort = await closedPort()
  const prom = started(
    t,
    spawn('prometheus', [`--config.file=${join(promDir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(promDir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`], { stdio: ['ignore', 'pipe', 'pipe'] }),
  )

  const query = async (q: string): Promise<number | undefined> => {
    const res = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(q)}`)
    const body = (await res.json()) as { data: { result: { value: [number, string] }[] } }
    const v = body.data.result[0]?.value[1]
    return v === undefined ? undefined : Number(v)
  }
  const until = async (q: string, want: number) => {
    for (let i = 0; i < 300; i++) {
      if ((await query(q).catch(() => undefined)) === want) return true
      await new Promise((r) => setTimeout(r, 100))
    }
    return false
  }
  const up = await until('up{job="groundtruth"}', 1)
  t.ok(up, up ? 'Prometheus scrapes groundtruth: up == 1' : `up never became 1\n${prom.output().slice(-2000)}\n${gt.output().slice(-2000)}`)
  t.ok(await until('groundtruth_build_info{job="groundtruth"}', 1), 'and stores its metrics')
  t.ok(await until('up{job="intruder"}', 0), 'the job with the wrong password is refused: up == 0')
  const targets = (await (await fetch(`http://127.0.0.1:${promPort}/api/v1/targets`)).json()) as { data: { activeTargets: { labels: { job: string }; lastError: string }[] } }
  t.match(targets.data.activeTargets.find((x) => x.labels.job === 'intruder')?.lastError, /401/)

  const direct = await fetch(`https://127.0.0.1:${port}/metrics`).catch((e: Error) => e)
  t.type(direct, Error, 'a client without the CA and a certificate is not served')

  prom.kill()
  await prom.exited
  gt.kill()
  t.equal(await gt.exited, 0, 'groundtruth exits cleanly on SIGTERM')
  const output = gt.output()
  t.match(output, /"msg":"groundtruth listening".*"tls":true,"basic_auth_users":1/)
  t.notOk(output.includes(PASSWORD), 'the password is in no output of groundtruth')
  t.notOk(output.includes(HASH), 'nor its hash')
})
