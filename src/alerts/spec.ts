// The shape of the alert table: one AlertSpec per alert, grouped into the
// rule groups of the rendered file. A spec holds everything about its alert
// (defaults, PromQL, annotations), so adding an alert is one entry here plus
// its runbook section and promtool test.
import type { Selectable } from './promql.js'
import type { Severity, Thresholds } from './severity.js'

/** What a spec's builders see of the resolved options. */
export interface RuleContext {
  /** A selector of groundtruth's series: `metric{<matchers>, <extra>...}`. */
  sel(metric: Selectable, ...extra: string[]): string
  /**
   * Adds the `group` label to a service's alert whose metric carries only
   * `service`; in a `splitBySeverity` rule it also applies `scope`.
   */
  withGroup(expr: string): string
  /** The label matchers of the `job` option, e.g. `job="groundtruth"`. */
  matchers: string
  thresholds: Thresholds
  /** Extra matchers that scope this one rule of a `splitBySeverity` alert; empty otherwise. */
  scope: readonly string[]
}

export type Text = string | ((x: RuleContext) => string)

export interface AlertSpec<N extends string = string> {
  name: N
  /** Default `for:`; "0m" fires at once (and leaves `for:` out). */
  for: string
  /** Default severity, overridable with `severity.alerts`. */
  severity: Severity
  expr(x: RuleContext): string
  summary: Text
  description: Text
  /**
   * Render one rule per `severity.services` / `severity.groups` override
   * (each scoped by `x.scope`), then one for every other service, so that a
   * team can page for some services and only notify for the rest.
   */
  splitBySeverity?: true
}

export interface RuleGroupSpec<N extends string = string> {
  name: string
  alerts: readonly AlertSpec<N>[]
}

/** A rule group of the table; `N` collects its alert names as a literal union. */
export function ruleGroup<const N extends `Groundtruth${string}`>(name: string, alerts: readonly AlertSpec<N>[]): RuleGroupSpec<N> {
  return { name, alerts }
}

export interface RecordingSpec {
  record: `groundtruth:${string}`
  expr(x: RuleContext): string
}

/** How a service's alert names where it fires. */
export const WHERE = 'service {{ $labels.service }} (group {{ $labels.group }})'
