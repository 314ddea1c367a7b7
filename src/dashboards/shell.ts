// What every dashboard shares around its panels: the variables, the links
// between the dashboards, time settings, and the DashboardSpec each
// dashboard file exports.
import { BUILD_INFO } from '../exposition/self.js'
import { SERVICE_UP } from '../exposition/services.js'
import type { Json } from './fields.js'
import { DATASOURCE, layout } from './layout.js'
import type { ResolvedDashboardOptions } from './options.js'
import type { Item } from './panels.js'
import { ofJob } from './selectors.js'

/** One dashboard: its identity and its panels for the given options. */
export interface DashboardSpec {
  /** File name under grafana/, e.g. `groundtruth-overview.json`. */
  file: string
  /** Stable across options, so that re-provisioning replaces rather than duplicates. */
  uid: string
  /** Shown after the `title` option: `<title> / <this>`. */
  title: string
  description: string
  items(o: ResolvedDashboardOptions): Item[]
}

/** The dashboards link to each other through this tag. */
const TAG = 'groundtruth'

function templating(o: ResolvedDashboardOptions): Json {
  const dsCurrent = o.datasourceUid ? { selected: true, text: o.datasourceUid, value: o.datasourceUid } : {}
  const queryVar = (name: string, label: string, query: string, extra: Json): Json => ({
    name,
    label,
    type: 'query',
    datasource: DATASOURCE,
    definition: query,
    query: { query, refId: 'PrometheusVariableQueryEditor-VariableQuery', qryType: 1 },
    refresh: 2,
    regex: '',
    sort: 1,
    hide: 0,
    options: [],
    ...extra,
  })
  return {
    list: [
      { name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus', regex: '', refresh: 1, hide: 0, current: dsCurrent, options: [] },
      queryVar('job', 'Job', `label_values(${BUILD_INFO.name}, job)`, {
        multi: false,
        includeAll: false,
        current: { selected: true, text: o.defaultJob, value: o.defaultJob },
      }),
      queryVar('group', 'Group', `label_values(${ofJob(SERVICE_UP)}, group)`, {
        multi: true,
        includeAll: true,
        allValue: '.*',
        current: { selected: true, text: ['All'], value: ['$__all'] },
      }),
    ],
  }
}

/** The Grafana JSON model of one dashboard. */
export function dashboardModel(spec: DashboardSpec, o: ResolvedDashboardOptions): Json {
  return {
    uid: spec.uid,
    title: `${o.title} / ${spec.title}`,
    description: spec.description,
    tags: [TAG],
    editable: true,
    graphTooltip: 1,
    fiscalYearStartMonth: 0,
    liveNow: false,
    refresh: o.refresh,
    schemaVersion: 39,
    version: 1,
    time: { from: 'now-6h', to: 'now' },
    timepicker: {},
    timezone: 'browser',
    weekStart: '',
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
      ],
    },
    links: [
      {
        title: 'groundtruth',
        type: 'dashboards',
        tags: [TAG],
        asDropdown: false,
        includeVars: true,
        keepTime: true,
        targetBlank: false,
        icon: 'external link',
        tooltip: '',
        url: '',
      },
    ],
    templating: templating(o),
    panels: layout(spec.items(o)),
  }
}
