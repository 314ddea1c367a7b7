// The latest result and the running counts of every configured service, and
// the latest findings of the other periodic jobs (the env audit): the single
// source of truth. /metrics, /status, the page, `check` and `report` all read
// one snapshot of it.
import type { ServiceConfig } from './config/load.js'
import type { EnvSourceFinding } from './env/audit.js'
import { REASONS, type FactRow, type Reason } from './probe.js'
import { computeReadiness, readyRatios, type Ratios, type Readiness } from './readiness.js'
import type { RunResult } from './runner.js'

export interface ServiceRecord {
  config: ServiceConfig
  /** Where the probe points, without credentials. */
  target: string
  last?: RunResult
  lastSuccessAt?: number
  probes: number
  failures: Record<Reason, number>
  stateChanges: number
}

export interface Snapshot {
  records: ServiceRecord[]
  readiness: Map<string, Readiness>
  ratios: Ratios
  /** Every service has been probed at least once. */
  complete: boolean
  /** The last env audit, one finding per configured source (names and states, never values). */
  env: EnvSourceFinding[]
}

/** Each service's facts from its last run, for the collectors of the probe kinds. */
export function factRows(snapshot: Snapshot): FactRow[] {
  return snapshot.records.flatMap((r) => (r.last ? [{ service: r.config.name, group: r.config.group, facts: r.last.facts }] : []))
}

export class ResultStore {
  #records = new Map<string, ServiceRecord>()
  #env: EnvSourceFinding[] = []

  /**
   * Adopts a (re)loaded service list. Counters of services that remain are
   * kept, so a reload is not a counter reset; removed services disappear.
   */
  setServices(services: readonly ServiceConfig[]): void {
    const next = new Map<string, ServiceRecord>()
    for (const config of services) {
      const old = this.#records.get(config.name)
      const keep = old && old.config.probe === config.probe
      const target = config.bound.target
      next.set(config.name, keep ? { ...old, config, target } : { config, target, probes: 0, failures: zeroFailures(), stateChanges: 0 })
    }
    this.#records = next
  }

  /** Records a finished run; a result for a service no longer configured is dropped. */
  record(result: RunResult): void {
    const rec = this.#records.get(result.service)
    if (!rec) return
    rec.probes++
    if (result.ok) rec.lastSuccessAt = result.finishedAt
    else rec.failures[result.reason ?? 'error']++
    if (rec.last && rec.last.ok !== result.ok) rec.stateChanges++
    rec.last = result
  }

  /** Keeps the latest env audit. */
  recordEnv(findings: EnvSourceFinding[]): void {
    this.#env = findings
  }

  get(name: string): ServiceRecord | undefined {
    return this.#records.get(name)
  }

  services(): ServiceConfig[] {
    return [...this.#records.values()].map((r) => r.config)
  }

  snapshot(): Snapshot {
    const records = [...this.#records.values()]
    const services = records.map((r) => r.config)
    const readiness = computeReadiness(services, (name) => this.#records.get(name)?.last)
    return { records, readiness, ratios: readyRatios(services, readiness), complete: records.every((r) => r.last !== undefined), env: this.#env }
  }

  /**
   * A snapshot of just the given fresh results (for /probe): only their
   * services appear, their readiness judged against the last known results
   * of everything else. Counters are not part of it.
   */
  snapshotWith(fresh: readonly RunResult[]): Snapshot {
    const byName = new Map(fresh.map((r) => [r.service, r]))
    const services = [...this.#records.values()].map((r) => r.config)
    const readiness = computeReadiness(services, (name) => byName.get(name) ?? this.#records.get(name)?.last)
    const records = fresh.map((result): ServiceRecord => {
      const rec = this.#records.get(result.service)!
      return { ...rec, last: result, lastSuccessAt: result.ok ? result.finishedAt : rec.lastSuccessAt }
    })
    // Ratios only where the probed set covers the whole group (or everything):
    // a ratio over part of a group would be a number nobody asked for.
    const all = readyRatios(services, readiness)
    const probedGroups = new Set(records.map((r) => r.config.group))
    const covered = (group: string) => services.every((s) => s.group !== group || byName.has(s.name))
    const groups = new Map([...all.groups].filter(([g]) => probedGroups.has(g) && covered(g)))
    const ratios = { overall: services.every((s) => byName.has(s.name)) ? all.overall : undefined, groups }
    return { records, readiness, ratios, complete: true, env: [] }
  }
}

function zeroFailures(): Record<Reason, number> {
  return Object.fromEntries(REASONS.map((r) => [r, 0])) as Record<Reason, number>
}
