// The scheduler's promises: fixed cadence, cron schedules, no job running
// twice at once, and a global bound on concurrent jobs. Ticks come from a
// hand-driven clock, so no assertion depends on how busy the machine is.
import t from 'tap'
import { Limiter } from '../src/limiter.js'
import { createLogger } from '../src/log.js'
import { HOLD_MS, IN_FLIGHT_FACTOR, phase, Scheduler, type Clock, type Job } from '../src/scheduler.js'

/** A clock whose ticks happen only when the test says so. */
function manualClock() {
  const cadences = new Map<number, { kind: 'every' | 'cron'; spec: string; tick: () => void; offset?: number }>()
  const timers = new Map<number, { ms: number; fn: () => void }>()
  let next = 0
  const add = (kind: 'every' | 'cron', spec: string, tick: () => void, offset?: number) => {
    const id = next++
    cadences.set(id, { kind, spec, tick, offset })
    return () => void cadences.delete(id)
  }
  const clock: Clock = {
    every: (ms, tick, offset) => add('every', String(ms), tick, offset),
    cron: (expression, _name, tick) => add('cron', expression, tick),
    after: (ms, fn) => {
      const id = next++
      timers.set(id, { ms, fn })
      return () => void timers.delete(id)
    },
  }
  return {
    clock,
    /** Fires every live cadence once (an interval elapsed, a cron minute came round). */
    tick: () => [...cadences.values()].forEach((c) => c.tick()),
    live: () => [...cadences.values()].map((c) => `${c.kind}:${c.spec}`),
    offsets: () => [...cadences.values()].map((c) => c.offset),
    /** Fires every pending one-shot timer (their time came), returning the delays they were set for. */
    elapse: () => {
      const due = [...timers.entries()]
      for (const [id] of due) timers.delete(id)
      for (const [, timer] of due) timer.fn()
      return due.map(([, timer]) => timer.ms)
    },
  }
}

/** A job whose runs the test releases by hand. */
function gatedJob(name: string, opts: Partial<Job> = {}) {
  const gates: Array<() => void> = []
  let runs = 0
  let active = 0
  let maxActive = 0
  const job: Job = {
    name,
    fields: { service: name },
    interval: 1000,
    ...opts,
    run: () => {
      runs++
      maxActive = Math.max(maxActive, ++active)
      return new Promise<void>((resolve) =>
        gates.push(() => {
          active--
          resolve()
        }),
      )
    },
  }
  return { job, release: () => gates.splice(0).forEach((g) => g()), runs: () => runs, maxActive: () => maxActive, waiting: () => gates.length }
}

const flush = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r))
}

t.test('a slow job is never run twice at once; skipped ticks are counted, and logged once until it keeps its cadence', async (t) => {
  const logs: string[] = []
  const { clock, tick } = manualClock()
  const scheduler = new Scheduler({ concurrency: 4, log: createLogger({ write: (l) => logs.push(l) }), clock })
  const slow = gatedJob('slow')
  const first = scheduler.start([slow.job])
  await flush()
  t.equal(slow.runs(), 1, 'runs once at start')
  tick()
  tick()
  await flush()
  t.equal(slow.runs(), 1, 'ticks while it runs are skipped')
  t.equal(logs.filter((l) => /probe still running at its next tick; tick skipped/.test(l) && /"service":"slow"/.test(l)).length, 1, 'logged once, not per tick')
  t.equal(scheduler.stats.skipped.get('slow')?.count, 2, 'every skipped tick is counted')
  slow.release()
  await first
  tick()
  await flush()
  t.equal(slow.runs(), 2, 'the next tick after it finished runs it again')
  t.match(logs.join('\n'), /probe keeps its cadence again.*"service":"slow"/)
  t.equal(slow.maxActive(), 1)
  slow.release()
  await scheduler.stop()
})

t.test('at most `concurrency` jobs run at once, in arrival order', async (t) => {
  const { clock } = manualClock()
  const scheduler = new Scheduler({ concurrency: 3, log: createLogger({ write: () => {} }), clock })
  const jobs = Array.from({ length: 10 }, (_, i) => gatedJob(`s${i}`))
  const order: string[] = []
  for (const j of jobs) {
    const run = j.job.run
    j.job.run = () => (order.push(j.job.name), run())
  }
  const round = scheduler.start(jobs.map((j) => j.job))
  for (let done = 0; done < 10; ) {
    await flush()
    const running = jobs.filter((j) => j.waiting() > 0)
    t.ok(running.length <= 3, `${running.length} running at once`)
    t.same(scheduler.load, { active: running.length, queued: 10 - done - running.length, overdue: 0 })
    running.forEach((j) => j.release())
    done += running.length
  }
  await round
  t.same(order, jobs.map((j) => j.job.name))
  await scheduler.stop()
})

t.test('a cron schedule drives runs; the first run is immediate; stop ends the cadences', async (t) => {
  const { clock, tick, live } = manualClock()
  const scheduler = new Scheduler({ concurrency: 2, log: createLogger({ write: () => {} }), clock })
  let runs = 0
  const job: Job = { name: 'cron', fields: { service: 'cron' }, schedule: '* * * * * *', run: async () => void runs++ }
  await scheduler.start([job])
  t.equal(runs, 1, 'first run at start, not at the first cron tick')
  t.same(live(), ['cron:* * * * * *'])
  tick()
  await flush()
  tick()
  await flush()
  t.equal(runs, 3)
  await scheduler.stop()
  t.same(live(), [], 'no cadence left after stop')
})

t.test('start replaces the cadences of an earlier start (a reload)', async (t) => {
  const { clock, live } = manualClock()
  const scheduler = new Scheduler({ concurrency: 2, log: createLogger({ write: () => {} }), clock })
  const noop = (name: string, interval: number): Job => ({ name, fields: {}, interval, run: async () => {} })
  await scheduler.start([noop('a', 1000), noop('b', 2000)])
  await scheduler.start([noop('c', 3000)])
  t.same(live(), ['every:3000'])
  await scheduler.stop()
})

t.test('the real clock drives an interval and a cron expression', async (t) => {
  // One short real run, only to see that both kinds of cadence are wired to real timers.
  const scheduler = new Scheduler({ concurrency: 2, log: createLogger({ write: () => {} }) })
  const seen = new Set<string>()
  let resolveBoth: () => void
  const both = new Promise<void>((r) => (resolveBoth = r))
  const job = (name: string, cadence: Partial<Job>): Job => ({
    name,
    fields: {},
    ...cadence,
    run: async () => {
      if (runs[name]!++ > 0) seen.add(name)
      if (seen.size === 2) resolveBoth()
    },
  })
  const runs: Record<string, number> = { every: 0, cron: 0 }
  await scheduler.start([job('every', { interval: 20 }), job('cron', { schedule: '* * * * * *' })])
  await both
  await scheduler.stop()
  t.same([...seen].sort(), ['cron', 'every'], 'each ran again after its first run')
})

t.test('stop waits for jobs in flight; a job that throws is logged, not fatal', async (t) => {
  const logs: string[] = []
  const { clock } = manualClock()
  const scheduler = new Scheduler({ concurrency: 2, log: createLogger({ write: (l) => logs.push(l) }), clock })
  const slow = gatedJob('slow')
  const boom: Job = { name: 'boom', fields: { service: 'boom' }, run: () => Promise.reject(new Error('kaboom')) }
  void scheduler.start([slow.job, boom])
  t.same(scheduler.load, { active: 2, queued: 0, overdue: 0 })
  let stopped = false
  const stopping = scheduler.stop().then(() => (stopped = true))
  await flush()
  t.equal(stopped, false, 'stop waits for the job in flight')
  slow.release()
  await stopping
  t.match(logs.join('\n'), /probe run failed unexpectedly.*"service":"boom".*kaboom/)
})

t.test('a new concurrency applies to jobs queued from then on', async (t) => {
  const { clock } = manualClock()
  const scheduler = new Scheduler({ concurrency: 1, log: createLogger({ write: () => {} }), clock })
  scheduler.setConcurrency(1)
  const a = gatedJob('a')
  const b = gatedJob('b')
  const round = scheduler.start([a.job, b.job])
  await flush()
  t.same(scheduler.load, { active: 1, queued: 1, overdue: 0 })
  a.release()
  await flush()
  b.release()
  await round
  scheduler.setConcurrency(2)
  const c = gatedJob('c')
  const d = gatedJob('d')
  const second = scheduler.runOnce([c.job, d.job])
  await flush()
  t.same(scheduler.load, { active: 2, queued: 0, overdue: 0 })
  c.release()
  d.release()
  await second
})

t.test('jobs whose targets hang wait in a lane of their own: the healthy ones keep their cadence', async (t) => {
  const { clock, tick } = manualClock()
  const scheduler = new Scheduler({ concurrency: 4, log: createLogger({ write: () => {} }), clock })
  // Eight hanging jobs that timed out last time, four healthy ones.
  const hanging = Array.from({ length: 8 }, (_, i) => gatedJob(`hang${i}`, { lane: () => 'slow' }))
  const healthy = Array.from({ length: 4 }, (_, i) => gatedJob(`ok${i}`))
  void scheduler.start([...hanging, ...healthy].map((j) => j.job))
  await flush()
  t.equal(hanging.filter((j) => j.waiting() > 0).length, 1, 'the slow lane has a quarter of the slots (one of four)')
  t.equal(healthy.filter((j) => j.waiting() > 0).length, 4, 'every healthy job runs at once')
  for (let round = 0; round < 3; round++) {
    healthy.forEach((j) => j.release())
    await flush()
    tick()
    await flush()
  }
  t.same(healthy.map((j) => j.runs()), [4, 4, 4, 4], 'each healthy job ran at every tick while the hanging ones still hang')
  t.ok(scheduler.stats.skipped.size >= 7, 'the hanging jobs skip their ticks')
  for (const j of [...hanging, ...healthy]) j.release()
  let pending = true
  const stopping = scheduler.stop().then(() => (pending = false))
  while (pending) {
    for (const j of [...hanging, ...healthy]) j.release()
    await flush()
  }
  await stopping
})

t.test('Limiter releases its slot when a task rejects', async (t) => {
  const limiter = new Limiter(1)
  await t.rejects(limiter.run(() => Promise.reject(new Error('x'))))
  t.equal(await limiter.run(async () => 42), 42)
  t.equal(limiter.active, 0)
})

t.test('a run that outlasts HOLD_MS gives its slot back: hanging targets never hold the healthy ones up for a whole timeout', async (t) => {
  const { clock, elapse } = manualClock()
  const scheduler = new Scheduler({ concurrency: 2, log: createLogger({ write: () => {} }), clock })
  // Unknown targets (normal lane): six that hang, then three healthy ones queued behind them.
  const hanging = Array.from({ length: 6 }, (_, i) => gatedJob(`hang${i}`))
  const healthy = Array.from({ length: 3 }, (_, i) => gatedJob(`ok${i}`))
  const round = scheduler.runOnce([...hanging, ...healthy].map((j) => j.job))
  await flush()
  t.same(scheduler.load, { active: 2, queued: 7, overdue: 0 }, 'two slots, the rest wait')
  for (let i = 0; i < 3; i++) {
    t.ok(elapse().every((ms) => ms === HOLD_MS), `the early release is set for ${HOLD_MS} ms`)
    await flush()
  }
  t.same(scheduler.load, { active: 2, queued: 1, overdue: 6 }, 'the hanging runs went on without their slots')
  t.equal(healthy.filter((j) => j.waiting() > 0).length, 2, 'healthy jobs got the slots the hanging ones gave back')
  healthy.forEach((j) => j.release())
  await flush()
  healthy.forEach((j) => j.release())
  await flush()
  t.same(healthy.map((j) => j.runs()), [1, 1, 1], 'every healthy job ran while the hanging ones still hang')
  t.equal(scheduler.load.active, 0, 'a finished overdue-free run gives its slot back')
  hanging.forEach((j) => j.release())
  await round
  t.same(scheduler.load, { active: 0, queued: 0, overdue: 0 }, 'overdue runs that finish are no longer counted')
})

t.test(`slot holders and overdue runs together stay under ${IN_FLIGHT_FACTOR} × concurrency`, async (t) => {
  const { clock, elapse } = manualClock()
  const scheduler = new Scheduler({ concurrency: 1, log: createLogger({ write: () => {} }), clock })
  const hanging = Array.from({ length: IN_FLIGHT_FACTOR + 4 }, (_, i) => gatedJob(`hang${i}`))
  const round = scheduler.runOnce(hanging.map((j) => j.job))
  for (let i = 0; i < IN_FLIGHT_FACTOR + 4; i++) {
    elapse()
    await flush()
  }
  const running = hanging.filter((j) => j.waiting() > 0).length
  t.equal(running, IN_FLIGHT_FACTOR, 'no more runs in flight than the bound')
  t.same(scheduler.load, { active: 1, queued: 4, overdue: IN_FLIGHT_FACTOR - 1 }, 'at the bound the last run keeps its slot')
  let pending = true
  void round.then(() => (pending = false))
  while (pending) {
    hanging.forEach((j) => j.release())
    await flush()
  }
  t.same(hanging.map((j) => j.runs()), hanging.map(() => 1))
})

t.test('each interval job ticks at its own phase: stable, within the interval, spread out', async (t) => {
  const { clock, offsets } = manualClock()
  const scheduler = new Scheduler({ concurrency: 4, log: createLogger({ write: () => {} }), clock })
  const jobs = Array.from({ length: 200 }, (_, i) => ({ name: `probe:s${i}`, fields: {}, interval: 5000, run: async () => {} }))
  await scheduler.start(jobs)
  const seen = offsets() as number[]
  t.same(seen, jobs.map((j) => phase(j.name, 5000)), 'the offset given to the clock is the job\'s phase')
  t.ok(seen.every((o) => Number.isInteger(o) && o >= 0 && o < 5000))
  t.equal(phase('probe:s7', 5000), phase('probe:s7', 5000), 'the same name has the same phase (a restart keeps the spread)')
  // Ten buckets of 500 ms: none empty, none with more than twice its share.
  const buckets = Array.from({ length: 10 }, (_, b) => seen.filter((o) => Math.floor(o / 500) === b).length)
  t.ok(buckets.every((n) => n > 0 && n <= 40), `spread over the interval: ${buckets.join(' ')}`)
  await scheduler.stop()
})

t.test('Limiter: a woken waiter inherits the slot, so a task arriving meanwhile cannot overshoot the limit', async (t) => {
  const limiter = new Limiter(1)
  let running = 0
  let most = 0
  const task = async () => {
    most = Math.max(most, ++running)
    await new Promise((r) => setImmediate(r))
    running--
  }
  const first = limiter.run(task)
  const queued = limiter.run(task)
  await first
  // The slot passed to `queued` on release; this newcomer must wait for it.
  const late = limiter.run(task)
  await Promise.all([queued, late])
  t.equal(most, 1)
  t.equal(limiter.active, 0)
})
