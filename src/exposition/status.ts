// The JSON view of a snapshot: /status, `check --format json` and the input
// of every human format. Texts in it are already redacted; values are the
// ones the metrics carry, so the two never disagree.
import type { Config } from '../config/load.js'
import type { EnvSourceFinding } from '../env/audit.js'
import type { ContainerFacts } from '../../probes/container/facts.js'
import type { MigrationStatus } from '../../probes/postgres/migrations/types.js'
import { evaluateGates, type GateVerdict } from '../gates.js'
import type { CheckResult, Reason } from '../probe.js'
import type { Cause } from '../readiness.js'
import { stateOf, type ServiceState, type Snapshot } from '../results.js'
import { heldBackIndex } from './waits.js'

export interface ServiceStatus {
  name: string
  group: string
  probe: string
  target: string
  critical: boolean
  description: string | null
  depends_on: string[]
  needs_env: string[]
  /** ready | not_ready (up, but a cause holds it back) | down | pending (never probed) */
  state: ServiceState
  /** When it entered that state (ISO time). */
  state_since: string | null
  /** Up after debouncing (failure_threshold / success_threshold). */
  up: boolean | null
  ready: boolean
  /** Every cause that keeps it from ready, with its detail (which dependency, which variable, which migrations). */
  causes: Cause[]
  /** Down services this one waits on, directly or through others. */
  blocked_by: string[]
  /** The raw last probe, before debouncing. */
  last_probe_ok: boolean | null
  consecutive_failures: number
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
  /** What the container engine says of the service's container (services with `container:` or `probe: container`). */
  container: ContainerFacts | null
  /** The last runs (at most 100), oldest first: when, passed or not, and the state each left it in. */
  history: { at: string; ok: boolean; state: ServiceState }[]
  /** Share of passed runs in `history` (0..1); null before the first run. */
  uptime: number | null
}

export interface StatusDocument {
  generated_at: string
  environment: string
  /** How often the probes run by default (the config's defaults.interval), in seconds: how often the page refreshes. */
  refresh_seconds: number | null
  /** Links out (config `links:`): a Grafana dashboard, the runbooks. */
  links: { grafana?: string; runbooks?: string }
  /** Every service has a result. */
  complete: boolean
  ready_ratio: number | null
  groups: Record<string, number>
  gates: GateVerdict & Config['gates']
  services: ServiceStatus[]
  /** Env and migration findings, each with the services it holds back, most blocking first. */
  findings: FindingStatus[]
  /** The env audit per source: names, states, rules and line numbers, never values. */
  env: EnvSourceFinding[]
}

/** A finding of the env audit or of a service's run, and what it holds back. */
export interface FindingStatus {
  concern: 'env' | 'migrations'
  kind: string
  /** Where: the env source, or the service and its tool. */
  where: string
  /** The variable, or the names behind a migration finding. */
  subject: string
  /** One plain sentence. */
  summary: string
  /** Services not ready because of it. */
  blocks: string[]
  /** The verdict's gates list its kind. */
  gated: boolean
}

export function buildStatus(snapshot: Snapshot, config: Pick<Config, 'environment' | 'gates'> & { defaults?: Config['defaults']; links?: Config['links'] }): StatusDocument {
  const services = snapshot.records.map((r): ServiceStatus => {
    const readiness = snapshot.readiness.get(r.config.name)!
    const last = r.last
    const history = r.history?.entries() ?? []
    return {
      name: r.config.name,
      group: r.config.group,
      probe: r.config.probe,
      target: r.target,
      critical: r.config.critical,
      description: r.config.description ?? null,
      depends_on: r.config.depends_on,
      needs_env: r.config.needs_env,
      state: stateOf(r.up, readiness),
      state_since: r.stateSince === undefined ? null : new Date(r.stateSince).toISOString(),
      up: r.up ?? null,
      ready: readiness.ready,
      causes: readiness.causes,
      blocked_by: readiness.rootCauses,
      last_probe_ok: last ? last.ok : null,
      consecutive_failures: r.consecutiveFailures,
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
      container: last?.facts.container ?? null,
      history: history.map((h) => ({ at: new Date(h.at).toISOString(), ok: h.ok, state: h.state })),
      uptime: history.length ? +(history.filter((h) => h.ok).length / history.length).toFixed(4) : null,
    }
  })
  return {
    generated_at: new Date().toISOString(),
    environment: config.environment,
    refresh_seconds: config.defaults ? config.defaults.interval / 1000 : null,
    links: config.links ?? {},
    complete: snapshot.complete,
    ready_ratio: snapshot.ratios.overall ?? null,
    groups: Object.fromEntries(snapshot.ratios.groups),
    gates: { ...evaluateGates(snapshot, config), ...config.gates },
    services,
    findings: findingsOf(snapshot, services, config.gates),
    env: snapshot.env,
  }
}

const ENV_SUMMARY = { placeholder: 'holds a placeholder', missing: 'is missing', weak: 'is weak' } as const

/**
 * Every env and migration finding with the services it holds back, the most
 * blocking first: a placeholder key three services need outranks a missing
 * optional variable.
 */
function findingsOf(snapshot: Snapshot, services: readonly ServiceStatus[], gates: Config['gates']): FindingStatus[] {
  const out: FindingStatus[] = []
  const dependentsOf = heldBackIndex(services)
  for (const source of snapshot.env) {
    for (const v of source.variables) {
      if (v.state === 'configured') continue
      const needing = services.filter((s) => s.causes.some((c) => c.cause === 'env' && c.variables.some((u) => u.name === v.name))).map((s) => s.name)
      const blocks = [...new Set([...needing, ...needing.flatMap((n) => dependentsOf(n))])]
      const rule = v.rule ? ` (${v.rule.replace(/_/g, ' ')})` : ''
      out.push({ concern: 'env', kind: v.state, where: source.source, subject: v.name, summary: `${v.name} ${ENV_SUMMARY[v.state]} in ${source.source}${rule}`, blocks, gated: (gates.env as string[]).includes(v.state) })
    }
  }
  for (const r of snapshot.records) {
    for (const f of r.last?.findings ?? []) {
      out.push({ concern: f.concern, kind: f.kind, where: `${r.config.name} (${f.subject})`, subject: f.names.join(', '), summary: `${r.config.name} ${f.summary}`, blocks: f.blocksReady ? [r.config.name, ...dependentsOf(r.config.name)] : [], gated: (gates[f.concern] as string[]).includes(f.kind) })
    }
  }
  return out.sort((a, b) => b.blocks.length - a.blocks.length || Number(b.gated) - Number(a.gated))
}
