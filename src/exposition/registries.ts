// Which collectors each registry carries. The scheduler's registry (/metrics)
// has every concern, counters included, plus the process and groundtruth's
// own; a /probe registry has only the probed services' results.
import { collectDefaultMetrics, type Registry } from 'prom-client'
import { envCollector } from '../env/collector.js'
import { kindCollectors, type ProbeKinds } from '../probe.js'
import { factRows, type Snapshot } from '../results.js'
import { fedBy, type Collector } from './metric.js'
import { registerCollectors } from './registry.js'
import type { SchedulerStats } from '../scheduler.js'
import { schedulerCollector } from './scheduler.js'
import { selfCollector, type SelfState } from './self.js'
import { serviceCollector } from './services.js'

/** The collectors that read a snapshot: services, each probe kind's facts, and (scheduled only) the env audit. */
export function snapshotCollectors(kinds: ProbeKinds, scheduled: boolean): Collector<Snapshot>[] {
  const base = [serviceCollector, ...kindCollectors(kinds).map((c) => fedBy(c, factRows))]
  return scheduled ? [...base, fedBy(envCollector, (s: Snapshot) => s.env)] : base
}

/** What /metrics serves: the last scheduled results, the process, and groundtruth itself. */
export function registerScheduled(registry: Registry, kinds: ProbeKinds, snapshot: () => Snapshot, self: () => SelfState, scheduler?: () => SchedulerStats): void {
  registerCollectors(registry, snapshotCollectors(kinds, true), snapshot, { counters: true })
  if (scheduler) registerCollectors(registry, [schedulerCollector], scheduler, { counters: true })
  collectDefaultMetrics({ register: registry })
  // prom-client also exports these gauges under a `_total` name, which
  // `promtool check metrics` rightly flags; the same values stay available
  // without the suffix (nodejs_active_handles ...).
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(name)
  registerCollectors(registry, [selfCollector], self, { counters: true })
}

/** What /probe answers: these results only, no counters (they belong to the scheduler's store). */
export function registerProbed(registry: Registry, kinds: ProbeKinds, snapshot: Snapshot): void {
  registerCollectors(registry, snapshotCollectors(kinds, false), () => snapshot, { counters: false })
}
