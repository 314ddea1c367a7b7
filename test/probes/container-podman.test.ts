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
import { runProbe } from '../../src/runner.js'
import { IMAGE, podmanMissing, startPodman, type TestPodman } from '../helpers/podman.js'
import { containerScenarios, engineConfig, until } from './container-scenarios.js'

const missing = podmanMissing()
if (missing) {
  t.fail(`podman cannot run: ${missing}`)
} else {
  const engine = await startPodman()
  t.teardown(() => engine.stop())
  await containerScenarios(t, {
    name: 'podman',
    host: engine.host,
    image: IMAGE,
    cli: engine.podman,
    // No systemd here, so Podman starts no healthcheck timer: the check is run by hand (it exits 1 when unhealthy).
    runHealthcheck: async (name) => void (await engine.podman('healthcheck', 'run', name).catch(() => '')),
  })
  await podmanOnly(engine)
}

async function podmanOnly(engine: TestPodman) {
  const p = engine.podman
  t.test('a restart loop Podman shows as running: judged by the growth of its count once the window is watched through (podman)', async (t) => {
    // A container of its own, so a history of its own (services sharing a
    // container share it). Probed from its first seconds, every half second,
    // until a whole 5s window has been watched: then the growth alone counts.
    await p('run', '-d', '--network', 'none', '--restart=always', '--name', 'gt-loop2', IMAGE, 'sh', '-c', `echo "Error: Cannot find module 'openai'" >&2; exit 1`)
    const cfg = engineConfig({ name: 'podman', host: engine.host, image: IMAGE, cli: p }, `  - { name: looped, probe: container, container: { name: gt-loop2, max_restarts: 3, window: 5s } }\n`)
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

}
