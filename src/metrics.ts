// Prometheus view of a result snapshot. Every metric is computed at collect
// time from the snapshot, so a scrape never starts a probe, removed services
// vanish on their own, and the same code serves /metrics and /probe (each
// with a registry of its own, as prom-client's explicit registries allow).
import { Counter, Gauge, type Registry } from 'prom-client'
import { REASONS } from './probe.js'
import type { MigrationStatus } from './migrations/types.js'
import type { Snapshot } from './results.js'

const LAST_RUN = 'from the last scheduled run, not measured at scrape time'

export interface ResultMetricsOptions {
  /** Counters only make sense for the scheduler's long-lived store, not for a one-off /probe. */
  counters: boolean
}

export function registerResultMetrics(registry: Registry, source: () => Snapshot, options: ResultMetricsOptions): void {
  // One snapshot per scrape, shared by all collectors so they agree with each
  // other. prom-client calls every collect() in one synchronous stretch, so
  // the snapshot is dropped at the next microtask, before any later scrape.
  let current: Snapshot | undefined
  const snap = (): Snapshot => {
    if (!current) {
      current = source()
      queueMicrotask(() => (current = undefined))
    }
    return current
  }
  const gauge = (name: string, help: string, labelNames: string[], fill: (g: Gauge, s: Snapshot) => void) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset()
        fill(this, snap())
      },
    })

  gauge(
    'groundtruth_service_up',
    `1 when the service's probe and all its expect checks passed, ${LAST_RUN}`,
    ['service', 'group', 'probe'],
    (g, s) => {
      for (const r of s.records) if (r.last) g.set({ service: r.config.name, group: r.config.group, probe: r.config.probe }, r.last.ok ? 1 : 0)
    },
  )
  gauge('groundtruth_service_ready', `1 when the service is up and every service it depends on (transitively) is ready, ${LAST_RUN}`, ['service', 'group'], (g, s) => {
    for (const r of s.records) if (r.last) g.set({ service: r.config.name, group: r.config.group }, s.readiness.get(r.config.name)?.ready ? 1 : 0)
  })
  gauge('groundtruth_check_ok', `1 when the expectation passed, one row per expectation, ${LAST_RUN}`, ['service', 'check'], (g, s) => {
    for (const r of s.records) for (const c of r.last?.checks ?? []) g.set({ service: r.config.name, check: c.name }, c.ok ? 1 : 0)
  })
  gauge('groundtruth_probe_duration_seconds', `Wall time of the probe, ${LAST_RUN}`, ['service', 'probe'], (g, s) => {
    for (const r of s.records) if (r.last) g.set({ service: r.config.name, probe: r.config.probe }, r.last.durationSeconds)
  })
  gauge('groundtruth_probe_last_run_timestamp_seconds', 'When the last probe of the service finished (Unix time); old values mean stale results', ['service'], (g, s) => {
    for (const r of s.records) if (r.last) g.set({ service: r.config.name }, r.last.finishedAt / 1000)
  })
  gauge('groundtruth_probe_last_success_timestamp_seconds', 'When a probe of the service last succeeded (Unix time); absent before the first success', ['service'], (g, s) => {
    for (const r of s.records) if (r.lastSuccessAt !== undefined) g.set({ service: r.config.name }, r.lastSuccessAt / 1000)
  })
  gauge('groundtruth_tls_cert_expiry_timestamp_seconds', `When the certificate the service presented expires (Unix time), ${LAST_RUN}`, ['service'], (g, s) => {
    for (const r of s.records) if (r.last?.certExpiresAt !== undefined) g.set({ service: r.config.name }, r.last.certExpiresAt / 1000)
  })
  registerMigrationGauges(gauge)

  // Ratios are withheld until every service has a result: a half-finished
  // first round would report a readiness that nobody measured.
  gauge('groundtruth_group_ready_ratio', `Ready services over services in the group, ${LAST_RUN}`, ['group'], (g, s) => {
    if (s.complete) for (const [group, ratio] of s.ratios.groups) g.set({ group }, ratio)
  })
  gauge('groundtruth_ready_ratio', `Ready services over all services, ${LAST_RUN}`, [], (g, s) => {
    if (s.complete && s.ratios.overall !== undefined) g.set(s.ratios.overall)
    // prom-client gives a label-less gauge a 0 on reset; absent is the honest value here.
    else g.remove()
  })

  if (!options.counters) return
  const counter = (name: string, help: string, labelNames: string[], fill: (c: Counter, s: Snapshot) => void) =>
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset()
        fill(this, snap())
      },
    })
  counter('groundtruth_probes_total', 'Probes run by the scheduler', ['service'], (c, s) => {
    for (const r of s.records) c.inc({ service: r.config.name }, r.probes)
  })
  // Every reason starts at 0 so that increase() sees the first failure.
  counter('groundtruth_probe_failures_total', `Failed probes by reason (${REASONS.join(', ')}); the error text is in /status and logs`, ['service', 'reason'], (c, s) => {
    for (const r of s.records) for (const reason of REASONS) c.inc({ service: r.config.name, reason }, r.failures[reason])
  })
  counter('groundtruth_service_state_changes_total', 'Flips between up and down; a restart loop shows here', ['service'], (c, s) => {
    for (const r of s.records) c.inc({ service: r.config.name }, r.stateChanges)
  })
}

type GaugeFactory = (name: string, help: string, labelNames: string[], fill: (g: Gauge, s: Snapshot) => void) => Gauge

/**
 * Migration gauges (SPEC §3). Emitted only for a database that answered on
 * the last run: a down database shows no zeros that would look healthy. A
 * reader that failed shows only `read_ok 0`; an unreadable directory leaves
 * only `failed` and the last-applied time.
 */
function registerMigrationGauges(gauge: GaugeFactory): void {
  // Without the directory, most tools cannot even say how many are applied
  // (golang-migrate counts files up to its version): only failures stand.
  const DB_FACTS = new Set(['failed'])
  const counts: Array<[string, keyof MigrationStatus, string]> = [
    ['applied', 'applied', 'Migrations recorded as applied in the database'],
    ['available', 'available', "Migrations found in the code's migration directory"],
    ['pending', 'pending', 'Migrations on disk and not applied'],
    ['failed', 'failed', 'Migrations recorded as failed, unfinished or dirty (or a held migration lock)'],
    ['unknown', 'unknown', 'Migrations applied in the database but not on disk ("ghost" revisions)'],
    ['checksum_mismatch', 'checksumMismatch', 'Migrations applied, then edited on disk (tools that keep checksums)'],
    ['heads', 'heads', 'Heads of the revision graph (Alembic); more than 1 means unmerged branches'],
  ]
  for (const [suffix, field, help] of counts) {
    gauge(`groundtruth_migration_${suffix}`, `${help}, ${LAST_RUN}`, ['service', 'tool'], (g, s) => {
      for (const r of s.records) {
        for (const m of r.last?.migrations ?? []) {
          if (m.error || (!m.dirReadable && !DB_FACTS.has(suffix))) continue
          g.set({ service: r.config.name, tool: m.tool }, m[field] as number)
        }
      }
    })
  }
  gauge('groundtruth_migration_last_applied_timestamp_seconds', `When the newest applied migration was applied (Unix time), ${LAST_RUN}`, ['service', 'tool'], (g, s) => {
    for (const r of s.records) for (const m of r.last?.migrations ?? []) if (!m.error && m.lastAppliedAt !== undefined) g.set({ service: r.config.name, tool: m.tool }, m.lastAppliedAt / 1000)
  })
  gauge('groundtruth_migration_read_ok', `1 when the history table and the migration directory could both be read, ${LAST_RUN}`, ['service', 'tool'], (g, s) => {
    for (const r of s.records) for (const m of r.last?.migrations ?? []) g.set({ service: r.config.name, tool: m.tool }, !m.error && m.dirReadable ? 1 : 0)
  })
}
