// Alerts about the probed services: down, not ready (waiting on a dependency,
// or held back by its own env or migrations), flapping, slow, stale,
// and the overall readiness gate.
import {
  PROBE_DURATION,
  PROBE_FAILURES_TOTAL,
  PROBE_LAST_RUN,
  SERVICE_NOT_READY,
  SERVICE_UP,
  STATE_CHANGES_TOTAL,
} from '../../exposition/services.js'
import type { CauseName } from '../../readiness.js'
import { quote, regexAlternatives } from '../promql.js'
import { ruleGroup, WHERE, type RuleContext } from '../spec.js'
import { OVERALL_RATIO } from './recording.js'

/**
 * A service that is up (debounced) but not ready for one of `causes`: one
 * series per service and cause, with the service's `group` taken from
 * `groundtruth_service_up`, which also takes a severity split's scope.
 */
const upButNotReady =
  (...causes: Exclude<CauseName, 'down'>[]) =>
  (x: RuleContext): string => {
    const cause = causes.length === 1 ? `cause=${quote(causes[0]!)}` : `cause=~${quote(regexAlternatives(causes))}`
    return `(\n  ${x.sel(SERVICE_NOT_READY, cause)} == 1\n)\n* on(job, instance, service) group_left(group)\n(\n  ${x.sel(SERVICE_UP, ...x.scope)} == 1\n)`
  }

export const serviceAlerts = ruleGroup('groundtruth-services', [
  {
    name: 'GroundtruthServiceDown',
    for: '2m',
    severity: 'critical',
    splitBySeverity: true,
    // The failure reason comes from the counter, which is only there once a
    // probe failed: `or` keeps the alert when no reason is known.
    expr: (x) => {
      const down = `${x.sel(SERVICE_UP, ...x.scope)} == 0`
      const reason = `topk by (job, instance, service) (1, increase(${x.sel(PROBE_FAILURES_TOTAL)}[${x.thresholds.reasonWindow}]) > 0)`
      return `(\n  ${down}\n)\n* on(job, instance, service) group_left(reason)\n${reason}\nor on(job, instance, service)\n${down}`
    },
    summary: 'Service {{ $labels.service }} is down',
    description:
      `The ${WHERE} failed its {{ $labels.probe }} probe or one of its expect checks on the last run` +
      '{{ with $labels.reason }} (reason: {{ . }}){{ end }}; the error text is in /status.',
  },
  {
    name: 'GroundtruthServiceNotReady',
    for: '5m',
    severity: 'warning',
    expr: upButNotReady('dependency'),
    summary: 'Service {{ $labels.service }} is up but not ready',
    description: `The ${WHERE} is up itself, but a service it depends on (directly or transitively) is not ready; /status names the one it waits on.`,
  },
  {
    // The service's own problem, not an upstream one: it follows `critical`
    // as ServiceDown does, and no down service elsewhere silences it.
    name: 'GroundtruthServiceNotReadyConfig',
    for: '10m',
    severity: 'critical',
    splitBySeverity: true,
    expr: upButNotReady('env', 'migrations'),
    summary: 'Service {{ $labels.service }} is up but not ready because of its {{ $labels.cause }}',
    description:
      `The ${WHERE} answers its probe, but is not ready: ` +
      '{{ if eq $labels.cause "env" }}a variable it needs (needs_env) holds a placeholder, is missing or is weak' +
      '{{ else }}its migrations are not clean (pending, failed, unknown or branched){{ end }}; /status names what.',
  },
  {
    name: 'GroundtruthServiceFlapping',
    for: '0m',
    severity: 'warning',
    expr: (x) => x.withGroup(`increase(${x.sel(STATE_CHANGES_TOTAL)}[${x.thresholds.flappingWindow}]) >= ${x.thresholds.flappingChanges}`),
    summary: 'Service {{ $labels.service }} is flapping',
    description: ({ thresholds: t }) =>
      `The ${WHERE} flipped between up and down {{ $value | printf "%.0f" }} times in ${t.flappingWindow} (threshold ${t.flappingChanges}): a restart loop or an unstable dependency.`,
  },
  {
    name: 'GroundtruthProbeSlow',
    for: '10m',
    severity: 'warning',
    expr: (x) => x.withGroup(`${x.sel(PROBE_DURATION)} > ${x.thresholds.probeSlowSeconds}`),
    summary: 'Probe of service {{ $labels.service }} is slow',
    description: (x) => `The {{ $labels.probe }} probe of ${WHERE} took {{ $value | humanizeDuration }}, more than ${x.thresholds.probeSlowSeconds}s.`,
  },
  {
    name: 'GroundtruthProbeStale',
    for: '2m',
    severity: 'warning',
    expr: (x) => x.withGroup(`time() - ${x.sel(PROBE_LAST_RUN)} > ${x.thresholds.staleSeconds}`),
    summary: 'Probe results of service {{ $labels.service }} are stale',
    description: (x) =>
      `The last probe of ${WHERE} finished {{ $value | humanizeDuration }} ago, more than ${x.thresholds.staleSeconds}s: the scheduler is stuck or the probe hangs, so its metrics no longer describe the present.`,
  },
  {
    // The recorded ratio (recording.ts), not the exporter's own
    // groundtruth_ready_ratio: summed over every replica's
    // groundtruth_service_ready, it is the same number for one instance and
    // for shards (README "Sharding"), whose /probe answers carry no overall
    // ratio. It is recorded by another rule group, evaluated on its own, so
    // this alert reads the previous evaluation's value: it lags by one
    // evaluation interval at most, well inside its `for`. One alert per job
    // (the matchers' labels), not per instance.
    name: 'GroundtruthReadinessBelowGate',
    for: '10m',
    severity: 'warning',
    expr: (x) => `${x.sel(OVERALL_RATIO)} < ${x.thresholds.readyGate}`,
    summary: 'Only {{ $value | humanizePercentage }} of services are ready',
    description: (x) =>
      `{{ $value | humanizePercentage }} of the services groundtruth measures are ready (groundtruth:ready_ratio, over every instance of the job), below the gate of ${x.thresholds.readyGate * 100}%; the per-service alerts say which and why.`,
  },
])
