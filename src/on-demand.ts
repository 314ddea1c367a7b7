// `/probe`: the selected services probed now, answered with their metrics
// only (the Prometheus multi-target pattern). Nothing is recorded: the
// scheduler's view stays the scheduler's.
//
// What they depend on (transitively) is probed now too, and only used to
// judge their readiness: when Prometheus shards services over replicas
// (README "Sharding"), a service and its dependency often land on different
// replicas, and this one's scheduler may never have measured the dependency.
// The dependency's own series stay out of the answer: its replica exports
// them, and a second copy would double-count in every sum.
//
// All /probe work shares one process-wide limit with a bounded queue, so a
// hundred parallel scrapes never become a hundred times the concurrency in
// connections to a database; concurrent requests share one run of each
// service (single flight), dependencies included; a full queue answers 503
// with Retry-After. A dependency that /probe measured less than its interval
// ago is not probed again for a dependent: Prometheus spreads a job's scrapes
// over its interval, so without that a database that ten services on this
// replica depend on would run ten times an interval, where its own scheduler
// would run it once. An asked service is always probed now. No run waits on
// another while holding a slot (a service's probe does not need its
// dependencies' results, only the verdict does), so dependencies queued
// behind their dependents cannot deadlock.
import type { Config, ServiceConfig } from './config/load.js'
import { probedExposition } from './exposition/registries.js'
import type { Busy, Exposition, Selection } from './http/server.js'
import { probeService } from './jobs.js'
import { Limiter } from './limiter.js'
import type { Logger } from './log.js'
import type { ResultStore } from './results.js'
import type { RunResult } from './runner.js'

/** Names and groups of the selection that the config does not have. */
export function unknownIn(config: Config, selection: Selection): string[] {
  const byName = indexOf(config)
  const groups = selection.groups.length ? new Set(config.services.map((s) => s.group)) : new Set<string>()
  return [...selection.services.filter((n) => !byName.has(n)), ...selection.groups.filter((g) => !groups.has(g))]
}

export interface OnDemandOptions {
  concurrency: number
  /** Runs that may wait for a slot; more is a 503. */
  queueLimit: number
  log: Logger
  /** Wall-clock ms, as RunResult.finishedAt (tests move it). */
  now?: () => number
}

export class OnDemand {
  #limiter: Limiter
  /** Runs in flight, by service (a reload brings new service objects, and so new runs). */
  readonly #inflight = new Map<ServiceConfig, Promise<RunResult>>()
  /** The last on-demand result per service: reused for dependents within its interval, and for the logs of a replica whose scheduler has not measured it (a sharded one). */
  readonly #last = new WeakMap<ServiceConfig, RunResult>()
  readonly #now: () => number

  constructor(private readonly options: OnDemandOptions) {
    this.#limiter = new Limiter(options.concurrency)
    this.#now = options.now ?? Date.now
  }

  get load(): { active: number; queued: number; inflight: number } {
    return { active: this.#limiter.active, queued: this.#limiter.queued, inflight: this.#inflight.size }
  }

  async probe(config: Config, store: ResultStore, selection: Selection, baseDir: string): Promise<Exposition | Busy> {
    // By name through the config's index: a scrape of one service costs the same at 10,000 services as at 10.
    const chosen = selection.groups.length
      ? config.services.filter((s) => selection.services.includes(s.name) || selection.groups.includes(s.group))
      : [...new Set(selection.services.flatMap((n) => indexOf(config).get(n) ?? []))]
    const asked = new Set(chosen)
    const needed = withDependencies(config, chosen).map((service) => ({ service, recent: asked.has(service) ? undefined : this.#recent(service) }))
    const toRun = needed.filter((n) => !n.recent).map((n) => n.service)
    // Every run this request would start counts against the queue, its dependencies' too.
    const fresh = toRun.filter((s) => !this.#inflight.has(s)).length
    const free = Math.max(0, this.#limiter.limit - this.#limiter.active)
    if (this.#limiter.queued + Math.max(0, fresh - free) > this.options.queueLimit) return { busy: true, retryAfterSeconds: Math.max(1, Math.ceil(Math.max(...toRun.map((s) => s.timeout)) / 1000)) }
    const results = await Promise.all(needed.map((n) => n.recent ?? this.#run(n.service, config, baseDir, store)))
    // Only these results (the asked services' run now), no registry kept between requests (as blackbox_exporter); only the asked services shown.
    return probedExposition(config.kinds, store.snapshotWith(results, chosen.map((s) => s.name)))
  }

  #run(service: ServiceConfig, config: Config, baseDir: string, store: ResultStore): Promise<RunResult> {
    const running = this.#inflight.get(service)
    if (running) return running
    // Logged against the last known result: a scrape of a service known to be down adds no info line.
    const wasOk = store.get(service.name)?.last?.ok ?? this.#last.get(service)?.ok
    const run = this.#limiter
      .run(() => probeService(service, config, this.options.log, baseDir, wasOk))
      .then((result) => {
        this.#last.set(service, result)
        return result
      })
      .finally(() => this.#inflight.delete(service))
    this.#inflight.set(service, run)
    return run
  }

  /**
   * The last /probe result of `service` if it finished less than its interval
   * ago. Keyed by the service's config object, so a reload (new objects)
   * starts afresh; a cron-scheduled service has no interval to go by. The
   * scheduler's results are not used: after a reload the store keeps a
   * service's last run, which may be of its old address.
   */
  #recent(service: ServiceConfig): RunResult | undefined {
    const last = this.#last.get(service)
    return last && service.interval !== undefined && this.#now() - last.finishedAt < service.interval ? last : undefined
  }
}

/** Each config's services by name, built once per (re)load: /probe looks dependencies up on every scrape. */
const INDEX = new WeakMap<Config, ReadonlyMap<string, ServiceConfig>>()

function indexOf(config: Config): ReadonlyMap<string, ServiceConfig> {
  let byName = INDEX.get(config)
  if (!byName) INDEX.set(config, (byName = new Map(config.services.map((s) => [s.name, s]))))
  return byName
}

/** `chosen` and everything they depend on, transitively, each once; the chosen first, in their order. */
export function withDependencies(config: Config, chosen: readonly ServiceConfig[]): ServiceConfig[] {
  const byName = indexOf(config)
  const seen = new Set(chosen)
  // Config validation rejects unknown names and cycles; the set guards shared dependencies (diamonds).
  for (const service of seen) {
    for (const name of service.depends_on) {
      const dep = byName.get(name)
      if (dep) seen.add(dep)
    }
  }
  return [...seen]
}
