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

/** What a selector may name: a declared metric, or Prometheus' `up`. */
export type Selectable = MetricDef | typeof SCRAPE_UP

/** `metric{<matchers>, <extra>...}`, leaving out empty matchers. */
export function selector(matchers: string, metric: Selectable, extra: readonly string[]): string {
  return `${metric.name}{${[matchers, ...extra].filter(Boolean).join(', ')}}`
}
