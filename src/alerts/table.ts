// The alert table: every alert, in rendering order, grouped as in the rule
// file. The names and defaults below are read off it, never listed twice.
import { containerAlerts } from './groups/containers.js'
import { envAlerts } from './groups/env.js'
import { exporterAlerts } from './groups/exporter.js'
import { migrationAlerts } from './groups/migrations.js'
import { recordingRules } from './groups/recording.js'
import { serviceAlerts } from './groups/services.js'
import type { Severity } from './severity.js'
import type { AlertSpec } from './spec.js'

export const ALERT_GROUPS = [exporterAlerts, serviceAlerts, envAlerts, migrationAlerts, containerAlerts] as const

export type AlertName = (typeof ALERT_GROUPS)[number]['alerts'][number]['name']

export const ALERT_SPECS = ALERT_GROUPS.flatMap((g): readonly AlertSpec<AlertName>[] => g.alerts)

export const ALERT_NAMES: readonly AlertName[] = ALERT_SPECS.map((spec) => spec.name)

const byName = <V>(value: (spec: AlertSpec<AlertName>) => V): Readonly<Record<AlertName, V>> =>
  Object.fromEntries(ALERT_SPECS.map((spec) => [spec.name, value(spec)])) as Record<AlertName, V>

/** How long each alert's condition must hold before it fires (`for:`); "0m" fires at once. */
export const DEFAULT_FOR = byName((spec) => spec.for)

/** Each alert's severity unless overridden (`severity.alerts`, and for the `splitBySeverity` alerts, ServiceDown, NotReadyConfig, ContainerNotRunning and ContainerRestartLoop, `severity.services` / `severity.groups`). */
export const DEFAULT_SEVERITY: Readonly<Record<AlertName, Severity>> = byName((spec) => spec.severity)

export const RECORDING_RULES = recordingRules.map((r) => r.record)
