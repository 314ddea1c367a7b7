// Issue 14, "the first hour": what a newcomer meets before reading further —
// per-command help, a clear error for an address in use, `${VAR}` from the
// .env beside the config, the self-check following --listen, failed probes
// logged once per change, the runbook base for `alerts`, progress on a
// terminal, the LICENSE and a `prepare` build.
import { spawn } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import t from 'tap'
import { listenUrl, main, progressLine } from '../../src/cli.js'
import { ConfigError } from '../../src/config/errors.js'
import { loadConfig } from '../../src/config/load.js'
import { probeJob } from '../../src/jobs.js'
import { createLogger } from '../../src/log.js'
import { ResultStore } from '../../src/results.js'
import { PROBE_KINDS } from '../../probes/index.js'
import { CLI, childEnv, ROOT } from '../helpers/child.js'
import { writeConfig } from '../helpers/config.js'
import { closedPort, httpServer } from '../helpers/servers.js'
import { captureIo as capture } from '../helpers/io.js'


t.test('--help on every command prints that command\'s usage and exits 0', async (t) => {
  for (const command of ['serve', 'check', 'report', 'validate', 'init', 'alerts', 'dashboards']) {
    for (const flag of ['--help', '-h']) {
      const io = capture()
      t.equal(await main([command, flag], io), 0, `${command} ${flag}`)
      t.match(io.out, new RegExp(`^usage: groundtruth ${command} `), `${command} ${flag} prints its usage`)
      t.equal(io.err, '')
    }
  }
  const io = capture()
  t.equal(await main(['check', '--config', 'nowhere.yml', '--help'], io), 0, 'help wins over the other options: nothing runs')
  t.match(io.out, /--format table\|json\|markdown/)
  const top = capture()
  t.equal(await main(['--help'], top), 0)
  t.match(top.out, /groundtruth COMMAND --help/)
})

t.test('an address in use is one clear line and exit 2', async (t) => {
  const holder = createServer()
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve))
  t.teardown(() => void holder.close())
  const port = (holder.address() as { port: number }).port
  const { dir, file } = writeConfig(`services:\n  - { name: x, probe: tcp, address: "127.0.0.1:${await closedPort()}" }\n`)
  const io = capture(dir)
  t.equal(await main(['serve', '--config', file, '--listen', `127.0.0.1:${port}`, '--log-level', 'error'], io), 2)
  t.equal(io.err, `groundtruth: cannot listen on 127.0.0.1:${port}: the address is already in use (another program listens there); stop it or choose another with --listen\n`)
  t.notMatch(io.err, /internal error/)
})

t.test('${VAR} reads the process environment, then the .env beside the config', async (t) => {
  const { dir, file } = writeConfig('services:\n  - { name: api, probe: http, url: "http://${API_HOST}:${API_PORT:-9}/" }\n')
  writeFileSync(join(dir, '.env'), 'API_HOST=from-dotenv.example\nAPI_PORT=8080\n')
  let config = await loadConfig(file, PROBE_KINDS, {})
  t.equal(config.services[0]!.url, 'http://from-dotenv.example:8080/', 'the .env fills what the environment does not set')
  config = await loadConfig(file, PROBE_KINDS, { API_HOST: 'from-process.example' })
  t.equal(config.services[0]!.url, 'http://from-process.example:8080/', 'the process environment wins, as with dotenv')

  // The .env of the working directory is not the config's.
  const other = writeConfig('services:\n  - { name: api, probe: http, url: "http://${API_HOST}/" }\n')
  const io = capture(dir)
  t.equal(await main(['validate', '--config', other.file], io), 2)
  t.match(io.err, /API_HOST is not set/)

  // A .env that exists but cannot be read is a config error naming it.
  const broken = writeConfig('services: []\n')
  mkdirSync(join(broken.dir, '.env'))
  await t.rejects(loadConfig(broken.file, PROBE_KINDS, {}), ConfigError)
  await t.rejects(loadConfig(broken.file, PROBE_KINDS, {}), /the \.env beside it .* cannot be read/)
})

t.test('listenUrl: the URL a local client reaches a listen address at', async (t) => {
  t.equal(listenUrl(undefined, 9469, false), 'http://127.0.0.1:9469')
  t.equal(listenUrl('0.0.0.0', 9470, false), 'http://127.0.0.1:9470')
  t.equal(listenUrl('::', 9469, false), 'http://[::1]:9469')
  t.equal(listenUrl('::1', 9469, true), 'https://[::1]:9469')
  t.equal(listenUrl('localhost', 8443, true), 'https://localhost:8443')
})

t.test('config/local.yml: the self-check follows GROUNDTRUTH_LISTEN_URL, default :9469', async (t) => {
  const local = join(ROOT, 'config', 'local.yml')
  const self = async (env: Record<string, string>) => (await loadConfig(local, PROBE_KINDS, env)).services.find((s) => s.name === 'groundtruth')!
  t.equal((await self({})).url, 'http://127.0.0.1:9469/-/healthy', 'check and report ask the daemon at the default address')
  t.equal((await self({ GROUNDTRUTH_LISTEN_URL: 'https://[::1]:9555' })).url, 'https://[::1]:9555/-/healthy')
})

t.test('serve --listen on another port probes itself there', async (t) => {
  const port = await closedPort()
  const { dir, file } = writeConfig(readFileSync(join(ROOT, 'config', 'local.yml'), 'utf8'))
  const env = childEnv()
  delete env.GROUNDTRUTH_LISTEN_URL
  const child = spawn(process.execPath, [...CLI, 'serve', '--config', file, '--listen', `127.0.0.1:${port}`, '--log-level', 'warn'], { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d) => (stderr += d))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  t.teardown(() => void child.kill('SIGKILL'))
  let self: { target: string; up: boolean } | undefined
  for (let i = 0; i < 150 && !self?.up; i++) {
    await new Promise((r) => setTimeout(r, 100))
    const doc = await fetch(`http://127.0.0.1:${port}/status`).then((r) => r.json() as Promise<{ services: Array<{ name: string; target: string; up: boolean }> }>).catch(() => undefined)
    self = doc?.services.find((s) => s.name === 'groundtruth')
  }
  t.match(self, { up: true }, stderr)
  t.match(self?.target, `127.0.0.1:${port}`, 'the self-check probes the real listen address')
  child.kill('SIGTERM')
  t.equal(await exited, 0)
})

t.test('a failing probe logs once when the service goes down, at debug after, and once on recovery', async (t) => {
  let answer = false
  const api = await httpServer((_req, res) => {
    res.statusCode = answer ? 200 : 503
    res.end()
  })
  t.teardown(api.close)
  const { file } = writeConfig(`services:\n  - { name: api, probe: http, url: "http://127.0.0.1:${api.port}/" }\n`)
  const config = await loadConfig(file, PROBE_KINDS, {})
  const lines: Array<{ level: string; msg: string }> = []
  const log = createLogger({ level: 'debug', write: (line) => void lines.push(JSON.parse(line)) })
  const store = new ResultStore()
  store.setServices(config.services)
  const job = probeJob(config.services[0]!, config, { store, log, cwd: ROOT, processEnv: {} })
  for (let i = 0; i < 3; i++) await job.run()
  answer = true
  await job.run()
  await job.run()
  t.same(
    lines.map((l) => [l.level, l.msg]),
    [
      ['info', 'probe failed'],
      ['debug', 'probe failed again'],
      ['debug', 'probe failed again'],
      ['info', 'probe recovered'],
      ['debug', 'probe finished'],
    ],
  )
  const record = store.snapshot().records[0]!
  t.equal(record.failures.status, 3, 'every failure is still counted')
})

t.test('alerts --runbook-url sets the runbook base; a bad one is exit 2', async (t) => {
  let io = capture()
  t.equal(await main(['alerts', '--runbook-url', 'https://wiki.example/runbook'], io), 0, io.err)
  const links = [...io.out.matchAll(/runbook_url: (\S+)/g)].map((m) => m[1]!)
  t.ok(links.length > 0)
  t.ok(links.every((l) => /^https:\/\/wiki\.example\/runbook#groundtruth[a-z]+$/.test(l)), 'every alert links into the given runbook')
  io = capture()
  t.equal(await main(['alerts', '--runbook-url', 'wiki/runbook#x'], io), 2)
  t.match(io.err, /^groundtruth: alert options: expected the runbook base URL to be an http\(s\) URL/)
  t.notMatch(io.err, /internal error/)
})

t.test('check shows progress on a terminal and nothing on a pipe', async (t) => {
  const api = await httpServer((_req, res) => res.end('ok'))
  t.teardown(api.close)
  const { dir, file } = writeConfig(`services:\n  - { name: a, probe: http, url: "http://127.0.0.1:${api.port}/" }\n  - { name: b, probe: http, url: "http://127.0.0.1:${api.port}/" }\n`)
  const tty = capture(dir, {}, true)
  t.equal(await main(['check', '--config', file], tty), 0)
  t.match(tty.err, /\r\x1b\[Kprobing 1\/2 … [ab]\r\x1b\[Kprobing 2\/2 … [ab]\r\x1b\[K$/, 'one rewritten line, erased at the end')
  const pipe = capture(dir, {}, false)
  t.equal(await main(['check', '--config', file], pipe), 0)
  t.equal(pipe.err, '')
  const json = capture(dir, {}, false)
  t.equal(await main(['check', '--config', file, '--format', 'json'], { ...json, stderrIsTTY: true }), 0)
  t.match(json.err, /probing 2\/2/, 'stderr on a terminal shows it even when stdout is a pipe')
  t.doesNotThrow(() => JSON.parse(json.out))

  const quiet: string[] = []
  progressLine(3, { stderr: (s) => void quiet.push(s) }).done()
  t.same(quiet, [], 'nothing to erase when nothing was shown')
})

t.test('LICENSE matches package.json, and npm ci builds the executable (prepare)', async (t) => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { license: string; bin: { groundtruth: string }; scripts: Record<string, string> }
  t.equal(pkg.license, 'MIT')
  t.match(readFileSync(join(ROOT, 'LICENSE'), 'utf8'), /^MIT License\n\nCopyright \(c\) \d{4} /)
  t.equal(pkg.scripts.prepare, 'tsc -p tsconfig.json', 'npm ci runs the build, so npx groundtruth runs from a fresh clone')
  const tsconfig = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')) as { compilerOptions: { outDir: string; rootDir: string } }
  t.equal(`${tsconfig.compilerOptions.outDir}/src/bin.js`, pkg.bin.groundtruth, 'the build writes the bin')
})
