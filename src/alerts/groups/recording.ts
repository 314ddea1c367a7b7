// Recording rules: readiness ratios computed by Prometheus from every
// service's `groundtruth_service_ready`, whichever replica exported it, and
// their averages over an hour and a day for SLO-style panels and reports.
//
// The ratios are per-service series summed, never an average of each
// instance's ratio: when replicas share the services (README "Sharding"),
// each exports its own services' series and no single replica knows a whole
// group. They keep the labels the `job` matchers test (by default `job`,
// which dashboards filter on, and which the averages below select on again)
// and drop `instance`, so one deployment has one ratio however many replicas
// measured it. With one replica the result equals its own
// `groundtruth_group_ready_ratio` / `groundtruth_ready_ratio`.
import { SERVICE_READY } from '../../exposition/services.js'
import { matcherLabelNames, type RecordedSeries } from '../promql.js'
import type { RecordingSpec, RuleContext } from '../spec.js'

export const RECORDING_GROUP_NAME = 'groundtruth-recording'

const GROUP_RATIO: RecordedSeries = { name: 'groundtruth:group_ready_ratio' }
/** Ready services over services of the job, over every replica: GroundtruthReadinessBelowGate reads it. */
export const OVERALL_RATIO: RecordedSeries = { name: 'groundtruth:ready_ratio' }

/** Ready services over services, summed over every series the matchers select, kept apart by `extra` labels. */
function readyRatio(x: RuleContext, ...extra: string[]): string {
  const by = `by (${[...matcherLabelNames(x.matchers), ...extra].join(', ')})`
  return `sum ${by} (${x.sel(SERVICE_READY)})\n/\ncount ${by} (${x.sel(SERVICE_READY)})`
}

// Rules of a group run in order, so the averages read this evaluation's ratios.
export const recordingRules = [
  { record: GROUP_RATIO.name, expr: (x) => readyRatio(x, 'group') },
  { record: OVERALL_RATIO.name, expr: (x) => readyRatio(x) },
  { record: 'groundtruth:group_ready_ratio:avg_over_time_1h', expr: (x) => `avg_over_time(${x.sel(GROUP_RATIO)}[1h])` },
  { record: 'groundtruth:group_ready_ratio:avg_over_time_1d', expr: (x) => `avg_over_time(${x.sel(GROUP_RATIO)}[1d])` },
  { record: 'groundtruth:ready_ratio:avg_over_time_1h', expr: (x) => `avg_over_time(${x.sel(OVERALL_RATIO)}[1h])` },
] as const satisfies readonly RecordingSpec[]
