// The vocabulary every alert spec and the options share: severities and
// thresholds. Its own file so that the spec table and the options that
// validate against it do not import each other.

export type Severity = 'critical' | 'warning' | 'info'
export const SEVERITIES: readonly Severity[] = ['critical', 'warning', 'info']

export interface Thresholds {
  /** GroundtruthProbeSlow: probe wall time above this many seconds. Default 2 (the default timeout is 5s). */
  probeSlowSeconds: number
  /** GroundtruthProbeStale: last probe finished longer ago than this many seconds. Default 300 (10 default intervals of 30s). */
  staleSeconds: number
  /** GroundtruthReadinessBelowGate: the recorded `groundtruth:ready_ratio` below this. Default 0.95. */
  readyGate: number
  /** GroundtruthServiceFlapping: at least this many up↔down flips within `flappingWindow`. Default 4. */
  flappingChanges: number
  /** GroundtruthServiceFlapping: the window of `increase()`. Default "15m". */
  flappingWindow: string
  /** GroundtruthServiceDown: window in which the failure reason is looked up from `groundtruth_probe_failures_total`. Default "10m". */
  reasonWindow: string
  /**
   * GroundtruthContainerRestartLoop: at least this many restarts of a
   * container within `restartLoopWindow`. Default 3, as the
   * `container:restarts` check's `max_restarts`.
   */
  restartLoopRestarts: number
  /** GroundtruthContainerRestartLoop: the window of `increase()`. Default "10m", as the check's `window`. */
  restartLoopWindow: string
}
