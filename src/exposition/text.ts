// Prometheus text exposition (format 0.0.4) written straight from the
// collectors. prom-client's way (a Gauge object per metric, reset and refilled
// through a label-hash map, then formatted) cost about a fifth of the CPU of
// a /probe request and grows with the label hashing at /metrics; the format
// itself is a few lines, so the collectors' rows are written out as they are
// emitted. test/exposition/text.test.ts holds this writer to prom-client's
// output for the same rows. Families without a row are left out, as the Go
// client does.
import type { Collector, MetricDef } from './metric.js'

export const TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

export interface RenderOptions {
  /** Counters only make sense for the scheduler's long-lived store, not for a one-off /probe. */
  counters: boolean
}

/** The metrics these collectors can expose (with these options), in order. */
export function familiesOf(collectors: readonly Collector<never>[], options: RenderOptions): MetricDef[] {
  return collectors.flatMap((c) => c.series.map((s) => s.def)).filter((d) => options.counters || d.type !== 'counter')
}

/** The exposition text of the collectors' series for one input. */
export function renderText<In>(collectors: readonly Collector<In>[], input: In, options: RenderOptions): string {
  let out = ''
  for (const c of collectors) {
    for (const s of c.series) {
      const { name, type, labels, help } = s.def
      if (type === 'counter' && !options.counters) continue
      let rows = ''
      s.fill(input, (values, value) => {
        rows += name
        if (labels.length > 0) {
          rows += '{'
          for (let i = 0; i < labels.length; i++) {
            const label = labels[i]!
            rows += `${i ? ',' : ''}${label}="${escapeLabel(values[label] ?? '')}"`
          }
          rows += '}'
        }
        rows += ` ${formatValue(value)}\n`
      })
      if (rows) out += `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n${rows}`
    }
  }
  return out
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Infinity) return '+Inf'
  if (value === -Infinity) return '-Inf'
  return String(value)
}

const NEEDS_ESCAPE = /[\\\n"]/

function escapeLabel(value: string): string {
  return NEEDS_ESCAPE.test(value) ? value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"') : value
}

function escapeHelp(help: string): string {
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
}
