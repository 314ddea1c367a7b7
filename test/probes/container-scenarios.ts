// The states every container engine must be judged right on, run the same way
// against each real engine (dockerd in container.test.ts, Podman in
// container-podman.test.ts): running; exited 255; a restart loop whose error
// line is found; unhealthy; an image removed; a name with no container; and
// `container:` beside an http and a tcp service. States are polled for,
// never slept for; restart counts are never asserted exactly.
import type { Test } from 'tap'
import { PROBE_KINDS } from '../../probes/index.js'
import { parseConfig } from '../../src/config/load.js'
import { runProbe } from '../../src/runner.js'
import { find, parseExposition, value } from '../helpers/metrics.js'
import { harness } from '../helpers/round.js'
import { httpServer } from '../helpers/servers.js'

/** A real engine under test: its API socket and its CLI (docker or podman, same arguments). */
export interface EngineUnderTest {
  /** Named in every test title. */
  name: string
  host: string
  image: string
  cli(...args: string[]): Promise<string>
  /** Makes a healthcheck run now, where the engine has no timer of its own (Podman without systemd). */
  runHealthcheck?(container: string): Promise<void>
}

export async function until(what: string, probe: () => Promise<boolean>, tries = 240): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await probe()) return
    await new Promise((r) => setTimeout(r, 250))
  }
  throw new Error(`timed out waiting for ${what}`)
}

export function engineConfig(engine: EngineUnderTest, services: string) {
  return parseConfig(`docker: { host: "${engine.host}" }\ndefaults: { timeout: 5s }\nservices:\n${services}`, 'containers.yml', PROBE_KINDS, {})
}

export async function containerScenarios(t: Test, engine: EngineUnderTest): Promise<void> {
  const { cli, image } = engine
  await cli('run', '-d', '--network', 'none', '--name', 'gt-running', image, 'sleep', '3600')
  await cli('run', '-d', '--network', 'none', '--name', 'gt-exited', image, 'sh', '-c', 'echo starting; exit 255')
  await cli('run', '-d', '--network', 'none', '--restart=always', '--name', 'gt-loop', image, 'sh', '-c', `echo booting; echo "Error: Cannot find module 'openai'" >&2; exit 1`)
  await cli('run', '-d', '--network', 'none', '--name', 'gt-sick', '--health-cmd', 'false', '--health-interval', '1s', '--health-retries', '1', image, 'sleep', '3600')
  await cli('tag', image, 'localhost/gt-untagged:1')
  await cli('run', '-d', '--network', 'none', '--name', 'gt-imageless', 'localhost/gt-untagged:1', 'sleep', '3600')
  await cli('rmi', 'localhost/gt-untagged:1')
  await until('the exited container', async () => (await cli('inspect', '-f', '{{.State.Status}}', 'gt-exited')) === 'exited')
  await until('three restarts', async () => Number(await cli('inspect', '-f', '{{.RestartCount}}', 'gt-loop')) >= 3)
  await until('unhealthy', async () => {
    await engine.runHealthcheck?.('gt-sick')
    return (await cli('inspect', '-f', '{{.State.Health.Status}}', 'gt-sick')) === 'unhealthy'
  })

  const all = engineConfig(
    engine,
    ['running', 'exited', 'loop', 'sick', 'imageless', 'nowhere'].map((n) => `  - { name: ${n}, group: containers, probe: container, container: gt-${n} }\n`).join(''),
  )
  const h = harness(all)
  await h.runAll()
  const s = parseExposition(await h.metrics())
  const result = (name: string) => h.store.get(name)!.last!

  t.test(`states on the real engine (${engine.name})`, async (t) => {
    t.match(result('running'), { ok: true })
    t.same(result('running').checks.map((c) => [c.name, c.ok]), [['container:running', true], ['container:restarts', true], ['container:image', true]], 'no healthcheck: no health check')
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
    t.comment(`the loop was seen ${loop.facts.container?.state} with ${loop.facts.container?.restartCount} restarts`)
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

  t.test(`container: on an http service: the container is the root cause, its checks first (${engine.name})`, async (t) => {
    const api = await httpServer((_req, res) => res.end('ok'))
    t.teardown(api.close)
    const cfg = engineConfig(engine, `  - { name: api, probe: http, url: "${api.url}/", container: gt-loop }\n  - { name: web, probe: http, url: "${api.url}/", container: { name: gt-running, max_restarts: 5, window: 1m } }\n`)
    const bad = await runProbe(cfg.services[0]!, cfg.secrets)
    t.match(bad, { ok: false, reason: 'container' })
    t.same(bad.checks.map((c) => c.name).slice(0, 2), ['container:running', 'container:restarts'], 'the container checks come first')
    t.ok(bad.checks.some((c) => c.name === 'status' && c.ok), 'the API itself answered')
    const good = await runProbe(cfg.services[1]!, cfg.secrets)
    t.match(good, { ok: true })
    t.same(good.checks.map((c) => c.name), ['container:running', 'container:restarts', 'container:image', 'status'])
    // A closed port and an exited container: still `container` (the root cause first), the own check not evaluated.
    const down = engineConfig(engine, `  - { name: api, probe: tcp, address: "127.0.0.1:1", expect: { banner_contains: ok }, container: gt-exited }\n`)
    const both = await runProbe(down.services[0]!, down.secrets)
    t.match(both, { ok: false, reason: 'container' })
    t.match(both.checks.at(-1), { name: 'banner_contains', ok: false, detail: /^not evaluated: refused: / })
  })
}
