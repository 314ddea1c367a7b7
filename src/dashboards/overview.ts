// The overview dashboard: readiness overall, per group and over time, what is
// not ready and why (each cause: down, dependency, env, migrations), the
// probes behind it, and the containers services run in.
import {
  CONTAINER_EXIT_CODE,
  CONTAINER_HEALTH_STATUS,
  CONTAINER_IMAGE_PRESENT,
  CONTAINER_OOM_KILLED,
  CONTAINER_RESTARTS,
  CONTAINER_STARTED,
  CONTAINER_STATE,
  CONTAINER_STATES,
} from '../../probes/container/facts.js'
import {
  GROUP_READY_RATIO,
  PROBE_DURATION,
  PROBE_FAILURES_TOTAL,
  PROBE_LAST_RUN,
  PROBE_LAST_SUCCESS,
  READY_RATIO,
  SERVICE_NOT_READY,
  SERVICE_READY,
  SERVICE_STATE_SINCE,
  SERVICE_UP,
  STATE_CHANGES_TOTAL,
} from '../exposition/services.js'
import { cellColor, countField, fixedField, mapping, override, ratioField, READY_MAP, secondsField, UP_MAP } from './fields.js'
import { barGauge, stat, stateTimeline, table, timeseries } from './panels.js'
import type { DashboardSpec } from './shell.js'
import { inGroup, ofGroups, ofJob } from './selectors.js'

const onNotReady = `and on (job, instance, service) (${ofGroups(SERVICE_READY)} == 0)`
const lastRunAge = inGroup(`time() - ${ofJob(PROBE_LAST_RUN)}`)
/** Each cause that keeps a service from ready, with the service's group (not_ready carries only `service`). */
const notReadyCauses = `${ofJob(SERVICE_NOT_READY)}\n* on (job, instance, service) group_left (group)\ngroup by (job, instance, service, group) (${ofGroups(SERVICE_UP)})`

/** Each container state's colour, on the table and the timeline. */
const STATE_COLOR: Record<(typeof CONTAINER_STATES)[number], string> = {
  created: 'blue',
  running: 'green',
  paused: 'purple',
  restarting: 'orange',
  removing: 'orange',
  exited: 'red',
  dead: 'red',
  absent: 'red',
}
/** The container states as the table shows them (the `state` label). */
const CONTAINER_STATE_MAP = mapping(Object.fromEntries(CONTAINER_STATES.map((state) => [state, [state, STATE_COLOR[state]]])))
/**
 * One series per service whose value codes its container's current state
 * (1 + its index in CONTAINER_STATES), so a state timeline shows one row per
 * service; CONTAINER_STATE_CODES maps the codes back to the state.
 */
const containerStateCode = `sum by (job, instance, service) (\n${CONTAINER_STATES.map((state, i) => `  ${ofJob(CONTAINER_STATE, `state="${state}"`)} * ${i + 1}`).join('\nor\n')}\n)`
const CONTAINER_STATE_CODES = mapping(Object.fromEntries(CONTAINER_STATES.map((state, i) => [String(i + 1), [state, STATE_COLOR[state]]])))
const CONTAINER_HEALTH_MAP = mapping({
  healthy: ['healthy', 'green'],
  unhealthy: ['unhealthy', 'red'],
  starting: ['starting', 'orange'],
  none: ['no healthcheck', 'transparent'],
})

/** The causes of groundtruth_service_not_ready, as the table shows them. */
const CAUSE_MAP = mapping({
  down: ['down: its own probe or checks fail', 'red'],
  dependency: ['dependency: waits on a service not ready', 'orange'],
  env: ['env: a needed variable is not configured', 'purple'],
  migrations: ['migrations: not clean', 'purple'],
})

export const overview = {
  file: 'groundtruth-overview.json',
  uid: 'groundtruth-overview',
  title: 'Overview',
  description: 'Readiness of every service: overall, per group, over time, and what is not ready and why.',
  items: (o) => [
    { row: 'Readiness' },
    stat({
      title: 'Ready (all services)',
      expr: ofJob(READY_RATIO),
      field: ratioField(o.readyThreshold),
      description: 'Ready services / all services (ignores the group filter). The gate compares this ratio.',
      w: 6,
    }),
    stat({ title: 'Services', expr: `count(${ofGroups(SERVICE_UP)})`, field: fixedField('blue'), description: 'Services in the selected groups.' }),
    stat({ title: 'Down', expr: `sum(1 - ${ofGroups(SERVICE_UP)})`, field: countField('red'), description: 'Services whose own probe or checks failed on the last run.' }),
    stat({
      title: 'Not ready',
      expr: `sum(1 - ${ofGroups(SERVICE_READY)})`,
      field: countField('orange'),
      description: 'Services down, or up but held back by a dependency not ready, a needed env variable or their migrations.',
    }),
    stat({
      title: 'Oldest result',
      expr: `max(${lastRunAge})`,
      field: secondsField(120, 600),
      description: 'Age of the oldest probe result served on /metrics: large means probes are stale.',
      w: 6,
    }),
    barGauge({ title: 'Readiness by group', queries: [{ expr: ofGroups(GROUP_READY_RATIO), legend: '{{group}}' }], field: ratioField(o.readyThreshold) }),
    timeseries({
      title: 'Readiness over time',
      queries: [
        { expr: ofJob(READY_RATIO), legend: 'all services' },
        { expr: ofGroups(GROUP_READY_RATIO), legend: '{{group}}' },
      ],
      field: { defaults: { unit: 'percentunit', min: 0, max: 1, custom: { lineWidth: 1, fillOpacity: 0, showPoints: 'never' } }, overrides: [] },
    }),
    { row: 'Services' },
    table({
      title: 'Not ready: what and why',
      queries: [
        { expr: `${ofGroups(SERVICE_READY)} == 0`, mayBeEmpty: true },
        { expr: `${ofGroups(SERVICE_UP)} ${onNotReady}`, mayBeEmpty: true },
        { expr: `sum by (job, instance, service, reason) (increase(${ofJob(PROBE_FAILURES_TOTAL)}[$__range])) > 0 ${onNotReady}`, mayBeEmpty: true },
        { expr: `time() - ${ofJob(PROBE_LAST_SUCCESS)} ${onNotReady}`, mayBeEmpty: true },
        { expr: `time() - ${ofJob(SERVICE_STATE_SINCE)} ${onNotReady}`, mayBeEmpty: true },
      ],
      columns: {
        hide: ['Value #A'],
        rename: { 'Value #B': 'state', 'Value #C': 'failures in range', 'Value #D': 'since last success', 'Value #E': 'in this state for', reason: 'failure reason' },
        order: ['service', 'group', 'probe', 'Value #B', 'Value #E', 'reason', 'Value #C', 'Value #D'],
      },
      field: {
        defaults: {},
        overrides: [
          override('state', [{ id: 'mappings', value: mapping({ '0': ['down', 'red'], '1': ['up, not ready', 'orange'] }) }, cellColor]),
          override('since last success', [{ id: 'unit', value: 's' }]),
          override('in this state for', [{ id: 'unit', value: 's' }]),
        ],
      },
      description:
        'Services not ready now. state: down (its own probe failed) or up but not ready (the causes are in the table below). in this state for: since it last changed between ready, not ready and down. failure reason: probe failures by reason over the dashboard range (details in /status and logs).',
    }),
    table({
      title: 'Not ready causes',
      queries: [{ expr: notReadyCauses, mayBeEmpty: true }],
      columns: { hide: ['Value'], order: ['service', 'group', 'cause'] },
      field: { defaults: {}, overrides: [override('cause', [{ id: 'mappings', value: CAUSE_MAP }, cellColor])] },
      description:
        'Every cause that keeps a service from ready, one row each: down, dependency (waits on a service not ready), env (a needs_env variable holds a placeholder, is missing or weak), migrations (pending, failed, unknown or branched). /status names the variables, migrations and services behind them.',
      w: 12,
      h: 10,
    }),
    stateTimeline({
      title: 'Not ready causes over time',
      queries: [{ expr: inGroup(ofJob(SERVICE_NOT_READY)), legend: '{{service}}: {{cause}}', mayBeEmpty: true }],
      mappings: mapping({ '1': ['not ready', 'orange'] }),
      description: 'When each cause held each service back from ready; gaps are times it did not.',
    }),
    stateTimeline({ title: 'Ready over time', queries: [{ expr: ofGroups(SERVICE_READY), legend: '{{service}}' }], mappings: READY_MAP }),
    stateTimeline({ title: 'Up over time', queries: [{ expr: ofGroups(SERVICE_UP), legend: '{{service}}' }], mappings: UP_MAP }),
    { row: 'Probes' },
    timeseries({
      title: 'Probe duration',
      queries: [{ expr: inGroup(ofJob(PROBE_DURATION)), legend: '{{service}} ({{probe}})' }],
      unit: 's',
      description: 'Wall time of the last probe of each service.',
    }),
    timeseries({
      title: 'Probe failures by reason',
      queries: [
        {
          expr: inGroup(`sum by (job, instance, service, reason) (increase(${ofJob(PROBE_FAILURES_TOTAL)}[$__rate_interval])) > 0`),
          legend: '{{service}}: {{reason}}',
          mayBeEmpty: true,
        },
      ],
      description: 'Failed probes per interval, by bounded reason (timeout, refused, dns, tls, auth, status, expectation, error).',
    }),
    timeseries({
      title: 'State changes (flapping)',
      queries: [{ expr: inGroup(`increase(${ofJob(STATE_CHANGES_TOTAL)}[$__rate_interval])`), legend: '{{service}}' }],
      description: 'Up/down flips per interval: a steady non-zero line is a restart loop.',
    }),
    timeseries({
      title: 'Age of last probe run',
      queries: [{ expr: lastRunAge, legend: '{{service}}' }],
      unit: 's',
      description: 'Seconds since each service was last probed; it should stay below the probe interval.',
    }),
    { row: 'Containers' },
    stat({
      title: 'Containers not running',
      expr: `sum(${inGroup(`${ofJob(CONTAINER_STATE, 'state!="running"')} == 1`)})`,
      field: countField('red'),
      description: 'Containers of the selected services that are not running now (created, paused, restarting, removing, exited, dead or absent).',
      mayBeEmpty: true,
      w: 6,
    }),
    stat({
      title: 'Containers unhealthy',
      expr: `sum(${inGroup(ofJob(CONTAINER_HEALTH_STATUS, 'health="unhealthy"'))})`,
      field: countField('red'),
      description: 'Containers whose own healthcheck reports unhealthy (containers without a healthcheck count as none).',
      mayBeEmpty: true,
      w: 6,
    }),
    stat({
      title: 'Container restarts',
      expr: `sum(${inGroup(`increase(${ofJob(CONTAINER_RESTARTS)}[$__range])`)})`,
      field: countField('orange'),
      description: "Restarts by the engine over the dashboard range, all containers (the engine's RestartCount; a recreated container starts again from 0).",
      mayBeEmpty: true,
      w: 6,
    }),
    stat({
      title: 'Container images missing',
      expr: `sum(${inGroup(`1 - ${ofJob(CONTAINER_IMAGE_PRESENT)}`)})`,
      field: countField('red'),
      description: 'Containers whose image is not on the host (never built or not pulled): they cannot be (re)created.',
      mayBeEmpty: true,
      w: 6,
    }),
    table({
      title: 'Containers',
      queries: [
        { expr: inGroup(`${ofJob(CONTAINER_STATE)} == 1`), mayBeEmpty: true },
        { expr: inGroup(`${ofJob(CONTAINER_HEALTH_STATUS)} == 1`), mayBeEmpty: true },
        { expr: inGroup(`increase(${ofJob(CONTAINER_RESTARTS)}[$__range])`), mayBeEmpty: true },
        { expr: inGroup(ofJob(CONTAINER_RESTARTS)), mayBeEmpty: true },
        { expr: inGroup(ofJob(CONTAINER_EXIT_CODE)), mayBeEmpty: true },
        { expr: inGroup(ofJob(CONTAINER_OOM_KILLED)), mayBeEmpty: true },
        { expr: inGroup(ofJob(CONTAINER_IMAGE_PRESENT)), mayBeEmpty: true },
        { expr: inGroup(`time() - ${ofJob(CONTAINER_STARTED)}`), mayBeEmpty: true },
      ],
      columns: {
        hide: ['Value #A', 'Value #B'],
        rename: {
          'Value #C': 'restarts in range',
          'Value #D': 'restart count',
          'Value #E': 'exit code',
          'Value #F': 'OOM killed',
          'Value #G': 'image',
          'Value #H': 'started',
        },
        order: ['service', 'state', 'health', 'Value #C', 'Value #D', 'Value #E', 'Value #F', 'Value #G', 'Value #H'],
      },
      field: {
        defaults: {},
        overrides: [
          override('state', [{ id: 'mappings', value: CONTAINER_STATE_MAP }, cellColor]),
          override('health', [{ id: 'mappings', value: CONTAINER_HEALTH_MAP }, cellColor]),
          override('restarts in range', [{ id: 'decimals', value: 0 }]),
          override('OOM killed', [{ id: 'mappings', value: mapping({ '0': ['no', 'transparent'], '1': ['yes', 'red'] }) }, cellColor]),
          override('image', [{ id: 'mappings', value: mapping({ '0': ['missing', 'red'], '1': ['present', 'green'] }) }, cellColor]),
          override('started', [{ id: 'unit', value: 's' }]),
        ],
      },
      description:
        "The container of each service that has one: its state and healthcheck now, restarts over the dashboard range and the engine's restart count, the last exit code (0 while it never exited) and whether it was an OOM kill, whether its image is on the host, and how long ago it last started. The last words of a dying container's log are in /status.",
      h: 8,
    }),
    stateTimeline({
      title: 'Container state over time',
      queries: [{ expr: inGroup(containerStateCode), legend: '{{service}}', mayBeEmpty: true }],
      mappings: CONTAINER_STATE_CODES,
      description: 'The state of each service\'s container over time: running, restarting (a crash loop alternates the two), exited, absent ...',
    }),
    timeseries({
      title: 'Container restarts over time',
      queries: [{ expr: inGroup(`increase(${ofJob(CONTAINER_RESTARTS)}[$__rate_interval])`), legend: '{{service}}', mayBeEmpty: true }],
      description: 'Restarts by the engine per interval: a steady non-zero line is a restart loop (with Podman, the container looks running meanwhile).',
    }),
  ],
} as const satisfies DashboardSpec
