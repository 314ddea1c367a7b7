// Alerts about the probed services: down, not ready, flapping, slow, stale,
// and the overall readiness gate.
import { PROBE_DURATION, PROBE_FAILURES_TOTAL, PROBE_LAST_RUN, READY_RATIO, SERVICE_READY, SERVICE_UP, STATE_CHANGES_TOTAL } from '../../exposition/services.js'
import { ruleGroup, WHERE } from '../spec.js'

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
    expr: (x) => `${x.sel(SERVICE_READY)} == 0\nand on(job, instance, service)\n${x.sel(SERVICE_UP)} == 1`,
    summary: 'Service {{ $labels.service }} is up but not ready',
    description: `The ${WHERE} is up itself, but a service it depends on (directly or transitively) is not ready; /status names the one it waits on.`,
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
    name: 'GroundtruthReadinessBelowGate',
    for: '10m',
    severity: 'warning',
    expr: (x) => `${x.sel(READY_RATIO)} < ${x.thresholds.readyGate}`,
    summary: 'Only {{ $value | humanizePercentage }} of services are ready',
    description: (x) =>
      `groundtruth on {{ $labels.instance }} reports {{ $value | humanizePercentage }} of all services ready, below the gate of ${x.thresholds.readyGate * 100}%; the per-service alerts say which and why.`,
  },
])
