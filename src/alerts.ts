// The alerting library (SPEC §5, issue 6): Prometheus alert and recording
// rules over the metrics of SPEC §3, generated from options so that a team
// never writes PromQL. `alerts/groundtruth.rules.yml` is `renderAlertRules()`
// with the defaults; test/alerts.test.ts fails when the two drift apart.
import { stringify } from 'yaml'
import { parseDuration } from './duration.js'

export type Severity = 'critical' | 'warning' | 'info'
export const SEVERITIES: readonly Severity[] = ['critical', 'warning', 'info']

export const ALERT_NAMES = [
  'GroundtruthExporterDown',
  'GroundtruthExporterAbsent',
  'GroundtruthConfigReloadFailed',
  'GroundtruthServiceDown',
  'GroundtruthServiceNotReady',
  'GroundtruthServiceFlapping',
  'GroundtruthProbeSlow',
  'GroundtruthProbeStale',
  'GroundtruthReadinessBelowGate',
  'GroundtruthEnvPlaceholder',
  'GroundtruthEnvMissing',
  'GroundtruthEnvWeak',
  'GroundtruthEnvFileUnreadable',
  'GroundtruthMigrationPending',
  'GroundtruthMigrationFailed',
  'GroundtruthMigrationUnknown',
  'GroundtruthMigrationChecksumMismatch',
  'GroundtruthMigrationHeads',
  'GroundtruthMigrationUnreadable',
] as const
export type AlertName = (typeof ALERT_NAMES)[number]

/** How long each alert's condition must hold before it fires (`for:`); "0m" fires at once. */
export const DEFAULT_FOR: Readonly<Record<AlertName, string>> = {
  GroundtruthExporterDown: '2m',
  GroundtruthExporterAbsent: '5m',
  GroundtruthConfigReloadFailed: '0m',
  GroundtruthServiceDown: '2m',
  GroundtruthServiceNotReady: '5m',
  GroundtruthServiceFlapping: '0m',
  GroundtruthProbeSlow: '10m',
  GroundtruthProbeStale: '2m',
  GroundtruthReadinessBelowGate: '10m',
  GroundtruthEnvPlaceholder: '0m',
  GroundtruthEnvMissing: '0m',
  GroundtruthEnvWeak: '0m',
  GroundtruthEnvFileUnreadable: '5m',
  GroundtruthMigrationPending: '30m',
  GroundtruthMigrationFailed: '0m',
  GroundtruthMigrationUnknown: '15m',
  GroundtruthMigrationChecksumMismatch: '0m',
  GroundtruthMigrationHeads: '0m',
  GroundtruthMigrationUnreadable: '5m',
}

/** Each alert's severity unless overridden (`severity.alerts`, and for ServiceDown `severity.services` / `severity.groups`). */
export const DEFAULT_SEVERITY: Readonly<Record<AlertName, Severity>> = {
  GroundtruthExporterDown: 'critical',
  GroundtruthExporterAbsent: 'critical',
  GroundtruthConfigReloadFailed: 'warning',
  GroundtruthServiceDown: 'critical',
  GroundtruthServiceNotReady: 'warning',
  GroundtruthServiceFlapping: 'warning',
  GroundtruthProbeSlow: 'warning',
  GroundtruthProbeStale: 'warning',
  GroundtruthReadinessBelowGate: 'warning',
  GroundtruthEnvPlaceholder: 'warning',
  GroundtruthEnvMissing: 'warning',
  GroundtruthEnvWeak: 'warning',
  GroundtruthEnvFileUnreadable: 'warning',
  GroundtruthMigrationPending: 'warning',
  GroundtruthMigrationFailed: 'critical',
  GroundtruthMigrationUnknown: 'warning',
  GroundtruthMigrationChecksumMismatch: 'warning',
  GroundtruthMigrationHeads: 'warning',
  GroundtruthMigrationUnreadable: 'warning',
}

export interface Thresholds {
  /** GroundtruthProbeSlow: probe wall time above this many seconds. Default 2 (the default timeout is 5s). */
  probeSlowSeconds: number
  /** GroundtruthProbeStale: last probe finished longer ago than this many seconds. Default 300 (10 default intervals of 30s). */
  staleSeconds: number
  /** GroundtruthReadinessBelowGate: `groundtruth_ready_ratio` below this. Default 0.95. */
  readyGate: number
  /** GroundtruthServiceFlapping: at least this many up↔down flips within `flappingWindow`. Default 4. */
  flappingChanges: number
  /** GroundtruthServiceFlapping: the window of `increase()`. Default "15m". */
  flappingWindow: string
  /** GroundtruthServiceDown: window in which the failure reason is looked up from `groundtruth_probe_failures_total`. Default "10m". */
  reasonWindow: string
}

export const DEFAULT_THRESHOLDS: Readonly<Thresholds> = {
  probeSlowSeconds: 2,
  staleSeconds: 300,
  readyGate: 0.95,
  flappingChanges: 4,
  flappingWindow: '15m',
  reasonWindow: '10m',
}

export const DEFAULT_JOB = 'job="groundtruth"'
export const DEFAULT_RUNBOOK_BASE_URL = 'https://github.com/groundtruth/groundtruth/blob/main/alerts/runbook.md'

export interface AlertOptions {
  /**
   * Label matchers (PromQL text, without braces) that select groundtruth's
   * series; added to every selector of every rule. Default `job="groundtruth"`.
   */
  job?: string
  /** The runbook; each alert links to `<runbookBaseUrl>#<alertname lower-cased>`. Default: alerts/runbook.md on GitHub. */
  runbookBaseUrl?: string
  /** `for:` per alert, e.g. `{ GroundtruthServiceDown: '30s' }`. Defaults: DEFAULT_FOR. */
  for?: Partial<Record<AlertName, string>>
  /** Thresholds. Defaults: DEFAULT_THRESHOLDS. */
  thresholds?: Partial<Thresholds>
  severity?: {
    /** Severity per alert. Defaults: DEFAULT_SEVERITY. */
    alerts?: Partial<Record<AlertName, Severity>>
    /**
     * GroundtruthServiceDown severity by group: one rule per group (matching
     * `group="…"`), and the default rule excludes these groups.
     */
    groups?: Record<string, Severity>
    /** GroundtruthServiceDown severity by service; wins over `groups`. */
    services?: Record<string, Severity>
  }
}

export interface AlertingRule {
  alert: AlertName
  expr: string
  for?: string
  labels: { severity: Severity }
  annotations: { summary: string; description: string; runbook_url: string }
}
export interface RecordingRule {
  record: string
  expr: string
}
export interface RuleGroup {
  name: string
  interval?: string
  rules: Array<AlertingRule | RecordingRule>
}
export interface RuleFile {
  groups: RuleGroup[]
}

export const RECORDING_RULES = [
  'groundtruth:group_ready_ratio:avg_over_time_1h',
  'groundtruth:group_ready_ratio:avg_over_time_1d',
  'groundtruth:ready_ratio:avg_over_time_1h',
] as const

/** A PromQL string literal. */
const q = (s: string): string => JSON.stringify(s)
const regexAlternatives = (values: string[]): string => values.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(`alert options: ${message}`)
}

function resolve(options: AlertOptions) {
  const job = (options.job ?? DEFAULT_JOB).trim()
  check(!/[{}]/.test(job), `expected "job" to be label matchers without braces, such as job="groundtruth", got ${q(job)}`)
  const thresholds: Thresholds = { ...DEFAULT_THRESHOLDS, ...options.thresholds }
  for (const key of ['probeSlowSeconds', 'staleSeconds', 'readyGate', 'flappingChanges'] as const) {
    check(Number.isFinite(thresholds[key]) && thresholds[key] >= 0, `expected thresholds.${key} to be a number ≥ 0`)
  }
  for (const key of ['flappingWindow', 'reasonWindow'] as const) {
    check(parseDuration(thresholds[key]) !== undefined, `expected thresholds.${key} to be a duration such as "15m", got ${q(thresholds[key])}`)
  }
  const forOf = { ...DEFAULT_FOR, ...options.for }
  for (const [name, value] of Object.entries(forOf)) {
    check((ALERT_NAMES as readonly string[]).includes(name), `unknown alert ${q(name)} in "for"`)
    check(parseDuration(value) !== undefined, `expected for.${name} to be a duration such as "5m", got ${q(value)}`)
  }
  const severityOf = { ...DEFAULT_SEVERITY, ...options.severity?.alerts }
  const byService = options.severity?.services ?? {}
  const byGroup = options.severity?.groups ?? {}
  for (const [where, map] of [['alerts', severityOf], ['services', byService], ['groups', byGroup]] as const) {
    for (const [key, value] of Object.entries(map)) {
      check((SEVERITIES as readonly string[]).includes(value), `expected severity.${where}.${key} to be one of ${SEVERITIES.join(', ')}, got ${q(String(value))}`)
      if (where === 'alerts') check((ALERT_NAMES as readonly string[]).includes(key), `unknown alert ${q(key)} in severity.alerts`)
    }
  }
  return {
    job,
    runbook: options.runbookBaseUrl ?? DEFAULT_RUNBOOK_BASE_URL,
    thresholds,
    forOf: forOf as Record<AlertName, string>,
    severityOf: severityOf as Record<AlertName, Severity>,
    byService,
    byGroup,
  }
}

/** The rule file (`{ groups: [...] }`) for these options. */
export function alertRules(options: AlertOptions = {}): RuleFile {
  const o = resolve(options)
  /** A selector of groundtruth's series: `metric{<job>,<extra>}`. */
  const s = (metric: string, ...extra: string[]): string => `${metric}{${[o.job, ...extra].filter(Boolean).join(', ')}}`
  /** Adds the `group` label to a service's alert that lacks it. */
  const withGroup = (expr: string): string =>
    `(${expr})\n* on(job, instance, service) group_left(group)\ngroup by (job, instance, service, group) (${s('groundtruth_service_ready')})`
  const rule = (
    alert: AlertName,
    expr: string,
    summary: string,
    description: string,
    severity: Severity = o.severityOf[alert],
  ): AlertingRule => {
    const forText = o.forOf[alert]
    return {
      alert,
      expr,
      ...(parseDuration(forText) ? { for: forText } : {}),
      labels: { severity },
      annotations: { summary, description, runbook_url: `${o.runbook}#${alert.toLowerCase()}` },
    }
  }
  const where = 'service {{ $labels.service }} (group {{ $labels.group }})'
  const t = o.thresholds

  // ServiceDown: one rule per severity override, then the default rule for the rest.
  const serviceDown = (matchers: string[], severity: Severity): AlertingRule => {
    const down = `${s('groundtruth_service_up', ...matchers)} == 0`
    const reason = `topk by (job, instance, service) (1, increase(${s('groundtruth_probe_failures_total')}[${t.reasonWindow}]) > 0)`
    return rule(
      'GroundtruthServiceDown',
      `(\n  ${down}\n)\n* on(job, instance, service) group_left(reason)\n${reason}\nor on(job, instance, service)\n${down}`,
      'Service {{ $labels.service }} is down',
      `The ${where} failed its {{ $labels.probe }} probe or one of its expect checks on the last run` +
        '{{ with $labels.reason }} (reason: {{ . }}){{ end }}; the error text is in /status.',
      severity,
    )
  }
  const overriddenServices = Object.keys(o.byService).sort()
  const overriddenGroups = Object.keys(o.byGroup).sort()
  const notServices = overriddenServices.length ? [`service!~${q(regexAlternatives(overriddenServices))}`] : []
  const downRules = [
    ...overriddenServices.map((name) => serviceDown([`service=${q(name)}`], o.byService[name]!)),
    ...overriddenGroups.map((name) => serviceDown([`group=${q(name)}`, ...notServices], o.byGroup[name]!)),
    serviceDown([...notServices, ...(overriddenGroups.length ? [`group!~${q(regexAlternatives(overriddenGroups))}`] : [])], o.severityOf.GroundtruthServiceDown),
  ]

  const migration = (alert: AlertName, metric: string, condition: string, summary: string, description: string) =>
    rule(alert, withGroup(`${s(metric)} ${condition}`), summary, description)

  return {
    groups: [
      {
        name: 'groundtruth-exporter',
        rules: [
          rule(
            'GroundtruthExporterDown',
            `${s('up')} == 0`,
            'groundtruth exporter {{ $labels.instance }} is down',
            'Prometheus cannot scrape groundtruth at {{ $labels.instance }} (job {{ $labels.job }}): no service, env or migration result is being measured, so no other groundtruth alert can fire.',
          ),
          rule(
            'GroundtruthExporterAbsent',
            `absent(${s('up')})`,
            'groundtruth exporter is absent',
            `Prometheus has no scrape target matching {${o.job}}: groundtruth is not being scraped at all, so no other groundtruth alert can fire.`,
          ),
          rule(
            'GroundtruthConfigReloadFailed',
            `${s('groundtruth_config_last_reload_successful')} == 0`,
            'groundtruth config reload failed on {{ $labels.instance }}',
            'The last reload of the groundtruth configuration on {{ $labels.instance }} failed; the previous configuration stays in force. The error is in the log and in /status.',
          ),
        ],
      },
      {
        name: 'groundtruth-services',
        rules: [
          ...downRules,
          rule(
            'GroundtruthServiceNotReady',
            `${s('groundtruth_service_ready')} == 0\nand on(job, instance, service)\n${s('groundtruth_service_up')} == 1`,
            'Service {{ $labels.service }} is up but not ready',
            `The ${where} is up itself, but a service it depends on (directly or transitively) is not ready; /status names the one it waits on.`,
          ),
          rule(
            'GroundtruthServiceFlapping',
            withGroup(`increase(${s('groundtruth_service_state_changes_total')}[${t.flappingWindow}]) >= ${t.flappingChanges}`),
            'Service {{ $labels.service }} is flapping',
            `The ${where} flipped between up and down {{ $value | printf "%.0f" }} times in ${t.flappingWindow} (threshold ${t.flappingChanges}): a restart loop or an unstable dependency.`,
          ),
          rule(
            'GroundtruthProbeSlow',
            withGroup(`${s('groundtruth_probe_duration_seconds')} > ${t.probeSlowSeconds}`),
            'Probe of service {{ $labels.service }} is slow',
            `The {{ $labels.probe }} probe of ${where} took {{ $value | humanizeDuration }}, more than ${t.probeSlowSeconds}s.`,
          ),
          rule(
            'GroundtruthProbeStale',
            withGroup(`time() - ${s('groundtruth_probe_last_run_timestamp_seconds')} > ${t.staleSeconds}`),
            'Probe results of service {{ $labels.service }} are stale',
            `The last probe of ${where} finished {{ $value | humanizeDuration }} ago, more than ${t.staleSeconds}s: the scheduler is stuck or the probe hangs, so its metrics no longer describe the present.`,
          ),
          rule(
            'GroundtruthReadinessBelowGate',
            `${s('groundtruth_ready_ratio')} < ${t.readyGate}`,
            'Only {{ $value | humanizePercentage }} of services are ready',
            `groundtruth on {{ $labels.instance }} reports {{ $value | humanizePercentage }} of all services ready, below the gate of ${t.readyGate * 100}%; the per-service alerts say which and why.`,
          ),
        ],
      },
      {
        name: 'groundtruth-env',
        rules: [
          rule(
            'GroundtruthEnvPlaceholder',
            `${s('groundtruth_env_variable_placeholder')} == 1`,
            '{{ $labels.variable }} holds a placeholder',
            'The variable {{ $labels.variable }} in {{ $labels.source }} holds a placeholder value (such as your-key-here or changeme) instead of a real one.',
          ),
          rule(
            'GroundtruthEnvMissing',
            `${s('groundtruth_env_variable_missing')} == 1`,
            '{{ $labels.variable }} is missing',
            'The variable {{ $labels.variable }} is required or listed in the example file, but is absent or empty in {{ $labels.source }}.',
          ),
          rule(
            'GroundtruthEnvWeak',
            `${s('groundtruth_env_variable_weak')} == 1`,
            '{{ $labels.variable }} is weak',
            'The variable {{ $labels.variable }} in {{ $labels.source }} is set but unsafe for its environment (rule {{ $labels.rule }}).',
          ),
          rule(
            'GroundtruthEnvFileUnreadable',
            `${s('groundtruth_env_file_readable')} == 0`,
            'Env file {{ $labels.source }} cannot be read',
            'groundtruth cannot read the {{ if eq $labels.role "example" }}example file{{ else }}env file{{ end }} of {{ $labels.source }}, so its variables are not audited.',
          ),
        ],
      },
      {
        name: 'groundtruth-migrations',
        rules: [
          migration(
            'GroundtruthMigrationPending',
            'groundtruth_migration_pending',
            '> 0',
            '{{ $labels.service }} has pending migrations',
            `The database of ${where} lacks {{ $value }} {{ $labels.tool }} migration(s) that are on disk: the code expects a schema that is not there.`,
          ),
          migration(
            'GroundtruthMigrationFailed',
            'groundtruth_migration_failed',
            '> 0',
            '{{ $labels.service }} has a failed migration',
            `{{ $value }} {{ $labels.tool }} migration(s) of ${where} are recorded as failed, unfinished or dirty, or the migration lock is held: the schema is in an unknown state.`,
          ),
          migration(
            'GroundtruthMigrationUnknown',
            'groundtruth_migration_unknown',
            '> 0',
            '{{ $labels.service }} has unknown (ghost) migrations',
            `The database of ${where} records {{ $value }} {{ $labels.tool }} migration(s) that are not on disk: the running code is older than the schema, or a migration was deleted.`,
          ),
          migration(
            'GroundtruthMigrationChecksumMismatch',
            'groundtruth_migration_checksum_mismatch',
            '> 0',
            '{{ $labels.service }} has edited migrations',
            `{{ $value }} {{ $labels.tool }} migration(s) of ${where} were applied and then edited on disk: the checksums no longer match.`,
          ),
          migration(
            'GroundtruthMigrationHeads',
            'groundtruth_migration_heads',
            '> 1',
            '{{ $labels.service }} has several migration heads',
            `The {{ $labels.tool }} revision graph of ${where} has {{ $value }} heads: branches that were never merged.`,
          ),
          migration(
            'GroundtruthMigrationUnreadable',
            'groundtruth_migration_read_ok',
            '== 0',
            'Migrations of {{ $labels.service }} cannot be read',
            `groundtruth cannot read the {{ $labels.tool }} history table or migration directory of ${where}, so its migration state is unknown; the error is in /status.`,
          ),
        ],
      },
      {
        name: 'groundtruth-recording',
        rules: [
          { record: RECORDING_RULES[0], expr: `avg_over_time(${s('groundtruth_group_ready_ratio')}[1h])` },
          { record: RECORDING_RULES[1], expr: `avg_over_time(${s('groundtruth_group_ready_ratio')}[1d])` },
          { record: RECORDING_RULES[2], expr: `avg_over_time(${s('groundtruth_ready_ratio')}[1h])` },
        ],
      },
    ],
  }
}

/** The rule file as YAML, ready for Prometheus' `rule_files`. */
export function renderAlertRules(options: AlertOptions = {}): string {
  const header = '# Generated by `groundtruth alerts`: do not edit; render again with other options instead.\n'
  return header + stringify(alertRules(options), { lineWidth: 0 })
}

/** The part of a configuration that decides severities. */
export interface SeveritySource {
  services: ReadonlyArray<{ name: string; critical?: boolean; depends_on?: readonly string[] }>
}

/**
 * Alert options from a configuration's `critical: true` services. With no
 * critical service, every down service pages (the defaults). Otherwise a
 * critical service and everything it depends on (transitively: "the API is
 * down because Postgres is down" must page) is `critical`, and any other
 * down service is a `warning`.
 */
export function alertOptionsFromConfig(config: SeveritySource): AlertOptions {
  const byName = new Map(config.services.map((svc) => [svc.name, svc]))
  const critical = new Set<string>()
  const visit = (name: string): void => {
    if (critical.has(name)) return
    critical.add(name)
    for (const dep of byName.get(name)?.depends_on ?? []) visit(dep)
  }
  for (const svc of config.services) if (svc.critical) visit(svc.name)
  if (critical.size === 0) return {}
  return {
    severity: {
      alerts: { GroundtruthServiceDown: 'warning' },
      services: Object.fromEntries([...critical].filter((name) => byName.has(name)).sort().map((name) => [name, 'critical' as const])),
    },
  }
}
