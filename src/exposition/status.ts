// The JSON view of a snapshot: /status, `check --format json` and the input
// of every human format. Texts in it are already redacted; values are the
// ones the metrics carry, so the two never disagree.
import type { Config } from '../config/load.js'
import type { EnvSourceFinding } from '../env/audit.js'
import type { MigrationStatus } from '../../probes/postgres/migrations/types.js'
import { evaluateGates, type GateVerdict } from '../gates.js'
import type { CheckResult, Reason } from '../probe.js'
import type { Snapshot } from '../results.js'

export interface ServiceStatus {
  name: string
  group: string
  probe: string
  target: string
  critical: boolean
  depends_on: string[]
  /** up | down | not_ready (up, but a dependency is not) | pending (never probed) */
  state: 'ready' | 'down' | 'not_ready' | 'pending'
  up: boolean | null
  ready: boolean
  /** Down services this one waits on, directly or through others. */
  blocked_by: string[]
  reason: Reason | null
  error: string | null
  checks: CheckResult[]
  duration_seconds: number | null
  last_run: string | null
  last_success: string | null
  probes: number
  failures: Record<string, number>
  state_changes: number
  info: Record<string, unknown>
  /** Per migration tool: counts, current revision and the names behind them (postgres services with `migrations:`). */
  migrations: MigrationStatus[]
}

export interface StatusDocument {
  generated_at: string
  environment: string
  /** Every service has a result. */
  complete: boolean
  ready_ratio: number | null
  groups: Record<string, number>
  gates: GateVerdict & { min_ready_ratio: number }
  services: ServiceStatus[]
  /** The env audit per source: names, states, rules and line numbers, never values. */
  env: EnvSourceFinding[]
}

export function buildStatus(snapshot: Snapshot, config: Pick<Config, 'environment' | 'gates'>): StatusDocument {
  const services = snapshot.records.map((r): ServiceStatus => {
    const readiness = snapshot.readiness.get(r.config.name)!
    const last = r.last
    const state = !last ? 'pending' : !last.ok ? 'down' : readiness.ready ? 'ready' : 'not_ready'
    return {
      name: r.config.name,
      group: r.config.group,
      probe: r.config.probe,
      target: r.target,
      critical: r.config.critical,
      depends_on: r.config.depends_on,
      state,
      up: last ? last.ok : null,
      ready: readiness.ready,
      blocked_by: readiness.rootCauses,
      reason: last?.reason ?? null,
      error: last?.error ?? null,
      checks: last?.checks ?? [],
      duration_seconds: last ? +last.durationSeconds.toFixed(4) : null,
      last_run: last ? new Date(last.finishedAt).toISOString() : null,
      last_success: r.lastSuccessAt ? new Date(r.lastSuccessAt).toISOString() : null,
      probes: r.probes,
      failures: Object.fromEntries(Object.entries(r.failures).filter(([, n]) => n > 0)),
      state_changes: r.stateChanges,
      info: last?.info ?? {},
      migrations: last?.facts.migrations ?? [],
    }
  })
  return {
    generated_at: new Date().toISOString(),
    environment: config.environment,
    complete: snapshot.complete,
    ready_ratio: snapshot.ratios.overall ?? null,
    groups: Object.fromEntries(snapshot.ratios.groups),
    gates: { ...evaluateGates(snapshot, config), min_ready_ratio: config.gates.min_ready_ratio },
    services,
    env: snapshot.env,
  }
}
