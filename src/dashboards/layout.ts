// Turns panel specs into Grafana panels: ids, grid positions and targets.
import type { Json } from './fields.js'
import { isRow, type Item, type PanelSpec, type Query } from './panels.js'

/** Every panel and target reads the `${datasource}` variable, so one dashboard serves any Prometheus. */
export const DATASOURCE = { type: 'prometheus', uid: '${datasource}' } as const

const REFS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'

/** The refId of a panel's `i`-th query: A, B, ... */
export function refId(panel: string, i: number): string {
  if (i >= REFS.length) throw new RangeError(`${panel}: too many queries`)
  return REFS.charAt(i)
}

function target(panel: PanelSpec, q: Query, i: number): Json {
  const instant = panel.table === true || panel.instant === true
  return {
    refId: refId(panel.title, i),
    datasource: DATASOURCE,
    editorMode: 'code',
    expr: q.expr,
    legendFormat: q.legend ?? '__auto',
    range: !instant,
    instant,
    format: panel.table ? 'table' : 'time_series',
  }
}

/** Shelf layout: panels flow left to right, wrap at 24 columns; rows take a full line. */
export function layout(items: Item[]): Json[] {
  const out: Json[] = []
  let x = 0
  let y = 0
  let shelf = 0
  let id = 1
  const newline = () => {
    if (x > 0) {
      y += shelf
      x = 0
      shelf = 0
    }
  }
  for (const item of items) {
    if (isRow(item)) {
      newline()
      out.push({ id: id++, type: 'row', title: item.row, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] })
      y += 1
      continue
    }
    const w = Math.min(24, item.w)
    if (x + w > 24) newline()
    const panel: Json = {
      id: id++,
      type: item.type,
      title: item.title,
      ...(item.description ? { description: item.description } : {}),
      datasource: DATASOURCE,
      gridPos: { h: item.h, w, x, y },
      targets: item.queries.map((q, i) => target(item, q, i)),
      fieldConfig: item.fieldConfig,
      options: item.options,
    }
    if (item.transformations) panel.transformations = item.transformations
    out.push(panel)
    x += w
    shelf = Math.max(shelf, item.h)
  }
  return out
}
