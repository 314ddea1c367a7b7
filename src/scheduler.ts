// Runs every periodic job on its own cadence: each service's probe, the env
// audit, and whatever else keeps the result store fresh. A cadence is a fixed
// `interval` or a node-cron `schedule`. A job never runs twice at once (a
// tick that finds it still running is skipped, counted, and logged once until
// the job keeps its cadence again), and at most `concurrency` jobs run at all.
//
// Two lanes: a job whose last run hung until its timeout (a tarpit, a dead
// host that drops packets) waits in a lane of its own with a quarter of the
// slots, so hanging targets cannot hold every slot for a whole timeout and
// starve the healthy ones, which keep their cadence.
import cron from 'node-cron'
import { Limiter } from './limiter.js'
import type { Logger } from './log.js'

export interface Job {
  /** Unique among the jobs: the no-overlap guard and the logs use it. */
  name: string
  /** Log fields naming what the job is about (`{ service: 'api' }`). */
  fields: Record<string, string>
  interval?: number
  schedule?: string
  /** `slow` for a job whose last run hung until its timeout: it waits in its own lane. */
  lane?(): Lane
  /** Does the work and records it. Should not reject; a rejection is logged. */
  run(): Promise<void>
}

export type Lane = 'normal' | 'slow'

/** What the scheduler's own metrics show. */
export interface SchedulerStats {
  active: number
  queued: number
  /** Ticks skipped because the job was still running, by job name. */
  skipped: ReadonlyMap<string, { fields: Record<string, string>; count: number }>
}

/** Where ticks come from: real timers, or a test's hand-driven clock. */
export interface Clock {
  every(ms: number, tick: () => void): () => void
  cron(expression: string, name: string, tick: () => void): () => void
}

export const realClock: Clock = {
  every(ms, tick) {
    // Fixed rate from the first tick: each tick is `interval` after the previous one, however long the run took.
    const timer = setInterval(tick, ms)
    return () => clearInterval(timer)
  },
  cron(expression, name, tick) {
    const task = cron.schedule(expression, tick, { name })
    return () => void task.destroy()
  },
}

export interface SchedulerOptions {
  concurrency: number
  log: Logger
  clock?: Clock
}

export class Scheduler {
  #lanes: Record<Lane, Limiter>
  readonly #clock: Clock
  readonly #skipped = new Map<string, { fields: Record<string, string>; count: number }>()
  /** Jobs that skipped their last tick: logged once, until they keep their cadence again. */
  readonly #lagging = new Set<string>()
  readonly #stops: Array<() => void> = []
  readonly #running = new Set<string>()
  readonly #inflight = new Set<Promise<void>>()

  constructor(private readonly options: SchedulerOptions) {
    this.#lanes = lanes(options.concurrency)
    this.#clock = options.clock ?? realClock
  }

  /** Jobs queued or running now, for /status. */
  get load(): { active: number; queued: number } {
    const { normal, slow } = this.#lanes
    return { active: normal.active + slow.active, queued: normal.queued + slow.queued }
  }

  get stats(): SchedulerStats {
    return { ...this.load, skipped: this.#skipped }
  }

  /**
   * Starts the cadence of each job (replacing any earlier set). Every job also
   * runs once right away, whatever its schedule, so readiness is known without
   * waiting for a cron expression to come round. Resolves when that first
   * round is done.
   */
  start(jobs: readonly Job[]): Promise<void> {
    this.#stopCadences()
    for (const job of jobs) {
      if (job.schedule !== undefined) this.#stops.push(this.#clock.cron(job.schedule, `groundtruth:${job.name}`, () => void this.trigger(job)))
      else if (job.interval !== undefined) this.#stops.push(this.#clock.every(job.interval, () => void this.trigger(job)))
    }
    return this.runOnce(jobs)
  }

  /** Runs each job once now (skipping those already running) and waits for all. */
  async runOnce(jobs: readonly Job[]): Promise<void> {
    await Promise.all(jobs.map((j) => this.trigger(j)))
  }

  /** Stops all cadences and waits for jobs in flight (each bounded by its timeout). */
  async stop(): Promise<void> {
    this.#stopCadences()
    await Promise.all([...this.#inflight])
  }

  /**
   * For a reload: new concurrency applies to jobs queued from now on; jobs in
   * flight finish under the old limit and keep their no-overlap guard.
   */
  setConcurrency(concurrency: number): void {
    if (concurrency !== this.#lanes.normal.limit) this.#lanes = lanes(concurrency)
  }

  #stopCadences(): void {
    for (const stop of this.#stops.splice(0)) stop()
  }

  trigger(job: Job): Promise<void> {
    if (this.#running.has(job.name)) {
      const skipped = this.#skipped.get(job.name) ?? { fields: job.fields, count: 0 }
      skipped.count++
      this.#skipped.set(job.name, skipped)
      if (!this.#lagging.has(job.name)) {
        this.#lagging.add(job.name)
        this.options.log.warn('probe still running at its next tick; tick skipped (logged once until it keeps its cadence)', job.fields)
      }
      return Promise.resolve()
    }
    if (this.#lagging.delete(job.name)) this.options.log.info('probe keeps its cadence again', job.fields)
    this.#running.add(job.name)
    const done = this.#lanes[job.lane?.() ?? 'normal']
      .run(() => job.run())
      .catch((err: unknown) => this.options.log.error('probe run failed unexpectedly', { ...job.fields, error: String(err) }))
      .finally(() => {
        this.#running.delete(job.name)
        this.#inflight.delete(done)
      })
    this.#inflight.add(done)
    return done
  }
}

/** The normal lane has the configured slots; hanging jobs share a quarter of them (at least one). */
function lanes(concurrency: number): Record<Lane, Limiter> {
  return { normal: new Limiter(concurrency), slow: new Limiter(Math.max(1, Math.ceil(concurrency / 4))) }
}
