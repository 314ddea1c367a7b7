// Alerts from the container probe (SPEC §3 groundtruth_container_*): the
// container a service runs in is not running, crash-loops, fails its own
// healthcheck, or its image is not on the host.
import { CONTAINER_HEALTH_STATUS, CONTAINER_IMAGE_PRESENT, CONTAINER_RESTARTS, CONTAINER_STATE, CONTAINER_STATES } from '../../../probes/container/facts.js'
import { quote, regexAlternatives } from '../promql.js'
import { ruleGroup, WHERE } from '../spec.js'

/**
 * The states of a container that is not running. `restarting` is left out:
 * a crash loop passes through it between attempts (and Podman never shows
 * it), so GroundtruthContainerRestartLoop judges it by the restart count.
 */
export const NOT_RUNNING_STATES = CONTAINER_STATES.filter((state) => state !== 'running' && state !== 'restarting')

export const containerAlerts = ruleGroup('groundtruth-containers', [
  {
    // The container is the root cause of its service being down: it follows
    // the service's severity (`critical: true` and what it depends on) as
    // GroundtruthServiceDown does.
    name: 'GroundtruthContainerNotRunning',
    for: '2m',
    severity: 'critical',
    splitBySeverity: true,
    expr: (x) => x.withGroup(`${x.sel(CONTAINER_STATE, `state=~${quote(regexAlternatives(NOT_RUNNING_STATES))}`)} == 1`),
    summary: 'Container of service {{ $labels.service }} is {{ $labels.state }}',
    description:
      `The container of ${WHERE} is {{ $labels.state }}, not running` +
      '{{ if eq $labels.state "absent" }} (no such container: removed, renamed or never created){{ end }}' +
      '; its exit code and the last words of its log are in /status.',
  },
  {
    // A counter that resets when the container is recreated: increase()
    // counts across the reset, as for any counter.
    name: 'GroundtruthContainerRestartLoop',
    for: '2m',
    severity: 'critical',
    splitBySeverity: true,
    expr: (x) => x.withGroup(`increase(${x.sel(CONTAINER_RESTARTS)}[${x.thresholds.restartLoopWindow}]) >= ${x.thresholds.restartLoopRestarts}`),
    summary: 'Container of service {{ $labels.service }} is in a restart loop',
    description: ({ thresholds: t }) =>
      `The container of ${WHERE} restarted {{ $value | printf "%.0f" }} times in ${t.restartLoopWindow} (threshold ${t.restartLoopRestarts}): ` +
      'it keeps dying and the engine keeps starting it again; the last words of its log are in /status.',
  },
  {
    name: 'GroundtruthContainerUnhealthy',
    for: '2m',
    severity: 'warning',
    expr: (x) => x.withGroup(`${x.sel(CONTAINER_HEALTH_STATUS, 'health="unhealthy"')} == 1`),
    summary: 'Container of service {{ $labels.service }} is unhealthy',
    description: `The container of ${WHERE} fails its own healthcheck (the engine reports it unhealthy); the healthcheck's output is in the engine (docker inspect).`,
  },
  {
    name: 'GroundtruthContainerImageMissing',
    for: '5m',
    severity: 'warning',
    expr: (x) => x.withGroup(`${x.sel(CONTAINER_IMAGE_PRESENT)} == 0`),
    summary: 'Image of the container of service {{ $labels.service }} is missing',
    description: `The image the container of ${WHERE} is (or would be) made from is not on the host: never built or not pulled, so the container cannot be (re)created.`,
  },
])
