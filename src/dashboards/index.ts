// Grafana dashboards generator (SPEC §5, issue 6). `dashboards(options)` builds
// the three dashboard JSON models; the files in grafana/ are
// `renderDashboards()` of the defaults, and test/dashboards/dashboards.test.ts
// fails when they drift. Every query uses only declared metrics (no recording
// rules), so the dashboards work against a bare Prometheus scraping
// groundtruth.
//
// One file per dashboard (overview.ts, configuration.ts, migrations.ts), each
// a DashboardSpec of panel specs (panels.ts, fields.ts, selectors.ts);
// shell.ts and layout.ts turn a spec into Grafana's JSON model.
import { configuration } from './configuration.js'
import { refId } from './layout.js'
import { migrations } from './migrations.js'
import { resolveDashboardOptions, type DashboardOptions } from './options.js'
import { overview } from './overview.js'
import { isRow } from './panels.js'
import { dashboardModel, type DashboardSpec } from './shell.js'

export type { DashboardOptions } from './options.js'

export interface DashboardQuery {
  /** File name of the dashboard, e.g. `groundtruth-overview.json`. */
  file: string
  uid: string
  dashboard: string
  panel: string
  refId: string
  expr: string
  /** Instant (table / stat) query rather than a range query. */
  instant: boolean
  /**
   * True when an empty result is the healthy answer (a filter such as
   * `== 1` on placeholders, failures in the range, metrics only some tools
   * emit). The end-to-end test may skip these unless its scenario makes them
   * non-empty.
   */
  mayBeEmpty: boolean
}

const DASHBOARDS = { overview, configuration, migrations } as const

type Key = keyof typeof DASHBOARDS

export const DASHBOARD_FILES = Object.fromEntries(Object.entries(DASHBOARDS).map(([key, spec]) => [key, spec.file])) as {
  readonly [K in Key]: (typeof DASHBOARDS)[K]['file']
}

const SPECS: readonly DashboardSpec[] = Object.values(DASHBOARDS)

/** The three dashboards, keyed by file name. */
export function dashboards(options: DashboardOptions = {}): Record<string, object> {
  const o = resolveDashboardOptions(options)
  return Object.fromEntries(SPECS.map((spec) => [spec.file, dashboardModel(spec, o)]))
}

/** File name -> pretty JSON (2-space indent, trailing newline), as shipped in grafana/. */
export function renderDashboards(options: DashboardOptions = {}): Record<string, string> {
  return Object.fromEntries(Object.entries(dashboards(options)).map(([file, model]) => [file, `${JSON.stringify(model, null, 2)}\n`]))
}

// A query is known by its panel title and refId: titles are unique and do not
// depend on the options, so this also finds the queries of a model read back
// from grafana/ or rendered with other options.
const queryKey = (panel: string, refId: string): string => `${panel}\u0000${refId}`

/** The queries the specs mark as `mayBeEmpty`. */
function mayBeEmptyKeys(): Set<string> {
  const o = resolveDashboardOptions()
  const keys = new Set<string>()
  for (const spec of SPECS)
    for (const item of spec.items(o)) {
      if (isRow(item)) continue
      item.queries.forEach((q, i) => {
        if (q.mayBeEmpty) keys.add(queryKey(item.title, refId(item.title, i)))
      })
    }
  return keys
}

type PanelJson = { title?: string; targets?: Array<{ refId?: string; expr?: string; instant?: boolean }>; panels?: unknown[] }

/** Every panel query of the given dashboards, with where it comes from. */
export function allQueries(models: Record<string, object>): DashboardQuery[] {
  const mayBeEmpty = mayBeEmptyKeys()
  const out: DashboardQuery[] = []
  for (const [file, model] of Object.entries(models)) {
    const d = model as { uid?: string; title?: string; panels?: PanelJson[] }
    // A collapsed row keeps its panels inside it.
    const panels = [...(d.panels ?? [])]
    for (const p of d.panels ?? []) if (Array.isArray(p.panels)) panels.push(...(p.panels as PanelJson[]))
    for (const p of panels) {
      for (const t of p.targets ?? []) {
        if (typeof t.expr !== 'string') continue
        const panel = p.title ?? ''
        const ref = t.refId ?? ''
        out.push({
          file,
          uid: d.uid ?? '',
          dashboard: d.title ?? '',
          panel,
          refId: ref,
          expr: t.expr,
          instant: t.instant === true,
          mayBeEmpty: mayBeEmpty.has(queryKey(panel, ref)),
        })
      }
    }
  }
  return out
}
