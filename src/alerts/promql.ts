// PromQL text helpers shared by the alert specs and the renderer.
import type { MetricDef } from '../exposition/metric.js'

/** A PromQL string literal. */
export const quote = (s: string): string => JSON.stringify(s)

/** A regex matching exactly one of `values` (for `=~` / `!~`). */
export const regexAlternatives = (values: readonly string[]): string => values.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')

/**
 * Prometheus' own per-target health series, not a groundtruth metric: the
 * exporter alerts need it, because when groundtruth is down none of its own
 * series exist.
 */
export const SCRAPE_UP = { name: 'up' } as const

/** A series a recording rule of the rule file records (`groundtruth:…`), read by a later rule. */
export interface RecordedSeries {
  name: `groundtruth:${string}`
}

/** What a selector may name: a declared metric, Prometheus' `up`, or a recorded series. */
export type Selectable = MetricDef | typeof SCRAPE_UP | RecordedSeries

/** `metric{<matchers>, <extra>...}`, leaving out empty matchers. */
export function selector(matchers: string, metric: Selectable, extra: readonly string[]): string {
  return `${metric.name}{${[matchers, ...extra].filter(Boolean).join(', ')}}`
}

/**
 * The label names that label matchers (`job="gt", env=~"prod|stage"`) test, in
 * order, each once: an aggregation that keeps them keeps its result
 * selectable by the same matchers.
 */
export function matcherLabelNames(matchers: string): string[] {
  // Quoted values first: `job="a=b"` names only `job`.
  const bare = matchers.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
  return [...new Set([...bare.matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map((m) => m[1]!))]
}
