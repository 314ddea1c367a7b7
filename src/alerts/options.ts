// The knobs of the alert rules (AlertOptions), their defaults, and their
// validation: resolveAlertOptions() turns what a team wrote into the values
// the specs are rendered with, or throws naming the bad option.
import { parseDuration } from '../duration.js'
import { quote } from './promql.js'
import { SEVERITIES, type Severity, type Thresholds } from './severity.js'
export { SEVERITIES, type Severity, type Thresholds } from './severity.js'
import { ALERT_NAMES, DEFAULT_FOR, DEFAULT_SEVERITY, type AlertName } from './table.js'

export const DEFAULT_THRESHOLDS: Readonly<Thresholds> = {
  probeSlowSeconds: 2,
  staleSeconds: 300,
  readyGate: 0.95,
  flappingChanges: 4,
  flappingWindow: '15m',
  reasonWindow: '10m',
  restartLoopRestarts: 3,
  restartLoopWindow: '10m',
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
     * Severity by group of the alerts about a service's own state
     * (GroundtruthServiceDown, GroundtruthServiceNotReadyConfig,
     * GroundtruthContainerNotRunning, GroundtruthContainerRestartLoop): one rule
     * per group (matching `group="…"`), and the default rule excludes these
     * groups.
     */
    groups?: Record<string, Severity>
    /** The same by service; wins over `groups`. */
    services?: Record<string, Severity>
  }
}

/** The options with every default filled in and checked. */
export interface ResolvedAlertOptions {
  /**
   * The `job` option: label matchers, not a job name (the option keeps its
   * public name; inside, the name says what the text is).
   */
  matchers: string
  runbook: string
  thresholds: Thresholds
  forOf: Record<AlertName, string>
  severityOf: Record<AlertName, Severity>
  byService: Record<string, Severity>
  byGroup: Record<string, Severity>
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(`alert options: ${message}`)
}

export function resolveAlertOptions(options: AlertOptions): ResolvedAlertOptions {
  const matchers = (options.job ?? DEFAULT_JOB).trim()
  check(!/[{}]/.test(matchers), `expected "job" to be label matchers without braces, such as job="groundtruth", got ${quote(matchers)}`)
  const thresholds: Thresholds = { ...DEFAULT_THRESHOLDS, ...options.thresholds }
  for (const key of ['probeSlowSeconds', 'staleSeconds', 'readyGate', 'flappingChanges', 'restartLoopRestarts'] as const) {
    check(Number.isFinite(thresholds[key]) && thresholds[key] >= 0, `expected thresholds.${key} to be a number ≥ 0`)
  }
  check(Number.isInteger(thresholds.restartLoopRestarts) && thresholds.restartLoopRestarts >= 1, 'expected thresholds.restartLoopRestarts to be a whole number ≥ 1')
  for (const key of ['flappingWindow', 'reasonWindow', 'restartLoopWindow'] as const) {
    check(parseDuration(thresholds[key]) !== undefined, `expected thresholds.${key} to be a duration such as "15m", got ${quote(thresholds[key])}`)
  }
  const runbook = options.runbookBaseUrl ?? DEFAULT_RUNBOOK_BASE_URL
  check(/^https?:\/\/[^\s#"]+$/.test(runbook), `expected the runbook base URL to be an http(s) URL without a #fragment (each alert adds #<alertname>), got ${quote(runbook)}`)
  const forOf = { ...DEFAULT_FOR, ...options.for }
  for (const [name, value] of Object.entries(forOf)) {
    check((ALERT_NAMES as readonly string[]).includes(name), `unknown alert ${quote(name)} in "for"`)
    check(parseDuration(value) !== undefined, `expected for.${name} to be a duration such as "5m", got ${quote(value)}`)
  }
  const severityOf = { ...DEFAULT_SEVERITY, ...options.severity?.alerts }
  const byService = options.severity?.services ?? {}
  const byGroup = options.severity?.groups ?? {}
  for (const [where, map] of [['alerts', severityOf], ['services', byService], ['groups', byGroup]] as const) {
    for (const [key, value] of Object.entries(map)) {
      check((SEVERITIES as readonly string[]).includes(value), `expected severity.${where}.${key} to be one of ${SEVERITIES.join(', ')}, got ${quote(String(value))}`)
      if (where === 'alerts') check((ALERT_NAMES as readonly string[]).includes(key), `unknown alert ${quote(key)} in severity.alerts`)
    }
  }
  return {
    matchers,
    runbook,
    thresholds,
    forOf: forOf as Record<AlertName, string>,
    severityOf: severityOf as Record<AlertName, Severity>,
    byService,
    byGroup,
  }
}
