// Runs every service on its own cadence: a fixed `interval`, or a node-cron
// `schedule`. A service never runs twice at once (a tick that finds it still
// running is skipped and logged), and at most `concurrency` probes run at all.
import cron, { type ScheduledTask } from 'node-cron'
import type { ServiceConfig } from './config/load.js'
import { Limiter } from './limiter.js'
import type { Logger } from './log.js'

export interface SchedulerOptions {
  concurrency: number
  /** Probes one service and records the result. Must not reject. */
  run: (service: ServiceConfig) => Promise<void>
  log: Logger
}

export class Scheduler {
  #limiter: Limiter
  readonly #stops: Array<() => void> = []
  readonly #running = new Set<string>()
  readonly #inflight = new Set<Promise<void>>()

  constructor(private readonly options: SchedulerOptions) {
    this.#limiter = new Limiter(options.concurrency)
  }

  /** Probes queued or running now, for /status. */
  get load(): { active: number; queued: number } {
    return { active: this.#limiter.active, queued: this.#limiter.queued }
  }

  /**
   * Starts the cadence of each service. Every service also runs once right
   * away, whatever its schedule, so readiness is known without waiting for a
   * cron expression to come round. Resolves when that first round is done.
   */
  start(services: readonly ServiceConfig[]): Promise<void> {
    this.#stopCadences()
    for (const service of services) {
      if (service.schedule !== undefined) this.#stops.push(this.#cron(service, service.schedule))
      else this.#stops.push(this.#every(service, service.interval!))
    }
    return this.runOnce(services)
  }

  /** Runs each service once now (skipping those already running) and waits for all. */
  async runOnce(services: readonly ServiceConfig[]): Promise<void> {
    await Promise.all(services.map((s) => this.trigger(s)))
  }

  /** Stops all cadences and waits for probes in flight (each bounded by its timeout). */
  async stop(): Promise<void> {
    this.#stopCadences()
    await Promise.all([...this.#inflight])
  }

  /**
   * For a reload: new concurrency applies to probes queued from now on;
   * probes in flight finish under the old limit and keep their no-overlap guard.
   */
  setConcurrency(concurrency: number): void {
    if (concurrency !== this.#limiter.limit) this.#limiter = new Limiter(concurrency)
  }

  #stopCadences(): void {
    for (const stop of this.#stops.splice(0)) stop()
  }

  trigger(service: ServiceConfig): Promise<void> {
    if (this.#running.has(service.name)) {
      this.options.log.warn('probe still running at its next tick; tick skipped', { service: service.name })
      return Promise.resolve()
    }
    this.#running.add(service.name)
    const done = this.#limiter
      .run(() => this.options.run(service))
      .catch((err: unknown) => this.options.log.error('probe run failed unexpectedly', { service: service.name, error: String(err) }))
      .finally(() => {
        this.#running.delete(service.name)
        this.#inflight.delete(done)
      })
    this.#inflight.add(done)
    return done
  }

  #every(service: ServiceConfig, intervalMs: number): () => void {
    // Fixed rate from the first tick: each tick is `interval` after the previous one, however long the probe took.
    const timer = setInterval(() => void this.trigger(service), intervalMs)
    return () => clearInterval(timer)
  }

  #cron(service: ServiceConfig, expression: string): () => void {
    const task: ScheduledTask = cron.schedule(expression, () => void this.trigger(service), { name: `groundtruth:${service.name}` })
    return () => void task.destroy()
  }
}
