// Metric declarations and collectors. Each metric's name, type, labels and
// help are declared once, beside the code that computes it (a concern's
// collector file); the registry wiring, the alert rules and the dashboards
// all import that declaration, so a misspelt metric is a type error, not an
// empty panel. A collector turns one input (the concern's slice of a
// snapshot) into series at scrape time, as postgres_exporter's collectors each
// declare their descriptors and fill them in `Update`.

export type MetricType = 'gauge' | 'counter'

export interface MetricDef<L extends string = string> {
  readonly name: string
  readonly type: MetricType
  readonly labels: readonly L[]
  readonly help: string
}

export function gauge<const L extends string = never>(name: `groundtruth_${string}`, help: string, labels: readonly L[] = []): MetricDef<L> {
  return { name, type: 'gauge', labels, help }
}

export function counter<const L extends string = never>(name: `groundtruth_${string}_total`, help: string, labels: readonly L[] = []): MetricDef<L> {
  return { name, type: 'counter', labels, help }
}

export type Emit<L extends string> = (labels: Readonly<Record<L, string>>, value: number) => void

/** One metric and how its series come out of the collector's input. */
export interface Series<In> {
  readonly def: MetricDef
  fill(input: In, emit: Emit<string>): void
  /**
   * Set when the rows come item by item (a service's at a time): a writer
   * may then copy an item's rows from its last output while the item's
   * revision is unchanged (src/exposition/text.ts, RowReuse).
   */
  readonly byItem?: ByItem<In>
}

/** The items of an input, in a stable order, and a number that changes whenever anything an item's rows read changes. */
export interface Items<In, Item extends object> {
  items(input: In): readonly Item[]
  revision(item: Item): number
}

export interface ByItem<In> extends Items<In, object> {
  fill(item: object, input: In, emit: Emit<string>): void
}

export function series<L extends string, In>(def: MetricDef<L>, fill: (input: In, emit: Emit<L>) => void): Series<In> {
  return { def, fill: fill as Series<In>['fill'] }
}

/** A series whose rows come item by item: `fill` may read the item and, for what the item's revision covers, the input. */
export function itemSeries<L extends string, In, Item extends object>(def: MetricDef<L>, items: Items<In, Item>, fill: (item: Item, input: In, emit: Emit<L>) => void): Series<In> {
  const byItem = { items: items.items, revision: items.revision, fill } as unknown as ByItem<In>
  return {
    def,
    byItem,
    fill(input, emit) {
      for (const item of items.items(input)) fill(item, input, emit)
    },
  }
}

/** A concern's metrics, filled from its input at each scrape. */
export interface Collector<In> {
  /** The concern (services, tls, migrations, env, self ...). */
  readonly name: string
  readonly series: readonly Series<In>[]
}

export function collector<In>(name: string, list: readonly Series<In>[]): Collector<In> {
  return { name, series: list }
}

/**
 * The same collector fed from a larger input (a snapshot) by picking its
 * slice. The slice is picked once per input, not once per series: a kind with
 * nine gauges would otherwise rebuild its rows nine times per scrape.
 */
export function fedBy<Outer extends object, In>(c: Collector<In>, pick: (outer: Outer) => In): Collector<Outer> {
  const picked = new WeakMap<Outer, In>()
  const slice = (outer: Outer): In => {
    if (!picked.has(outer)) picked.set(outer, pick(outer))
    return picked.get(outer) as In
  }
  return { name: c.name, series: c.series.map((s) => ({ def: s.def, fill: (outer: Outer, emit: Emit<string>) => s.fill(slice(outer), emit) })) }
}

/** Every metric the collectors declare, in order. */
export function declaredMetrics(collectors: readonly Collector<never>[]): MetricDef[] {
  return collectors.flatMap((c) => c.series.map((s) => s.def))
}
