// Every metric groundtruth declares, read off the modules that declare them
// (each a `gauge()` / `counter()` constant beside its collector), and a check
// that generated PromQL or JSON names no other `groundtruth_*` metric.
import * as container from '../../probes/container/facts.js'
import * as tls from '../../probes/lib/tls-facts.js'
import * as env from '../../src/env/collector.js'
import type { MetricDef } from '../../src/exposition/metric.js'
import * as scheduler from '../../src/exposition/scheduler.js'
import * as self from '../../src/exposition/self.js'
import * as services from '../../src/exposition/services.js'
import * as migrations from '../../probes/postgres/migrations/collector.js'

const isMetricDef = (v: unknown): v is MetricDef =>
  typeof v === 'object' && v !== null && typeof (v as MetricDef).name === 'string' && ['gauge', 'counter'].includes((v as MetricDef).type) && Array.isArray((v as MetricDef).labels)

export const DECLARED_METRICS: readonly MetricDef[] = [services, scheduler, self, env, migrations, tls, container].flatMap((m) => Object.values(m).filter(isMetricDef))

export const DECLARED_NAMES: ReadonlySet<string> = new Set(DECLARED_METRICS.map((m) => m.name))

/**
 * The `groundtruth_*` names in `text` that are not declared metrics. A plain
 * text scan, so names inside strings (label_values(...), annotations) count
 * too; recording rules (`groundtruth:…`) do not match.
 */
export function undeclaredMetricNames(text: string): string[] {
  const names = [...text.matchAll(/(?<![\w:])groundtruth_[A-Za-z0-9_]+/g)].map((m) => m[0])
  return [...new Set(names)].filter((name) => !DECLARED_NAMES.has(name)).sort()
}
