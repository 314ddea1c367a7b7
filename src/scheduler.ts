// Runs every periodic job on its own cadence: each service's probe, the env
// audit, and whatever else keeps the result store fresh. A cadence is a fixed
// `interval` or a node-cron `schedule`. A job never runs twice at once (a
// tick that finds it still running is skipped, counted, and logged once until
// the job keeps its cadence again), and at most `concurrency` jobs hold a slot.
//
// The concurrency model, chosen from the 1,000-service bench (bench/scale.ts):
// - Phases: each interval job ticks at its own offset within the interval
//   (from a hash of its name, as Prometheus spreads its scrapes), so a
//   thousand services are a steady trickle, not a burst every interval that
//   stalls the event loop and /metrics.
// - Slots are held briefly: a run still going after HOLD_MS gives its slot
//   back and waits for its target's timeout without one. A tarpit costs a
//   socket and a timer, never a slot for its whole timeout; slot holders and
//   overdue runs together stay under IN_FLIGHT_FACTOR × concurrency.
// - Two lanes: a job whose last run hung until its timeout (a tarpit, a dead
//   host that drops packets) waits in a lane of its own with a quarter of the
//   slots, so hanging targets never queue ahead of healthy ones.
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
  /** Jobs holding a slot. */
  active: number
  queued: number
  /** Jobs still running after giving their slot back (waiting on a slow target). */
  overdue: number
  /** Ticks skipped because the job was still running, by job name. */
  skipped: ReadonlyMap<string, { fields: Record<string, string>; count: number }>
}

/** Where ticks come from: real timers, or a test's hand-driven clock. */
export interface Clock {
  /** Ticks every `ms`, the first at `ms + offsetMs` from now. */
  every(ms: number, tick: () => void, offsetMs: number): () => void
  cron(expression: string, name: string, tick: () => void): () => void
  /** Calls `fn` once after `ms` (a slot given back early). */
  after(ms: number, fn: () => void): () => void
}

/** A run still going after this long gives its slot back (healthy probes here take 1–50 ms; see the README's concurrency model). */
export const HOLD_MS = 250
/** Slot holders and overdue runs together: this many times the concurrency. */
export const IN_FLIGHT_FACTOR = 16

export const realClock: Clock = {
  every(ms, tick, offsetMs) {
    // Fixed rate: each tick is `interval` after the previous one, however long the run took.
    let timer: NodeJS.Timeout = setTimeout(() => {
      tick()
      timer = setInterval(tick, ms)
    }, ms + offsetMs)
    return () => {
      clearTimeout(timer)
      clearInterval(timer)
    }
  },
  after(ms, fn) {
    const timer = setTimeout(fn, ms)
    return () => clearTimeout(timer)
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
    this.#clock = options.clock ?? realClock
    this.#lanes = lanes(options.concurrency, this.#clock)
  }

  /** Jobs queued or running now, for /status. */
  get load(): { active: number; queued: number; overdue: number } {
    const { normal, slow } = this.#lanes
    return { active: normal.active + slow.active, queued: normal.queued + slow.queued, overdue: normal.overdue + slow.overdue }
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
      else if (job.interval !== undefined) this.#stops.push(this.#clock.every(job.interval, () => void this.trigger(job), phase(job.name, job.interval)))
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
    if (concurrency !== this.#lanes.normal.limit) this.#lanes = lanes(concurrency, this.#clock)
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
function lanes(concurrency: number, clock: Clock): Record<Lane, Limiter> {
  const options = { holdMs: HOLD_MS, maxInFlight: IN_FLIGHT_FACTOR * concurrency, after: clock.after }
  return { normal: new Limiter(concurrency, options), slow: new Limiter(Math.max(1, Math.ceil(concurrency / 4)), options) }
}

/** A job's offset within its interval: stable across restarts and reloads, spread evenly over the interval (FNV-1a of the name). */
export function phase(name: string, interval: number): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193)
  return (hash >>> 0) % interval
}
