// `groundtruth serve`: the scheduler probing in the background, the HTTP
// server answering from cached results, and reloads that swap the config
// only when the new one is valid.
import { createServer, type Server } from 'node:http'
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client'
import { ConfigError } from './config/errors.js'
import type { Config } from './config/load.js'
import { Engine } from './engine.js'
import type { Logger } from './log.js'
import { registerEnvMetrics } from './env-metrics.js'
import { registerResultMetrics } from './metrics.js'
import { Scheduler } from './scheduler.js'
import { createApp } from './server.js'
import { VERSION } from './version.js'

export interface DaemonOptions {
  /** Loads (or discovers) the configuration; called at start and on every reload. */
  load: () => Promise<Config>
  log: Logger
}

export interface ReloadOutcome {
  ok: boolean
  error?: string
}

export class Daemon {
  readonly registry = new Registry()
  readonly engine: Engine
  readonly scheduler: Scheduler
  readonly startedAt = Date.now()
  /** Every service has been probed once since start. */
  firstRoundDone = false
  #reloadOk = 1
  #reloadAt = Date.now() / 1000
  #server?: Server
  #reloading?: Promise<ReloadOutcome>
  #envTimer?: NodeJS.Timeout

  private constructor(
    config: Config,
    private readonly options: DaemonOptions,
  ) {
    this.engine = new Engine(config, options.log)
    this.scheduler = new Scheduler({ concurrency: config.concurrency, run: (s) => this.engine.probeAndRecord(s), log: options.log })
    this.#registerMetrics()
  }

  /** Loads the config; a bad one throws ConfigError and nothing starts. */
  static async create(options: DaemonOptions): Promise<Daemon> {
    return new Daemon(await options.load(), options)
  }

  /** Starts probing; the returned promise settles when the first round is done. */
  startProbing(): Promise<void> {
    this.#scheduleEnvAudit()
    return this.scheduler.start(this.config.services).then(() => {
      this.firstRoundDone = true
      this.options.log.info('first round of probes done', { services: this.config.services.length })
    })
  }

  get config(): Config {
    return this.engine.config
  }

  get reloadState(): { ok: boolean; at: number } {
    return { ok: this.#reloadOk === 1, at: this.#reloadAt }
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
      this.#reloadOk = 0
      const error = err instanceof ConfigError ? err.message : String(err)
      this.options.log.error('config reload failed; the previous config stays in force', { error })
      return { ok: false, error }
    }
    this.engine.setConfig(config)
    this.scheduler.setConcurrency(config.concurrency)
    void this.scheduler.start(config.services)
    this.#scheduleEnvAudit()
    this.#reloadOk = 1
    this.#reloadAt = Date.now() / 1000
    this.options.log.info('config reloaded', { file: config.file, services: config.services.length })
    return { ok: true }
  }

  /** Starts the HTTP server; resolves once it listens. */
  listen(port: number, host?: string): Promise<Server> {
    const server = createServer(createApp(this, this.options.log))
    this.#server = server
    return new Promise((resolve, reject) => {
      server.once('error', reject)
      server.listen({ port, host }, () => {
        server.off('error', reject)
        resolve(server)
      })
    })
  }

  /** Stops probing, waits for probes in flight, closes the server and its connections. */
  async stop(): Promise<void> {
    clearInterval(this.#envTimer)
    await this.scheduler.stop()
    const server = this.#server
    if (!server) return
    await new Promise<void>((resolve) => {
      server.close(() => resolve())
      // Keep-alive connections of idle scrapers would hold close() open.
      server.closeIdleConnections()
    })
  }

  /** The env audit runs now and then at the default interval: files change without a reload. */
  #scheduleEnvAudit(): void {
    clearInterval(this.#envTimer)
    const audit = () =>
      void this.engine.auditEnvironment().catch((err: unknown) => this.options.log.error('env audit failed', { error: String(err) }))
    audit()
    this.#envTimer = setInterval(audit, this.config.defaults.interval)
  }

  #registerMetrics(): void {
    const registry = this.registry
    registerResultMetrics(registry, () => this.engine.store.snapshot(), { counters: true })
    registerEnvMetrics(registry, () => this.engine.envFindings)
    collectDefaultMetrics({ register: registry })
    // prom-client also exports these gauges under a `_total` name, which
    // `promtool check metrics` rightly flags; the same values stay available
    // without the suffix (nodejs_active_handles ...).
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(name)
    new Gauge({ name: 'groundtruth_build_info', help: 'Always 1; the labels say which groundtruth is running', labelNames: ['version', 'nodejs'], registers: [registry] }).set({ version: VERSION, nodejs: process.version }, 1)
    const daemon = this
    new Gauge({
      name: 'groundtruth_config_last_reload_successful',
      help: '0 after a reload that failed (the previous config stays in force), else 1',
      registers: [registry],
      collect() {
        this.set(daemon.#reloadOk)
      },
    })
    new Gauge({
      name: 'groundtruth_config_last_reload_success_timestamp_seconds',
      help: 'When the config was last loaded successfully (Unix time)',
      registers: [registry],
      collect() {
        this.set(daemon.#reloadAt)
      },
    })
  }
}
