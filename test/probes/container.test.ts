// The container probe against a real container engine: Debian's dockerd,
// started by this test with its own root and socket (test/helpers/engine.ts),
// a busybox image built here, containers with --network none. States are
// polled for, never slept for; restart counts are never asserted exactly.
import { createServer } from 'node:http'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { PROBE_KINDS } from '../../probes/index.js'
import { demux, mostTellingLine } from '../../probes/container/last-words.js'
import { parseConfig } from '../../src/config/load.js'
import { runProbe } from '../../src/runner.js'
import { harness } from '../helpers/round.js'
import { find, parseExposition, value } from '../helpers/metrics.js'
import { engineMissing, IMAGE, startEngine, type TestEngine } from '../helpers/engine.js'
import { httpServer } from '../helpers/servers.js'

const missing = engineMissing()
if (missing) {
  t.fail(`no container engine can run: ${missing}`)
} else {
  const engine = await startEngine()
  t.teardown(() => engine.stop())
  await scenarios(engine)
}

async function until(what: string, probe: () => Promise<boolean>, tries = 240): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await probe()) return
    await new Promise((r) => setTimeout(r, 250))
  }
  throw new Error(`timed out waiting for ${what}`)
}

function config(engine: TestEngine, services: string) {
  return parseConfig(`docker: { host: "${engine.host}" }\ndefaults: { timeout: 5s }\nservices:\n${services}`, 'containers.yml', PROBE_KINDS, {})
}

async function scenarios(engine: TestEngine) {
  const d = engine.docker
  await d('run', '-d', '--network', 'none', '--name', 'gt-running', IMAGE, 'sleep', '3600')
  await d('run', '-d', '--network', 'none', '--name', 'gt-exited', IMAGE, 'sh', '-c', 'echo starting; exit 255')
  await d('run', '-d', '--network', 'none', '--restart=always', '--name', 'gt-loop', IMAGE, 'sh', '-c', `echo booting; echo "Error: Cannot find module 'openai'" >&2; exit 1`)
  await d('run', '-d', '--network', 'none', '--name', 'gt-sick', '--health-cmd', 'false', '--health-interval', '1s', '--health-retries', '1', IMAGE, 'sleep', '3600')
  await d('tag', IMAGE, 'localhost/gt-untagged:1')
  await d('run', '-d', '--network', 'none', '--name', 'gt-imageless', 'localhost/gt-untagged:1', 'sleep', '3600')
  await d('rmi', 'localhost/gt-untagged:1')
  await until('the exited container', async () => (await d('inspect', '-f', '{{.State.Status}}', 'gt-exited')) === 'exited')
  await until('three restarts', async () => Number(await d('inspect', '-f', '{{.RestartCount}}', 'gt-loop')) >= 3)
  await until('unhealthy', async () => (await d('inspect', '-f', '{{.State.Health.Status}}', 'gt-sick')) === 'unhealthy')

  const all = config(
    engine,
    ['running', 'exited', 'loop', 'sick', 'imageless', 'nowhere'].map((n) => `  - { name: ${n}, group: containers, probe: container, container: gt-${n} }\n`).join(''),
  )
  const h = harness(all)
  await h.runAll()
  const s = parseExposition(await h.registry.metrics())
  const result = (name: string) => h.store.get(name)!.last!

  t.test('states on the real engine (dockerd)', async (t) => {
    t.match(result('running'), { ok: true })
    t.same(result('running').checks.map((c) => [c.name, c.ok]), [['container:running', true], ['container:restarts', true], ['container:image', true]])
    t.equal(value(s, 'groundtruth_container_state', { service: 'running', state: 'running' }), 1)
    t.equal(value(s, 'groundtruth_container_state', { service: 'running', state: 'exited' }), 0)
    t.equal(value(s, 'groundtruth_container_health', { service: 'running', health: 'none' }), 1)
    t.equal(value(s, 'groundtruth_container_image_present', { service: 'running' }), 1)
    t.ok(value(s, 'groundtruth_container_started_timestamp_seconds', { service: 'running' }) > Date.now() / 1000 - 3600)

    t.match(result('exited'), { ok: false, reason: 'container' })
    t.match(result('exited').checks[0], { name: 'container:running', ok: false, detail: /^exited with code 255; last words: starting$/ })
    t.equal(value(s, 'groundtruth_container_exit_code', { service: 'exited' }), 255)
    t.equal(value(s, 'groundtruth_container_state', { service: 'exited', state: 'exited' }), 1)

    const loop = result('loop')
    t.match(loop, { ok: false, reason: 'container' })
    t.match(loop.checks.find((c) => c.name === 'container:restarts'), { ok: false, detail: /restarts within 10m \(a loop from 3;/ })
    t.equal(loop.facts.container?.lastWords, "Error: Cannot find module 'openai'", 'the most telling line, not the last one')
    t.equal(loop.info.last_words, "Error: Cannot find module 'openai'")
    t.ok(value(s, 'groundtruth_container_restarts_total', { service: 'loop' }) >= 3)

    t.match(result('sick'), { ok: false, reason: 'container' })
    t.match(result('sick').checks.find((c) => c.name === 'container:health'), { ok: false, detail: 'healthcheck: unhealthy' })
    t.equal(value(s, 'groundtruth_container_health', { service: 'sick', health: 'unhealthy' }), 1)

    t.match(result('imageless').checks.find((c) => c.name === 'container:image'), { ok: false, detail: /localhost\/gt-untagged:1 is not on the host/ })
    t.equal(value(s, 'groundtruth_container_image_present', { service: 'imageless' }), 0)

    t.match(result('nowhere'), { ok: false, reason: 'container' })
    t.equal(value(s, 'groundtruth_container_state', { service: 'nowhere', state: 'absent' }), 1)
    t.same(find(s, 'groundtruth_container_started_timestamp_seconds', { service: 'nowhere' }), [])
    t.equal(value(s, 'groundtruth_probe_failures_total', { service: 'loop', reason: 'container' }), 1)
  })

  t.test('container: on an http service: the container is the root cause, its checks first', async (t) => {
    const api = await httpServer((_req, res) => res.end('ok'))
    t.teardown(api.close)
    const cfg = config(engine, `  - { name: api, probe: http, url: "${api.url}/", container: gt-loop }\n  - { name: web, probe: http, url: "${api.url}/", container: { name: gt-running, max_restarts: 5, window: 1m } }\n`)
    const bad = await runProbe(cfg.services[0]!, cfg.secrets)
    t.match(bad, { ok: false, reason: 'container' })
    t.same(bad.checks.map((c) => c.name).slice(0, 2), ['container:running', 'container:restarts'], 'the container checks come first')
    t.ok(bad.checks.some((c) => c.name === 'status' && c.ok), 'the API itself answered')
    const good = await runProbe(cfg.services[1]!, cfg.secrets)
    t.match(good, { ok: true })
    t.same(good.checks.map((c) => c.name), ['container:running', 'container:restarts', 'container:image', 'status'])
    // A closed port and an exited container: still `container` (the root cause first), the own check not evaluated.
    const down = config(engine, `  - { name: api, probe: tcp, address: "127.0.0.1:1", expect: { banner_contains: ok }, container: gt-exited }\n`)
    const both = await runProbe(down.services[0]!, down.secrets)
    t.match(both, { ok: false, reason: 'container' })
    t.match(both.checks.at(-1), { name: "banner_contains", ok: false, detail: /^not evaluated: refused: / })
  })
}

t.test('an unreachable engine socket is `refused`, not a crash', async (t) => {
  const cfg = parseConfig(`docker: { host: "unix://${join(mkdtempSync(join(tmpdir(), 'gt-nosock-')), 'none.sock')}" }\nservices:\n  - { name: w, probe: container, container: worker }\n`, 'x.yml', PROBE_KINDS, {})
  const r = await runProbe(cfg.services[0]!, cfg.secrets)
  t.match(r, { ok: false, reason: 'refused', error: /no container engine answers at unix:\/\/.*none\.sock \(ENOENT\)/ })
  t.same(r.checks.map((c) => [c.name, c.ok]), [['container:running', false], ['container:restarts', false], ['container:image', false]])
})

t.test('a protocol-level fake engine answering 500 or garbage JSON: a bounded error', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gt-fake-engine-'))
  const socket = join(dir, 'fake.sock')
  let answer: (res: import('node:http').ServerResponse) => void = () => {}
  const server = createServer((_req, res) => answer(res))
  await new Promise<void>((r) => server.listen(socket, r))
  t.teardown(() => new Promise<void>((r) => server.close(() => r())))
  const cfg = parseConfig(`docker: { host: "unix://${socket}" }\nservices:\n  - { name: w, probe: container, container: worker }\n`, 'x.yml', PROBE_KINDS, {})
  answer = (res) => res.writeHead(500, { 'content-type': 'application/json' }).end('{"message":"server error: disk full"}')
  t.match(await runProbe(cfg.services[0]!, cfg.secrets), { ok: false, reason: 'error', error: /answered 500 to GET \/containers\/worker\/json: server error: disk full/ })
  answer = (res) => res.writeHead(200).end('{"Id": "abc", "State": ')
  t.match(await runProbe(cfg.services[0]!, cfg.secrets), { ok: false, reason: 'error', error: /with something that is not JSON/ })
  // An endless answer is cut at the bound, then judged as not JSON.
  answer = (res) => {
    res.writeHead(200)
    const chunk = Buffer.alloc(64 * 1024, 'x')
    const pump = () => {
      while (res.write(chunk)) if (res.destroyed) return
      res.once('drain', pump)
    }
    res.on('error', () => {})
    pump()
  }
  t.match(await runProbe(cfg.services[0]!, cfg.secrets), { ok: false, reason: 'error', error: /not JSON \(cut at the size limit\)/ })
})

t.test('the last words: demultiplexed, the most telling line', async (t) => {
  const frame = (stream: number, text: string) => Buffer.concat([Buffer.from([stream, 0, 0, 0]), Buffer.from(Buffer.from(text).length.toString(16).padStart(8, '0'), 'hex'), Buffer.from(text)])
  t.equal(demux(Buffer.concat([frame(1, 'a\n'), frame(2, 'b\n')]), false), 'a\nb\n')
  t.equal(demux(Buffer.from('plain tty text\n'), false), 'plain tty text\n', 'not frames: taken as text')
  t.equal(demux(Buffer.from('tty\n'), true), 'tty\n')
  const traceback = ['Traceback (most recent call last):', '  File "/app/main.py", line 3, in <module>', '    import openai', "ModuleNotFoundError: No module named 'openai'", 'exiting'].join('\n')
  t.equal(mostTellingLine(traceback), "ModuleNotFoundError: No module named 'openai'")
  t.equal(mostTellingLine('starting\nexec /app/server: exec format error\n'), 'exec /app/server: exec format error')
  t.equal(mostTellingLine('INFO ready\nERROR db: connection refused\nINFO retry\n'), 'ERROR db: connection refused')
  t.equal(mostTellingLine('just a line\n\n'), 'just a line')
  t.equal(mostTellingLine('\n'), undefined)
  t.equal(mostTellingLine('Error: ' + 'x'.repeat(500))!.length, 300, 'a line is cut')
})
