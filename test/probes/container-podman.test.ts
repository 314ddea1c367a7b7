// The container probe against the second real engine: Debian's rootful
// Podman with runc, its Docker-compatible API served on a private socket by
// this test (test/helpers/podman.ts), a busybox image imported here,
// containers with --network none. The same states as against dockerd
// (container.test.ts), with Podman's own ways:
// - a restart loop (`--restart=always`, no backoff) is seen as `running` or
//   `exited` depending on the instant, with a growing RestartCount and never a
//   Restarting flag: the count is polled for, never asserted exactly, and the
//   probe must call it a loop either way;
// - State.Health.Status is "" without a healthcheck;
// - without systemd no healthcheck timer runs, so the check is run by hand
//   (`podman healthcheck run`).
import t from 'tap'
import { PROBE_KINDS } from '../../probes/index.js'
import { parseConfig } from '../../src/config/load.js'
import { runProbe } from '../../src/runner.js'
import { harness } from '../helpers/round.js'
import { find, parseExposition, value } from '../helpers/metrics.js'
import { IMAGE, podmanMissing, startPodman, type TestPodman } from '../helpers/podman.js'
import { httpServer } from '../helpers/servers.js'

const missing = podmanMissing()
if (missing) {
  t.fail(`podman cannot run: ${missing}`)
} else {
  const engine = await startPodman()
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

function config(engine: TestPodman, services: string) {
  return parseConfig(`docker: { host: "${engine.host}" }\ndefaults: { timeout: 5s }\nservices:\n${services}`, 'containers.yml', PROBE_KINDS, {})
}

async function scenarios(engine: TestPodman) {
  const p = engine.podman
  await p('run', '-d', '--network', 'none', '--name', 'gt-running', IMAGE, 'sleep', '3600')
  await p('run', '-d', '--network', 'none', '--name', 'gt-exited', IMAGE, 'sh', '-c', 'echo starting; exit 255')
  await p('run', '-d', '--network', 'none', '--restart=always', '--name', 'gt-loop', IMAGE, 'sh', '-c', `echo booting; echo "Error: Cannot find module 'openai'" >&2; exit 1`)
  await p('run', '-d', '--network', 'none', '--name', 'gt-sick', '--health-cmd', 'false', '--health-interval', '1s', '--health-retries', '1', IMAGE, 'sleep', '3600')
  await p('tag', IMAGE, 'localhost/gt-untagged:1')
  await p('run', '-d', '--network', 'none', '--name', 'gt-imageless', 'localhost/gt-untagged:1', 'sleep', '3600')
  await p('rmi', 'localhost/gt-untagged:1')
  await until('the exited container', async () => (await p('inspect', '-f', '{{.State.Status}}', 'gt-exited')) === 'exited')
  await until('three restarts', async () => Number(await p('inspect', '-f', '{{.RestartCount}}', 'gt-loop')) >= 3)
  // No systemd here, so Podman starts no healthcheck timer: the check is run by hand (it exits 1 when unhealthy).
  await until('unhealthy', async () => {
    await p('healthcheck', 'run', 'gt-sick').catch(() => '')
    return (await p('inspect', '-f', '{{.State.Health.Status}}', 'gt-sick')) === 'unhealthy'
  })

  const all = config(
    engine,
    ['running', 'exited', 'loop', 'sick', 'imageless', 'nowhere'].map((n) => `  - { name: ${n}, group: containers, probe: container, container: gt-${n} }\n`).join(''),
  )
  const h = harness(all)
  await h.runAll()
  const s = parseExposition(await h.registry.metrics())
  const result = (name: string) => h.store.get(name)!.last!

  t.test('states on the real engine (podman)', async (t) => {
    t.match(result('running'), { ok: true })
    t.same(result('running').checks.map((c) => [c.name, c.ok]), [['container:running', true], ['container:restarts', true], ['container:image', true]], 'Health.Status "" is no healthcheck')
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

  t.test('a restart loop Podman shows as running: judged by the growth of its count once the window is watched through (podman)', async (t) => {
    // A container of its own, so a history of its own (services sharing a
    // container share it). Probed from its first seconds, every half second,
    // until a whole 5s window has been watched: then the growth alone counts.
    await p('run', '-d', '--network', 'none', '--restart=always', '--name', 'gt-loop2', IMAGE, 'sh', '-c', `echo "Error: Cannot find module 'openai'" >&2; exit 1`)
    const cfg = config(engine, `  - { name: looped, probe: container, container: { name: gt-loop2, max_restarts: 3, window: 5s } }\n`)
    const first = Date.now()
    const states = new Set<string>()
    let last: Awaited<ReturnType<typeof runProbe>> | undefined
    await until(
      'a loop judged after the window',
      async () => {
        last = await runProbe(cfg.services[0]!, cfg.secrets)
        states.add(String(last.facts.container?.state))
        return Date.now() - first > 6_000 && last.checks.some((c) => c.name === 'container:restarts' && !c.ok)
      },
      120,
    )
    t.comment(`states seen: ${[...states].join(', ')}; last: ${last!.checks.find((c) => c.name === 'container:restarts')!.detail}`)
    t.match(last, { ok: false, reason: 'container' })
    t.match(last!.checks.find((c) => c.name === 'container:restarts'), { ok: false, detail: /^\d+ restarts within 5s \(a loop from 3; \d+ since created\)/ })
    t.equal(last!.facts.container?.lastWords, "Error: Cannot find module 'openai'")
    t.notOk(states.has('restarting'), 'never `restarting`: Podman sets no Restarting flag')
  })

  t.test('container: on an http service: the container is the root cause, its checks first (podman)', async (t) => {
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
    const down = config(engine, `  - { name: api, probe: tcp, address: "127.0.0.1:1", expect: { banner_contains: ok }, container: gt-exited }\n`)
    const both = await runProbe(down.services[0]!, down.secrets)
    t.match(both, { ok: false, reason: 'container' })
    t.match(both.checks.at(-1), { name: 'banner_contains', ok: false, detail: /^not evaluated: refused: / })
  })
}
