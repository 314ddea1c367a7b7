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
import { engineMissing, IMAGE, startEngine } from '../helpers/engine.js'
import { containerScenarios } from './container-scenarios.js'

const missing = engineMissing()
if (missing) {
  t.fail(`no container engine can run: ${missing}`)
} else {
  const engine = await startEngine()
  t.teardown(() => engine.stop())
  await containerScenarios(t, { name: 'dockerd', host: engine.host, image: IMAGE, cli: engine.docker })
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
