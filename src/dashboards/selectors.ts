// PromQL selectors of the dashboards. `$job` picks the scrape job, `$group`
// (multi, All = .*) narrows service-level metrics. Metrics that carry only
// `service` (probe timings, counters, migrations) are narrowed to the
// selected groups by joining with `groundtruth_service_up`, which has both.
import type { MetricDef } from '../exposition/metric.js'
import { SERVICE_UP } from '../exposition/services.js'

const JOB = 'job=~"$job"'
const GROUPS = 'group=~"$group"'

/** `metric{job=~"$job", <extra>...}`: the metric as scraped from the selected job. */
export const ofJob = (metric: MetricDef, ...extra: string[]): string => `${metric.name}{${[JOB, ...extra].join(', ')}}`

/** `metric{job=~"$job", group=~"$group"}`, for metrics that carry `group`. */
export const ofGroups = (metric: MetricDef): string => ofJob(metric, GROUPS)

/** Narrows a `service`-labelled expression to the services of the selected groups. */
export const inGroup = (expr: string): string => `${expr} and on (job, instance, service) ${ofGroups(SERVICE_UP)}`
