// `groundtruth serve`, wired: the result store, the scheduler running every
// job of the config into it, the registry reading it, and the view the HTTP
// layer is given. Reloads swap the config only when the new one is valid.
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
import { ResultStore } from './results.js'
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
}

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
    this.#jobContext = { store: this.store, log: options.log, cwd: options.cwd ?? process.cwd(), processEnv: options.processEnv ?? process.env }
    this.store.setServices(config.services)
    this.scheduler = new Scheduler({ concurrency: config.concurrency, log: options.log, clock: options.clock })
    this.onDemand = new OnDemand({ concurrency: config.concurrency, queueLimit: Math.max(64, 4 * config.concurrency), log: options.log })
    this.exposition = scheduledExposition(config.kinds, { snapshot: () => this.store.snapshot(), self: () => this.#self, scheduler: () => this.scheduler.stats })
  }

  /** Loads the config; a bad one throws ConfigError and nothing starts. */
  static async create(options: DaemonOptions): Promise<Daemon> {
    return new Daemon(await options.load(), options)
  }

  get config(): Config {
    return this.#config
  }

  /** Starts every job; the returned promise settles when the first round is done. */
  startProbing(): Promise<void> {
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
        ...buildStatus(this.store.snapshot(), this.#config),
      }),
      targetGroups: () => targetGroups(this.#config.services),
      ready: () => this.firstRoundDone,
      reload: () => this.reload(),
    }
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
