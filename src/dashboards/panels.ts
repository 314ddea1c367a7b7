// Panel specs: what a dashboard file writes for each panel (its queries, size
// and field config), before layout gives it an id, a position and targets.
import { stateDefaults, type Json } from './fields.js'

/** One query of a panel. */
export interface Query {
  expr: string
  legend?: string
  /**
   * An empty result is the healthy answer (a filter such as `== 1` on
   * placeholders, failures in the range, metrics only some tools emit), so a
   * test that expects data may skip it. Reported by allQueries().
   */
  mayBeEmpty?: boolean
}

export interface PanelSpec {
  type: string
  title: string
  description?: string
  w: number
  h: number
  queries: Query[]
  /** Instant queries in table format (tables). */
  table?: boolean
  /** Instant queries (stats, bar gauges of the current value). */
  instant?: boolean
  fieldConfig: Json
  options: Json
  transformations?: Json[]
}

/** A row header; the panels after it, up to the next row, sit under it. */
export interface RowSpec {
  row: string
}

export type Item = PanelSpec | RowSpec

export function isRow(item: Item): item is RowSpec {
  return 'row' in item
}

/** What every panel builder takes: the title, an optional description, the size. */
interface Common {
  title: string
  description?: string
  w?: number
  h?: number
}

const STAT_OPTIONS: Json = {
  reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
  colorMode: 'background',
  graphMode: 'none',
  justifyMode: 'auto',
  orientation: 'auto',
  textMode: 'auto',
}

const TS_OPTIONS: Json = {
  legend: { displayMode: 'list', placement: 'bottom', showLegend: true },
  tooltip: { mode: 'multi', sort: 'desc' },
}

const TABLE_OPTIONS: Json = { showHeader: true, cellHeight: 'sm', footer: { show: false, reducer: ['sum'], fields: '', countRows: false } }

const STATE_TIMELINE_OPTIONS: Json = {
  mergeValues: true,
  showValue: 'never',
  alignValue: 'left',
  rowHeight: 0.9,
  legend: { displayMode: 'list', placement: 'bottom', showLegend: true },
  tooltip: { mode: 'single', sort: 'none' },
}

const BAR_GAUGE_OPTIONS: Json = {
  reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
  orientation: 'horizontal',
  displayMode: 'gradient',
  showUnfilled: true,
  valueMode: 'color',
  namePlacement: 'auto',
  sizing: 'auto',
  minVizHeight: 16,
  maxVizHeight: 300,
}

/** One number, the current value of `expr` (`mayBeEmpty` as for a Query). */
export function stat(p: Common & { expr: string; field: Json; mayBeEmpty?: boolean }): PanelSpec {
  const query: Query = p.mayBeEmpty ? { expr: p.expr, mayBeEmpty: true } : { expr: p.expr }
  return { type: 'stat', title: p.title, description: p.description, w: p.w ?? 4, h: p.h ?? 5, instant: true, queries: [query], fieldConfig: p.field, options: STAT_OPTIONS }
}

/** Lines over time; `field` replaces the default (thin lines of `unit`). */
export function timeseries(p: Common & { queries: Query[]; unit?: string; field?: Json }): PanelSpec {
  const field = p.field ?? { defaults: { unit: p.unit ?? 'none', custom: { lineWidth: 1, fillOpacity: 10, showPoints: 'never' } }, overrides: [] }
  return { type: 'timeseries', title: p.title, description: p.description, w: p.w ?? 12, h: p.h ?? 8, queries: p.queries, fieldConfig: field, options: TS_OPTIONS }
}

/** A horizontal bar per series, the current value of each. */
export function barGauge(p: Common & { queries: Query[]; field: Json }): PanelSpec {
  return { type: 'bargauge', title: p.title, description: p.description, w: p.w ?? 12, h: p.h ?? 8, instant: true, queries: p.queries, fieldConfig: p.field, options: BAR_GAUGE_OPTIONS }
}

/** A 0/1 state per series over time, coloured bands with `mappings` as text. */
export function stateTimeline(p: Common & { queries: Query[]; mappings: Json[] }): PanelSpec {
  return {
    type: 'state-timeline',
    title: p.title,
    description: p.description,
    w: p.w ?? 12,
    h: p.h ?? 10,
    queries: p.queries,
    fieldConfig: { defaults: { ...stateDefaults(p.mappings), custom: { fillOpacity: 80, lineWidth: 0 } }, overrides: [] },
    options: STATE_TIMELINE_OPTIONS,
  }
}

export interface Columns {
  hide?: string[]
  rename?: Record<string, string>
  order?: string[]
}

/**
 * Instant table of one or more queries, merged on their common labels, with
 * the scrape labels hidden. `transformations` replaces the merge-and-organize
 * default.
 */
export function table(p: Common & { queries: Query[]; columns?: Columns; field?: Json; transformations?: Json[] }): PanelSpec {
  const columns = p.columns ?? {}
  const hide = ['Time', 'job', 'instance', '__name__', ...(columns.hide ?? [])]
  const organize = {
    id: 'organize',
    options: {
      excludeByName: Object.fromEntries(hide.map((name) => [name, true])),
      renameByName: columns.rename ?? {},
      indexByName: Object.fromEntries((columns.order ?? []).map((name, i) => [name, i])),
    },
  }
  const transformations = p.transformations ?? [...(p.queries.length > 1 ? [{ id: 'merge', options: {} }] : []), organize]
  return {
    type: 'table',
    title: p.title,
    description: p.description,
    w: p.w ?? 24,
    h: p.h ?? 8,
    table: true,
    queries: p.queries,
    fieldConfig: p.field ?? { defaults: {}, overrides: [] },
    options: TABLE_OPTIONS,
    transformations,
  }
}
