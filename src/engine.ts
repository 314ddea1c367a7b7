// Probing a configuration: the part shared by the daemon and the one-shot
// CLI. It owns the result store for one config and knows how to run a
// service's probe kind against it.
import { dirname } from 'node:path'
import { PROBE_KINDS } from '../probes/index.js'
import type { Config, ServiceConfig } from './config/load.js'
import { DISCOVERED } from './discover.js'
import { auditEnv, type EnvSourceFinding } from './env/index.js'
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
  /** The last env audit, one finding per configured source. */
  envFindings: EnvSourceFinding[] = []

  constructor(
    public config: Config,
    private readonly log: Logger,
    /** Where a discovered config's relative paths start (a file's start at the file). */
    private readonly cwd = process.cwd(),
    private readonly processEnv: Record<string, string | undefined> = process.env,
  ) {
    this.store.setServices(config.services, targetOf)
  }

  /** Where relative paths of the config (env files, migration dirs) start: the config file's directory. */
  get baseDir(): string {
    return this.config.file === DISCOVERED ? this.cwd : dirname(this.config.file)
  }

  /** Reads the env sources again and keeps the findings (names and states, never values). */
  async auditEnvironment(): Promise<EnvSourceFinding[]> {
    this.envFindings = await auditEnv(this.config.env, { environment: this.config.environment, cwd: this.baseDir, processEnv: this.processEnv })
    for (const f of this.envFindings) {
      const flagged = f.counts.placeholder + f.counts.missing + f.counts.weak
      if (!f.readable) this.log.warn('env file unreadable', { source: f.source, error: f.error })
      else if (flagged) this.log.info('env audit findings', { source: f.source, ...f.counts })
    }
    return this.envFindings
  }

  /** Adopts a new config; results and counters of services that remain are kept. */
  setConfig(config: Config): void {
    this.config = config
    this.store.setServices(config.services, targetOf)
  }

  /** Runs one service's probe without recording it. */
  async probe(service: ServiceConfig): Promise<ProbeResult> {
    const result = await runProbe(kindOf(service), service, this.config.secrets, this.baseDir)
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
    await Promise.all([this.auditEnvironment(), ...this.config.services.map((s) => limiter.run(() => this.probeAndRecord(s)))])
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
