// `groundtruth serve`, wired: the result store, the scheduler running every
// job of the config into it, the registry reading it, and the view the HTTP
// layer is given. Reloads swap the config only when the new one is valid.
//
// `serve --no-schedule` (a shard replica, README "Sharding") runs no job at
// all, neither probes nor the env audit: it answers /probe, /sd and its own
// health. Its /metrics carries no service series (none was measured here),
// only the process, build, config and scheduler metrics; it is ready at once
// (there is no first round to wait for); /status and the page say so.
import type { Server } from 'node:http'
import { ConfigError } from './config/errors.js'
import type { Config } from './config/load.js'
import { scheduledExposition, type ScheduledExposition } from './exposition/registries.js'
import type { SelfState } from './exposition/self.js'
import { buildStatus } from './exposition/status.js'
import { closeServer, createWebServer } from './http/listener.js'
import { targetGroups } from './http/sd.js'
import { createApp, type ReloadOutcome, type View } from './http/server.js'
import type { WebConfig } from './http/web-config.js'
import { baseDirOf, jobsFor, type JobContext } from './jobs.js'
import type { Logger } from './log.js'
import { OnDemand, unknownIn } from './on-demand.js'
import { ResultStore, type Snapshot } from './results.js'
import { Scheduler, type Clock, type Job } from './scheduler.js'
import { VERSION } from './version.js'

export interface DaemonOptions {
  /** Loads (or discovers) the configuration; called at start and on every reload. */
  load: () => Promise<Config>
  log: Logger
  /** Where a discovered config's relative paths start. */
  cwd?: string
  processEnv?: Record<string, string | undefined>
  clock?: Clock
  /**
   * False for `serve --no-schedule`: no scheduled jobs (probes, env audit);
   * services are measured only when /probe asks. Default true.
   */
  schedule?: boolean
}

/** What a replica without a schedule shows on /metrics of the services: nothing (never a stale or absent-looking series). */
const UNSCHEDULED: Snapshot = { records: [], readiness: new Map(), ratios: { overall: undefined, groups: new Map() }, complete: false, env: [] }

/** /status's one gate sentence on a replica without a schedule: there is no verdict here to pass. */
export const UNSCHEDULED_VERDICT =
  'no scheduled probes on this replica (serve --no-schedule): it measures a service only when /probe asks and keeps no result, so it has no verdict; readiness across the replicas is in Prometheus (groundtruth:ready_ratio)'

export type { ReloadOutcome } from './http/server.js'

export interface ListenOptions {
  /** The loaded `--web.config.file`: TLS, basic auth, headers. */
  web?: WebConfig
  /** `--web.enable-lifecycle`: `POST /-/reload` answers. */
  enableLifecycle?: boolean
  /** Overrides the shutdown bound (tests). */
  shutdownBoundMs?: number
}

export class Daemon {
  /** What /metrics serves: built at each scrape from the store, the scheduler and groundtruth itself. */
  readonly exposition: ScheduledExposition
  readonly store = new ResultStore()
  readonly scheduler: Scheduler
  /** /probe's runs: one process-wide limit, a bounded queue, one run per service at a time. */
  readonly onDemand: OnDemand
  readonly startedAt = Date.now()
  /** Every service has been probed once since start. */
  firstRoundDone = false
  /** Whether the daemon runs scheduled jobs (false: `serve --no-schedule`). */
  readonly scheduled: boolean
  #config: Config
  #jobs: Job[] = []
  #self: SelfState = { version: VERSION, reloadOk: true, reloadAt: Date.now() / 1000 }
  #server?: Server
  #reloading?: Promise<ReloadOutcome>
  readonly #jobContext: JobContext

  private constructor(
    config: Config,
    private readonly options: DaemonOptions,
  ) {
    this.#config = config
    this.scheduled = options.schedule ?? true
    this.#jobContext = { store: this.store, log: options.log, cwd: options.cwd ?? process.cwd(), processEnv: options.processEnv ?? process.env }
    this.store.setServices(config.services)
    this.scheduler = new Scheduler({ concurrency: config.concurrency, log: options.log, clock: options.clock })
    this.onDemand = new OnDemand({ concurrency: config.concurrency, queueLimit: Math.max(64, 4 * config.concurrency), log: options.log })
    // Without a schedule the store holds the services (for /probe) but no result: /metrics shows none of them.
    const snapshot = this.scheduled ? () => this.store.snapshot() : () => UNSCHEDULED
    this.exposition = scheduledExposition(config.kinds, { snapshot, self: () => this.#self, scheduler: () => this.scheduler.stats })
  }

  /** Loads the config; a bad one throws ConfigError and nothing starts. */
  static async create(options: DaemonOptions): Promise<Daemon> {
    return new Daemon(await options.load(), options)
  }

  get config(): Config {
    return this.#config
  }

  /** The scheduled jobs now: none before startProbing(), and never with `schedule: false`. */
  get jobs(): readonly Job[] {
    return this.#jobs
  }

  /** Starts every job; the returned promise settles when the first round is done. Without a schedule it starts nothing. */
  startProbing(): Promise<void> {
    if (!this.scheduled) return Promise.resolve()
    this.#jobs = jobsFor(this.#config, this.#jobContext)
    return this.scheduler.start(this.#jobs).then(() => {
      this.firstRoundDone = true
      this.options.log.info('first round of probes done', { services: this.#config.services.length })
    })
  }

  /** Runs the named jobs (all when none is named) now and waits for them: an audit on demand. */
  runNow(names?: string[]): Promise<void> {
    return this.scheduler.runOnce(this.#jobs.filter((j) => !names || names.includes(j.name)))
  }

  /** Reloads the config; on any problem the old one stays in force. Concurrent calls share one reload. */
  reload(): Promise<ReloadOutcome> {
    this.#reloading ??= this.#reload().finally(() => (this.#reloading = undefined))
    return this.#reloading
  }

  async #reload(): Promise<ReloadOutcome> {
    let config: Config
    try {
      config = await this.options.load()
    } catch (err) {
      this.#self = { ...this.#self, reloadOk: false }
      const error = err instanceof ConfigError ? err.message : String(err)
      this.options.log.error('config reload failed; the previous config stays in force', { error })
      return { ok: false, error }
    }
    this.#config = config
    this.store.setServices(config.services)
    this.scheduler.setConcurrency(config.concurrency)
    void this.startProbing()
    this.#self = { ...this.#self, reloadOk: true, reloadAt: Date.now() / 1000 }
    this.options.log.info('config reloaded', { file: config.file, services: config.services.length })
    return { ok: true }
  }

  /** What the HTTP layer sees. */
  view(): View {
    return {
      metrics: () => this.exposition.metrics(),
      unknownIn: (selection) => unknownIn(this.#config, selection),
      probe: (selection) => this.onDemand.probe(this.#config, this.store, selection, baseDirOf(this.#config, this.#jobContext.cwd)),
      status: () => ({
        version: VERSION,
        started_at: new Date(this.startedAt).toISOString(),
        config: { file: this.#config.file, last_reload_successful: this.#self.reloadOk, last_reload_success_at: new Date(this.#self.reloadAt * 1000).toISOString() },
        scheduler: this.scheduler.load,
        scheduled: this.scheduled,
        ...this.#statusDocument(),
      }),
      targetGroups: () => targetGroups(this.#config.services),
      // Without a schedule there is no first round to wait for.
      ready: () => !this.scheduled || this.firstRoundDone,
      reload: () => this.reload(),
    }
  }

  /**
   * The status document. Without a schedule the services are listed as
   * configured (all `pending`: never probed here), with no ratios, no page
   * refresh and one gate sentence saying why, rather than a 0% that nobody
   * measured and a verdict failing for services this replica never probes.
   */
  #statusDocument(): ReturnType<typeof buildStatus> {
    const doc = buildStatus(this.store.snapshot(), this.#config)
    if (this.scheduled) return doc
    return { ...doc, refresh_seconds: null, complete: false, ready_ratio: null, groups: {}, gates: { ...doc.gates, passed: false, failures: [UNSCHEDULED_VERDICT] } }
  }

  /**
   * Starts the HTTP(S) server; resolves once it listens. `web` is the loaded
   * `--web.config.file`, `enableLifecycle` is `--web.enable-lifecycle`.
   */
  listen(port: number, host?: string, options: ListenOptions = {}): Promise<Server> {
    const app = createApp(this.view(), this.options.log, { web: options.web, enableLifecycle: options.enableLifecycle })
    const server = createWebServer(app, { tls: options.web?.tls, shutdownBoundMs: options.shutdownBoundMs, log: this.options.log })
    this.#server = server
    return new Promise((resolve, reject) => {
      server.once('error', reject)
      server.listen({ port, host }, () => {
        server.off('error', reject)
        resolve(server)
      })
    })
  }

  /**
   * Stops probing and closes the server at the same time: probes in flight
   * end within their timeouts, connections within SHUTDOWN_BOUND_MS whatever
   * the clients do (idle and half-sent ones at once).
   */
  async stop(): Promise<void> {
    const server = this.#server
    await Promise.all([this.scheduler.stop(), server ? closeServer(server) : undefined])
  }
}
