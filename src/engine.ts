// Probing a configuration: the part shared by the daemon and the one-shot
// CLI. It owns the result store for one config and knows how to run a
// service's probe kind against it.
import { PROBE_KINDS } from '../probes/index.js'
import type { Config, ServiceConfig } from './config/load.js'
import { Limiter } from './limiter.js'
import type { Logger } from './log.js'
import type { ProbeKind } from './probe.js'
import { ResultStore, type Snapshot } from './results.js'
import { runProbe, type ProbeResult } from './runner.js'

export function kindOf(service: ServiceConfig): ProbeKind {
  // Config validation guarantees the kind exists.
  return PROBE_KINDS.get(service.probe)!
}

export function targetOf(service: ServiceConfig): string {
  return kindOf(service).target(service as never)
}

export class Engine {
  readonly store = new ResultStore()

  constructor(
    public config: Config,
    private readonly log: Logger,
  ) {
    this.store.setServices(config.services, targetOf)
  }

  /** Adopts a new config; results and counters of services that remain are kept. */
  setConfig(config: Config): void {
    this.config = config
    this.store.setServices(config.services, targetOf)
  }

  /** Runs one service's probe without recording it. */
  async probe(service: ServiceConfig): Promise<ProbeResult> {
    const result = await runProbe(kindOf(service), service, this.config.secrets)
    const fields = { service: service.name, probe: service.probe, ok: result.ok, reason: result.reason, duration_seconds: +result.durationSeconds.toFixed(4) }
    if (result.ok) this.log.debug('probe finished', fields)
    else this.log.info('probe failed', { ...fields, error: result.error })
    return result
  }

  /** Runs and records one service: what the scheduler calls. */
  async probeAndRecord(service: ServiceConfig): Promise<void> {
    this.store.record(await this.probe(service))
  }

  /** Runs every service once (bounded by the config's concurrency) and returns the snapshot. */
  async runAll(): Promise<Snapshot> {
    const limiter = new Limiter(this.config.concurrency)
    await Promise.all(this.config.services.map((s) => limiter.run(() => this.probeAndRecord(s))))
    return this.store.snapshot()
  }

  /**
   * Probes the named services now, for /probe. Nothing is recorded: the
   * scheduler's view stays the scheduler's. Readiness of the probed services
   * uses these fresh results and the last known results of their dependencies.
   */
  async probeNow(services: readonly ServiceConfig[]): Promise<Snapshot> {
    const limiter = new Limiter(this.config.concurrency)
    const fresh = await Promise.all(services.map((s) => limiter.run(() => this.probe(s))))
    return this.store.snapshotWith(fresh)
  }
}
