// Recording rules: readiness averaged over an hour and a day, for SLO-style
// panels and reports that would otherwise recompute them on every query.
import { GROUP_READY_RATIO, READY_RATIO } from '../../exposition/services.js'
import type { RecordingSpec } from '../spec.js'

export const RECORDING_GROUP_NAME = 'groundtruth-recording'

export const recordingRules = [
  { record: 'groundtruth:group_ready_ratio:avg_over_time_1h', expr: (x) => `avg_over_time(${x.sel(GROUP_READY_RATIO)}[1h])` },
  { record: 'groundtruth:group_ready_ratio:avg_over_time_1d', expr: (x) => `avg_over_time(${x.sel(GROUP_READY_RATIO)}[1d])` },
  { record: 'groundtruth:ready_ratio:avg_over_time_1h', expr: (x) => `avg_over_time(${x.sel(READY_RATIO)}[1h])` },
] as const satisfies readonly RecordingSpec[]
