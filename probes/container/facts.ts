// The container concern's facts and gauges (SPEC §3 groundtruth_container_*):
// what the engine says of the container a service runs in.
import { collector, counter, gauge, series } from '../../src/exposition/metric.js'
import type { FactRow } from '../../src/probe.js'

export const CONTAINER_STATES = ['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead', 'absent'] as const
export type ContainerState = (typeof CONTAINER_STATES)[number]
export const CONTAINER_HEALTH = ['healthy', 'unhealthy', 'starting', 'none'] as const
export type ContainerHealth = (typeof CONTAINER_HEALTH)[number]

export interface ContainerFacts {
  name: string
  state: ContainerState
  health: ContainerHealth
  /** The engine's restart count (0 when absent). */
  restartCount: number
  exitCode: number
  oomKilled: boolean
  /** The image it is (or would be) made from is on the host. */
  imagePresent: boolean
  /** The image reference as configured (`Config.Image`). */
  image?: string
  /** Epoch ms of the last start, when it ever started. */
  startedAt?: number
  /** The most telling error line of a dying container's log, redacted; never a label. */
  lastWords?: string
}

declare module '../../src/probe.js' {
  interface Facts {
    container: ContainerFacts
  }
}

const LAST_RUN = 'from the last scheduled run, not measured at scrape time'

export const CONTAINER_STATE = gauge('groundtruth_container_state', `1 for the container's current state (${CONTAINER_STATES.join(', ')}), ${LAST_RUN}`, ['service', 'state'])
export const CONTAINER_HEALTH_STATUS = gauge('groundtruth_container_health', `1 for the container's healthcheck status (${CONTAINER_HEALTH.join(', ')}), ${LAST_RUN}`, ['service', 'health'])
export const CONTAINER_RESTARTS = counter('groundtruth_container_restarts_total', "The engine's restart count of the container (resets when it is recreated)", ['service'])
export const CONTAINER_EXIT_CODE = gauge('groundtruth_container_exit_code', `Last exit code of the container (0 while it never exited), ${LAST_RUN}`, ['service'])
export const CONTAINER_OOM_KILLED = gauge('groundtruth_container_oom_killed', `1 when the container's last exit was an OOM kill, ${LAST_RUN}`, ['service'])
export const CONTAINER_IMAGE_PRESENT = gauge('groundtruth_container_image_present', `0 when the image the container is (or would be) made from is not on the host, ${LAST_RUN}`, ['service'])
export const CONTAINER_STARTED = gauge('groundtruth_container_started_timestamp_seconds', 'When the container last started (Unix time)', ['service'])

const each = (rows: readonly FactRow[], fn: (service: string, c: ContainerFacts) => void) => {
  for (const r of rows) if (r.facts.container) fn(r.service, r.facts.container)
}

export const containerCollector = collector<readonly FactRow[]>('container', [
  series(CONTAINER_STATE, (rows, emit) => each(rows, (service, c) => CONTAINER_STATES.forEach((state) => emit({ service, state }, c.state === state ? 1 : 0)))),
  series(CONTAINER_HEALTH_STATUS, (rows, emit) => each(rows, (service, c) => CONTAINER_HEALTH.forEach((health) => emit({ service, health }, c.health === health ? 1 : 0)))),
  series(CONTAINER_RESTARTS, (rows, emit) => each(rows, (service, c) => emit({ service }, c.restartCount))),
  series(CONTAINER_EXIT_CODE, (rows, emit) => each(rows, (service, c) => emit({ service }, c.exitCode))),
  series(CONTAINER_OOM_KILLED, (rows, emit) => each(rows, (service, c) => emit({ service }, c.oomKilled ? 1 : 0))),
  series(CONTAINER_IMAGE_PRESENT, (rows, emit) => each(rows, (service, c) => emit({ service }, c.imagePresent ? 1 : 0))),
  series(CONTAINER_STARTED, (rows, emit) => each(rows, (service, c) => c.startedAt !== undefined && emit({ service }, c.startedAt / 1000))),
])
