// The services concern's metrics (SPEC §3): up, ready, checks, timings,
// counters and ratios, all read from one snapshot of the result store.
import { REASONS } from '../probe.js'
import type { ServiceRecord, Snapshot } from '../results.js'
import { collector, counter, gauge, itemSeries, series, type Items } from './metric.js'

const LAST_RUN = 'from the last scheduled run, not measured at scrape time'

export const SERVICE_UP = gauge('groundtruth_service_up', `1 when the service's probe and all its expect checks passed, ${LAST_RUN}`, ['service', 'group', 'probe'])
export const SERVICE_READY = gauge('groundtruth_service_ready', `1 when the service is up and every service it depends on (transitively) is ready, ${LAST_RUN}`, ['service', 'group'])
export const CHECK_OK = gauge('groundtruth_check_ok', `1 when the expectation passed, one row per expectation, ${LAST_RUN}`, ['service', 'check'])
export const PROBE_DURATION = gauge('groundtruth_probe_duration_seconds', `Wall time of the probe, ${LAST_RUN}`, ['service', 'probe'])
export const PROBE_LAST_RUN = gauge('groundtruth_probe_last_run_timestamp_seconds', 'When the last probe of the service finished (Unix time); old values mean stale results', ['service'])
export const PROBE_LAST_SUCCESS = gauge('groundtruth_probe_last_success_timestamp_seconds', 'When a probe of the service last succeeded (Unix time); absent before the first success', ['service'])
export const SERVICE_NOT_READY = gauge(
  'groundtruth_service_not_ready',
  `1 per cause that keeps the service from ready (down, dependency, env, migrations); only emitted when 1, ${LAST_RUN}`,
  ['service', 'cause'],
)
export const SERVICE_STATE_SINCE = gauge('groundtruth_service_state_since_timestamp_seconds', 'When the service last changed between ready, not ready and down (Unix time)', ['service'])
export const CONSECUTIVE_FAILURES = gauge('groundtruth_probe_consecutive_failures', `Probes of the service that failed in a row (0 after a success); down only from failure_threshold on, ${LAST_RUN}`, ['service'])
export const GROUP_READY_RATIO = gauge('groundtruth_group_ready_ratio', `Ready services over services in the group, ${LAST_RUN}`, ['group'])
export const READY_RATIO = gauge('groundtruth_ready_ratio', `Ready services over all services, ${LAST_RUN}`)
export const PROBES_TOTAL = counter('groundtruth_probes_total', 'Probes run by the scheduler', ['service'])
export const PROBE_FAILURES_TOTAL = counter('groundtruth_probe_failures_total', `Failed probes by reason (${REASONS.join(', ')}); the error text is in /status and logs`, ['service', 'reason'])
export const STATE_CHANGES_TOTAL = counter('groundtruth_service_state_changes_total', 'Flips between up and down; a restart loop shows here', ['service'])

/**
 * The services of a snapshot, one at a time. A record's revision changes with
 * every result and every change of its readiness (the store bumps it), which
 * is all its rows read: /metrics copies the rows of the services whose
 * revision did not change since the last scrape.
 */
const perService: Items<Snapshot, ServiceRecord> = { items: (s) => s.records, revision: (r) => r.revision }

export const serviceCollector = collector<Snapshot>('services', [
  itemSeries(SERVICE_UP, perService, (r, _s, emit) => {
    if (r.up !== undefined) emit({ service: r.config.name, group: r.config.group, probe: r.config.probe }, r.up ? 1 : 0)
  }),
  itemSeries(SERVICE_READY, perService, (r, s, emit) => {
    if (r.up !== undefined) emit({ service: r.config.name, group: r.config.group }, s.readiness.get(r.config.name)?.ready ? 1 : 0)
  }),
  itemSeries(CHECK_OK, perService, (r, _s, emit) => {
    for (const c of r.last?.checks ?? []) emit({ service: r.config.name, check: c.name }, c.ok ? 1 : 0)
  }),
  itemSeries(PROBE_DURATION, perService, (r, _s, emit) => {
    if (r.last) emit({ service: r.config.name, probe: r.config.probe }, r.last.durationSeconds)
  }),
  itemSeries(PROBE_LAST_RUN, perService, (r, _s, emit) => {
    if (r.last) emit({ service: r.config.name }, r.last.finishedAt / 1000)
  }),
  itemSeries(PROBE_LAST_SUCCESS, perService, (r, _s, emit) => {
    if (r.lastSuccessAt !== undefined) emit({ service: r.config.name }, r.lastSuccessAt / 1000)
  }),
  itemSeries(SERVICE_NOT_READY, perService, (r, s, emit) => {
    for (const c of s.readiness.get(r.config.name)?.causes ?? []) emit({ service: r.config.name, cause: c.cause }, 1)
  }),
  itemSeries(SERVICE_STATE_SINCE, perService, (r, _s, emit) => {
    if (r.stateSince !== undefined) emit({ service: r.config.name }, r.stateSince / 1000)
  }),
  itemSeries(CONSECUTIVE_FAILURES, perService, (r, _s, emit) => {
    if (r.last) emit({ service: r.config.name }, r.consecutiveFailures)
  }),
  // Ratios are withheld until every service has a result: a half-finished
  // first round would report a readiness that nobody measured.
  series(GROUP_READY_RATIO, (s, emit) => {
    if (s.complete) for (const [group, ratio] of s.ratios.groups) emit({ group }, ratio)
  }),
  series(READY_RATIO, (s, emit) => {
    if (s.complete && s.ratios.overall !== undefined) emit({}, s.ratios.overall)
  }),
  itemSeries(PROBES_TOTAL, perService, (r, _s, emit) => {
    emit({ service: r.config.name }, r.probes)
  }),
  // Every reason starts at 0 so that increase() sees the first failure.
  itemSeries(PROBE_FAILURES_TOTAL, perService, (r, _s, emit) => {
    for (const reason of REASONS) emit({ service: r.config.name, reason }, r.failures[reason])
  }),
  itemSeries(STATE_CHANGES_TOTAL, perService, (r, _s, emit) => {
    emit({ service: r.config.name }, r.stateChanges)
  }),
])
