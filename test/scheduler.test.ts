// The scheduler's promises: fixed cadence, cron schedules, no service
// running twice at once, and a global bound on concurrent probes.
import t from 'tap'
import { parseConfig } from '../src/config/load.js'
import { Limiter } from '../src/limiter.js'
import { createLogger } from '../src/log.js'
import { Scheduler } from '../src/scheduler.js'
import { PROBE_KINDS } from '../probes/index.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function services(yaml: string) {
  return parseConfig(yaml, 'sched.yml', PROBE_KINDS).services
}

t.test('a slow probe is never run twice at once; skipped ticks are logged', async (t) => {
  const logs: string[] = []
  let active = 0
  let maxActive = 0
  let runs = 0
  const scheduler = new Scheduler({
    concurrency: 4,
    log: createLogger({ write: (l) => logs.push(l) }),
    run: async () => {
      runs++
      maxActive = Math.max(maxActive, ++active)
      await sleep(250)
      active--
    },
  })
  await scheduler.start(services('services: [{ name: slow, probe: tcp, address: "h:1", interval: 100ms, timeout: 100ms }]'))
  await sleep(600)
  await scheduler.stop()
  t.equal(maxActive, 1)
  t.ok(runs >= 2 && runs <= 4, `${runs} runs in ~850 ms at a 250 ms probe`)
  t.match(logs.join('\n'), /probe still running at its next tick; tick skipped/)
  t.match(logs.join('\n'), /"service":"slow"/)
})

t.test('at most `concurrency` probes run at once, in arrival order', async (t) => {
  let active = 0
  let maxActive = 0
  const order: string[] = []
  const scheduler = new Scheduler({
    concurrency: 3,
    log: createLogger({ write: () => {} }),
    run: async (s) => {
      order.push(s.name)
      maxActive = Math.max(maxActive, ++active)
      await sleep(30)
      active--
    },
  })
  const list = services(`services:\n${Array.from({ length: 10 }, (_, i) => `  - { name: s${i}, probe: tcp, address: "h:1", interval: 1h }`).join('\n')}`)
  await scheduler.start(list)
  await scheduler.stop()
  t.equal(maxActive, 3)
  t.same(order, list.map((s) => s.name))
})

t.test('a cron schedule drives runs (and the first run is immediate)', async (t) => {
  const at: number[] = []
  const scheduler = new Scheduler({ concurrency: 2, log: createLogger({ write: () => {} }), run: async () => void at.push(Date.now()) })
  const started = Date.now()
  await scheduler.start(services('services: [{ name: cron, probe: tcp, address: "h:1", schedule: "* * * * * *" }]'))
  t.ok(at[0]! - started < 200, 'first run at start, not at the first cron tick')
  await sleep(2200)
  await scheduler.stop()
  const count = at.length
  t.ok(count >= 2 && count <= 4, `${count} runs in 2.2 s at one per second`)
  await sleep(1100)
  t.equal(at.length, count, 'no run after stop')
})

t.test('stop waits for probes in flight; a run that throws is logged, not fatal', async (t) => {
  const logs: string[] = []
  let finished = false
  const scheduler = new Scheduler({
    concurrency: 2,
    log: createLogger({ write: (l) => logs.push(l) }),
    run: async (s) => {
      if (s.name === 'boom') throw new Error('kaboom')
      await sleep(100)
      finished = true
    },
  })
  void scheduler.start(services('services: [{ name: slow, probe: tcp, address: "h:1" }, { name: boom, probe: tcp, address: "h:1" }]'))
  t.same(scheduler.load, { active: 2, queued: 0 })
  await scheduler.stop()
  t.equal(finished, true)
  t.match(logs.join('\n'), /probe run failed unexpectedly.*kaboom/)
})

t.test('Limiter releases its slot when a task rejects', async (t) => {
  const limiter = new Limiter(1)
  await t.rejects(limiter.run(() => Promise.reject(new Error('x'))))
  t.equal(await limiter.run(async () => 42), 42)
  t.equal(limiter.active, 0)
})
