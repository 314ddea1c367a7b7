// Grafana dashboards generator (SPEC §5, issue 6). `dashboards(options)` builds
// the three dashboard JSON models; the files in grafana/ are
// `renderDashboards()` of the defaults, and test/dashboards.test.ts fails when
// they drift. Every query uses only metric names from SPEC §3 / README
// "Metrics" (no recording rules), so the dashboards work against a bare
// Prometheus scraping groundtruth.
//
// Conventions: datasource is the `${datasource}` template variable on every
// panel and target; `$job` selects the scrape job; `$group` (multi, All = .*)
// narrows service-level metrics. Metrics that carry only `service` (probe
// timings, counters, migrations) are narrowed to the selected groups with
// `and on (job, instance, service) groundtruth_service_up{group=~"$group"}`.

export interface DashboardOptions {
  /** Default value of the `job` variable (the scrape job of groundtruth). Default `groundtruth`. */
  job?: string
  /** Prefix of the dashboard titles. Default `groundtruth`. */
  title?: string
  /** Default (current) value of the `datasource` variable; panels still use `${datasource}`. */
  datasourceUid?: string
  /** Readiness ratio at or above which readiness shows green. Default 0.95 (the default gate). */
  readyThreshold?: number
  /** Dashboard auto-refresh. Default `30s`. */
  refresh?: string
}

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

type Json = Record<string, unknown>

const DS = { type: 'prometheus', uid: '${datasource}' } as const
const TAG = 'groundtruth'

export const DASHBOARD_FILES = {
  overview: 'groundtruth-overview.json',
  configuration: 'groundtruth-configuration.json',
  migrations: 'groundtruth-migrations.json',
} as const

const J = 'job=~"$job"'
const SG = 'job=~"$job", group=~"$group"'
const IN_GROUP = `and on (job, instance, service) groundtruth_service_up{${SG}}`

/** Narrow a `service`-labelled expression to the selected groups. */
function inGroup(expr: string): string {
  return `${expr} ${IN_GROUP}`
}

// Queries whose empty answer is healthy, keyed by panel title and refId.
// Titles do not depend on options, so this set is fixed.
const MAY_BE_EMPTY = new Set<string>()
const emptyKey = (panel: string, refId: string) => `${panel}\u0000${refId}`

interface Q {
  expr: string
  legend?: string
  mayBeEmpty?: boolean
}

interface PanelSpec {
  type: string
  title: string
  description?: string
  w: number
  h: number
  queries: Q[]
  /** Instant queries in table format (tables, bar gauges of the current value). */
  table?: boolean
  instant?: boolean
  fieldConfig: Json
  options: Json
  transformations?: Json[]
}

interface RowSpec {
  row: string
}

type Item = PanelSpec | RowSpec

function isRow(item: Item): item is RowSpec {
  return 'row' in item
}

const REFS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'

function target(panel: PanelSpec, q: Q, i: number): Json {
  if (i >= REFS.length) throw new RangeError(`${panel.title}: too many queries`)
  const refId = REFS.charAt(i)
  if (q.mayBeEmpty) MAY_BE_EMPTY.add(emptyKey(panel.title, refId))
  const instant = panel.table === true || panel.instant === true
  return {
    refId,
    datasource: DS,
    editorMode: 'code',
    expr: q.expr,
    legendFormat: q.legend ?? '__auto',
    range: !instant,
    instant,
    format: panel.table ? 'table' : 'time_series',
  }
}

/** Shelf layout: panels flow left to right, wrap at 24 columns; rows take a full line. */
function layout(items: Item[]): Json[] {
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
      datasource: DS,
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

// ---- field config helpers -------------------------------------------------

function thresholds(steps: Array<[number | null, string]>): Json {
  return { mode: 'absolute', steps: steps.map(([value, color]) => ({ color, value })) }
}

function mapping(values: Record<string, [string, string]>): Json[] {
  const options: Json = {}
  let index = 0
  for (const [value, [text, color]] of Object.entries(values)) options[value] = { text, color, index: index++ }
  return [{ type: 'value', options }]
}

const READY_MAP = mapping({ '0': ['not ready', 'red'], '1': ['ready', 'green'] })
const UP_MAP = mapping({ '0': ['down', 'red'], '1': ['up', 'green'] })

function ratioField(threshold: number): Json {
  return {
    defaults: {
      unit: 'percentunit',
      min: 0,
      max: 1,
      decimals: 0,
      color: { mode: 'thresholds' },
      thresholds: thresholds([
        [null, 'red'],
        [threshold * 0.8, 'orange'],
        [threshold, 'green'],
      ]),
    },
    overrides: [],
  }
}

function countField(bad: string, unit = 'none'): Json {
  return {
    defaults: {
      unit,
      decimals: 0,
      color: { mode: 'thresholds' },
      thresholds: thresholds([
        [null, 'green'],
        [1, bad],
      ]),
    },
    overrides: [],
  }
}

function secondsField(warn: number, crit: number): Json {
  return {
    defaults: {
      unit: 's',
      color: { mode: 'thresholds' },
      thresholds: thresholds([
        [null, 'green'],
        [warn, 'orange'],
        [crit, 'red'],
      ]),
    },
    overrides: [],
  }
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

function stat(title: string, expr: string, fieldConfig: Json, description?: string, w = 4): PanelSpec {
  return { type: 'stat', title, description, w, h: 5, instant: true, queries: [{ expr }], fieldConfig, options: STAT_OPTIONS }
}

function timeseries(title: string, queries: Q[], unit = 'none', description?: string, w = 12): PanelSpec {
  return {
    type: 'timeseries',
    title,
    description,
    w,
    h: 8,
    queries,
    fieldConfig: { defaults: { unit, custom: { lineWidth: 1, fillOpacity: 10, showPoints: 'never' } }, overrides: [] },
    options: TS_OPTIONS,
  }
}

/** Instant table of one or more queries, merged on their common labels. */
function table(
  title: string,
  queries: Q[],
  columns: { hide?: string[]; rename?: Record<string, string>; order?: string[] },
  fieldConfig: Json = { defaults: {}, overrides: [] },
  description?: string,
  w = 24,
  h = 8,
): PanelSpec {
  const hide = ['Time', 'job', 'instance', '__name__', ...(columns.hide ?? [])]
  const transformations: Json[] = []
  if (queries.length > 1) transformations.push({ id: 'merge', options: {} })
  transformations.push({
    id: 'organize',
    options: {
      excludeByName: Object.fromEntries(hide.map((name) => [name, true])),
      renameByName: columns.rename ?? {},
      indexByName: Object.fromEntries((columns.order ?? []).map((name, i) => [name, i])),
    },
  })
  return { type: 'table', title, description, w, h, table: true, queries, fieldConfig, options: TABLE_OPTIONS, transformations }
}

function override(field: string, properties: Json[]): Json {
  return { matcher: { id: 'byName', options: field }, properties }
}

const cellColor: Json = { id: 'custom.cellOptions', value: { type: 'color-background' } }

// ---- dashboard shell ------------------------------------------------------

function templating(o: Required<Pick<DashboardOptions, 'job'>> & DashboardOptions): Json {
  const dsCurrent = o.datasourceUid ? { selected: true, text: o.datasourceUid, value: o.datasourceUid } : {}
  const queryVar = (name: string, label: string, query: string, extra: Json): Json => ({
    name,
    label,
    type: 'query',
    datasource: DS,
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
      queryVar('job', 'Job', 'label_values(groundtruth_build_info, job)', {
        multi: false,
        includeAll: false,
        current: { selected: true, text: o.job, value: o.job },
      }),
      queryVar('group', 'Group', 'label_values(groundtruth_service_up{job=~"$job"}, group)', {
        multi: true,
        includeAll: true,
        allValue: '.*',
        current: { selected: true, text: ['All'], value: ['$__all'] },
      }),
    ],
  }
}

function dashboard(uid: string, title: string, description: string, o: ResolvedOptions, items: Item[]): Json {
  return {
    uid,
    title: `${o.title} / ${title}`,
    description,
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
    panels: layout(items),
  }
}

type ResolvedOptions = Required<Omit<DashboardOptions, 'datasourceUid'>> & Pick<DashboardOptions, 'datasourceUid'>

function resolve(options: DashboardOptions = {}): ResolvedOptions {
  const o: ResolvedOptions = {
    job: options.job ?? 'groundtruth',
    title: options.title ?? 'groundtruth',
    readyThreshold: options.readyThreshold ?? 0.95,
    refresh: options.refresh ?? '30s',
    ...(options.datasourceUid !== undefined ? { datasourceUid: options.datasourceUid } : {}),
  }
  if (!(o.readyThreshold > 0 && o.readyThreshold <= 1)) throw new RangeError(`readyThreshold must be in (0, 1], got ${o.readyThreshold}`)
  if (o.job === '') throw new RangeError('job must not be empty')
  return o
}

// ---- the three dashboards -------------------------------------------------

function overview(o: ResolvedOptions): Json {
  const notReady = `(groundtruth_service_ready{${SG}} == 0)`
  const onNotReady = `and on (job, instance, service) ${notReady}`
  const items: Item[] = [
    { row: 'Readiness' },
    stat('Ready (all services)', `groundtruth_ready_ratio{${J}}`, ratioField(o.readyThreshold), 'Ready services / all services (ignores the group filter). The gate compares this ratio.', 6),
    stat('Services', `count(groundtruth_service_up{${SG}})`, { defaults: { unit: 'none', color: { mode: 'fixed', fixedColor: 'blue' } }, overrides: [] }, 'Services in the selected groups.'),
    stat('Down', `sum(1 - groundtruth_service_up{${SG}})`, countField('red'), 'Services whose own probe or checks failed on the last run.'),
    stat('Not ready', `sum(1 - groundtruth_service_ready{${SG}})`, countField('orange'), 'Services down, or up but with a dependency not ready.'),
    stat('Oldest result', `max(${inGroup(`time() - groundtruth_probe_last_run_timestamp_seconds{${J}}`)})`, secondsField(120, 600), 'Age of the oldest probe result served on /metrics: large means probes are stale.', 6),
    {
      type: 'bargauge',
      title: 'Readiness by group',
      w: 12,
      h: 8,
      instant: true,
      queries: [{ expr: `groundtruth_group_ready_ratio{${SG}}`, legend: '{{group}}' }],
      fieldConfig: ratioField(o.readyThreshold),
      options: {
        reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
        orientation: 'horizontal',
        displayMode: 'gradient',
        showUnfilled: true,
        valueMode: 'color',
        namePlacement: 'auto',
        sizing: 'auto',
        minVizHeight: 16,
        maxVizHeight: 300,
      },
    },
    {
      ...timeseries('Readiness over time', [
        { expr: `groundtruth_ready_ratio{${J}}`, legend: 'all services' },
        { expr: `groundtruth_group_ready_ratio{${SG}}`, legend: '{{group}}' },
      ]),
      fieldConfig: { defaults: { unit: 'percentunit', min: 0, max: 1, custom: { lineWidth: 1, fillOpacity: 0, showPoints: 'never' } }, overrides: [] },
    },
    { row: 'Services' },
    table(
      'Not ready: what and why',
      [
        { expr: `groundtruth_service_ready{${SG}} == 0`, mayBeEmpty: true },
        { expr: `groundtruth_service_up{${SG}} ${onNotReady}`, mayBeEmpty: true },
        {
          expr: `sum by (job, instance, service, reason) (increase(groundtruth_probe_failures_total{${J}}[$__range])) > 0 ${onNotReady}`,
          mayBeEmpty: true,
        },
        { expr: `time() - groundtruth_probe_last_success_timestamp_seconds{${J}} ${onNotReady}`, mayBeEmpty: true },
      ],
      {
        hide: ['Value #A'],
        rename: { 'Value #B': 'state', 'Value #C': 'failures in range', 'Value #D': 'since last success', reason: 'failure reason' },
        order: ['service', 'group', 'probe', 'Value #B', 'reason', 'Value #C', 'Value #D'],
      },
      {
        defaults: {},
        overrides: [
          override('state', [
            { id: 'mappings', value: mapping({ '0': ['down', 'red'], '1': ['up, waiting on a dependency', 'orange'] }) },
            cellColor,
          ]),
          override('since last success', [{ id: 'unit', value: 's' }]),
        ],
      },
      'Services not ready now. state: down (its own probe failed) or up but waiting on a dependency that is not ready. failure reason: probe failures by reason over the dashboard range (details in /status and logs).',
    ),
    {
      type: 'state-timeline',
      title: 'Ready over time',
      w: 12,
      h: 10,
      queries: [{ expr: `groundtruth_service_ready{${SG}}`, legend: '{{service}}' }],
      fieldConfig: { defaults: { mappings: READY_MAP, color: { mode: 'thresholds' }, thresholds: thresholds([[null, 'red'], [1, 'green']]), custom: { fillOpacity: 80, lineWidth: 0 } }, overrides: [] },
      options: STATE_TIMELINE_OPTIONS,
    },
    {
      type: 'state-timeline',
      title: 'Up over time',
      w: 12,
      h: 10,
      queries: [{ expr: `groundtruth_service_up{${SG}}`, legend: '{{service}}' }],
      fieldConfig: { defaults: { mappings: UP_MAP, color: { mode: 'thresholds' }, thresholds: thresholds([[null, 'red'], [1, 'green']]), custom: { fillOpacity: 80, lineWidth: 0 } }, overrides: [] },
      options: STATE_TIMELINE_OPTIONS,
    },
    { row: 'Probes' },
    timeseries('Probe duration', [{ expr: inGroup(`groundtruth_probe_duration_seconds{${J}}`), legend: '{{service}} ({{probe}})' }], 's', 'Wall time of the last probe of each service.'),
    timeseries(
      'Probe failures by reason',
      [{ expr: inGroup(`sum by (job, instance, service, reason) (increase(groundtruth_probe_failures_total{${J}}[$__rate_interval])) > 0`), legend: '{{service}}: {{reason}}', mayBeEmpty: true }],
      'none',
      'Failed probes per interval, by bounded reason (timeout, refused, dns, tls, auth, status, expectation, error).',
    ),
    timeseries(
      'State changes (flapping)',
      [{ expr: inGroup(`increase(groundtruth_service_state_changes_total{${J}}[$__rate_interval])`), legend: '{{service}}' }],
      'none',
      'Up/down flips per interval: a steady non-zero line is a restart loop.',
    ),
    timeseries(
      'Age of last probe run',
      [{ expr: inGroup(`time() - groundtruth_probe_last_run_timestamp_seconds{${J}}`), legend: '{{service}}' }],
      's',
      'Seconds since each service was last probed; it should stay below the probe interval.',
    ),
  ]
  return dashboard('groundtruth-overview', 'Overview', 'Readiness of every service: overall, per group, over time, and what is not ready and why.', o, items)
}

function configuration(o: ResolvedOptions): Json {
  const byState = (state: string, bad: string) => stat(`Env: ${state}`, `sum(groundtruth_env_variables{${J}, state="${state}"})`, state === 'configured' ? { defaults: { unit: 'none', color: { mode: 'fixed', fixedColor: 'green' } }, overrides: [] } : countField(bad), `Variables in state ${state}, all env sources.`, 6)
  const items: Item[] = [
    { row: 'Env findings' },
    byState('configured', 'green'),
    byState('placeholder', 'red'),
    byState('missing', 'red'),
    byState('weak', 'orange'),
    {
      ...table('Findings by source and state', [{ expr: `sum by (source, state) (groundtruth_env_variables{${J}})` }], {}, { defaults: {}, overrides: [] }, 'Variable counts per env source (rows) and state (columns).', 12),
      transformations: [{ id: 'groupingToMatrix', options: { columnField: 'state', rowField: 'source', valueField: 'Value', emptyValue: 'zero' } }],
    },
    timeseries('Findings over time', [{ expr: `groundtruth_env_variables{${J}, state!="configured"}`, legend: '{{source}}: {{state}}' }], 'none', 'Placeholder, missing and weak counts per source.'),
    { row: 'Variables to fix' },
    table('Placeholder values', [{ expr: `groundtruth_env_variable_placeholder{${J}} == 1`, mayBeEmpty: true }], { hide: ['Value'] }, undefined, 'Variables whose value is a placeholder (your-key-here, changeme, ...).', 8),
    table('Missing variables', [{ expr: `groundtruth_env_variable_missing{${J}} == 1`, mayBeEmpty: true }], { hide: ['Value'] }, undefined, 'Required or listed in the example file, but absent or empty.', 8),
    table('Weak values', [{ expr: `groundtruth_env_variable_weak{${J}} == 1`, mayBeEmpty: true }], { hide: ['Value'] }, undefined, 'Set but unsafe for the environment; rule says why.', 8),
    { row: 'Files and config' },
    table(
      'Env files',
      [{ expr: `groundtruth_env_file_readable{${J}}` }],
      { rename: { Value: 'state' } },
      { defaults: {}, overrides: [override('state', [{ id: 'mappings', value: mapping({ '0': ['unreadable', 'red'], '1': ['readable', 'green'] }) }, cellColor])] },
      'Each env file (role env) and its example (role example): unreadable ones cannot be audited.',
      12,
      6,
    ),
    {
      ...stat('Config reload', `groundtruth_config_last_reload_successful{${J}}`, { defaults: { mappings: mapping({ '0': ['failed: old config in force', 'red'], '1': ['ok', 'green'] }), color: { mode: 'thresholds' }, thresholds: thresholds([[null, 'red'], [1, 'green']]) }, overrides: [] }, 'Result of the last config reload.', 6),
      h: 6,
    },
    { ...stat('Config loaded', `time() - groundtruth_config_last_reload_success_timestamp_seconds{${J}}`, { defaults: { unit: 's', color: { mode: 'fixed', fixedColor: 'blue' } }, overrides: [] }, 'Time since the config was last loaded.', 6), h: 6 },
  ]
  return dashboard('groundtruth-configuration', 'Configuration', 'Env audit: findings by source and state, variables to fix, unreadable env files, config reloads.', o, items)
}

function migrations(o: ResolvedOptions): Json {
  const m = (name: string) => `groundtruth_migration_${name}{${J}}`
  const sumIn = (name: string) => `sum(${inGroup(m(name))})`
  const columns: Array<[string, string, boolean]> = [
    ['applied', m('applied'), false],
    ['available', m('available'), false],
    ['pending', m('pending'), false],
    ['failed', m('failed'), false],
    ['unknown', m('unknown'), false],
    ['checksum mismatch', m('checksum_mismatch'), false],
    ['heads', m('heads'), true],
    ['last applied', `time() - ${m('last_applied_timestamp_seconds')}`, true],
    ['read ok', m('read_ok'), false],
  ]
  const rename: Record<string, string> = {}
  columns.forEach(([label], i) => (rename[`Value #${REFS[i]}`] = label))
  const bad = (field: string, color: string) => override(field, [{ id: 'color', value: { mode: 'thresholds' } }, { id: 'thresholds', value: thresholds([[null, 'transparent'], [1, color]]) }, cellColor])
  const items: Item[] = [
    { row: 'Summary' },
    stat('Pending', sumIn('pending'), countField('orange'), 'Migrations on disk, not applied.'),
    stat('Failed', sumIn('failed'), countField('red'), 'Failed, unfinished, dirty, or a held lock.'),
    stat('Unknown (ghost)', sumIn('unknown'), countField('red'), 'Applied in the database but not on disk.'),
    stat('Checksum mismatch', sumIn('checksum_mismatch'), countField('red'), 'Applied, then edited on disk.'),
    stat('Unmerged heads', `count(${inGroup(`${m('heads')} > 1`)}) or vector(0)`, countField('orange'), 'Services whose revision graph has more than one head (Alembic).'),
    stat('Unreadable', `sum(${inGroup(`1 - ${m('read_ok')}`)})`, countField('red'), 'Services whose history table or migration directory could not be read.'),
    { row: 'Per service and tool' },
    table(
      'Migrations per service and tool',
      columns.map(([, expr, mayBeEmpty]) => ({ expr: inGroup(expr), mayBeEmpty })),
      { rename, order: ['service', 'tool', ...columns.map((_, i) => `Value #${REFS[i]}`)] },
      {
        defaults: {},
        overrides: [
          bad('pending', 'orange'),
          bad('failed', 'red'),
          bad('unknown', 'red'),
          bad('checksum mismatch', 'red'),
          override('heads', [{ id: 'color', value: { mode: 'thresholds' } }, { id: 'thresholds', value: thresholds([[null, 'transparent'], [2, 'orange']]) }, cellColor]),
          override('last applied', [{ id: 'unit', value: 's' }]),
          override('read ok', [{ id: 'mappings', value: mapping({ '0': ['unreadable', 'red'], '1': ['ok', 'green'] }) }, cellColor]),
        ],
      },
      'One row per service and migration tool. last applied: age of the newest applied migration (tools that record it).',
    ),
    timeseries('Pending over time', [{ expr: inGroup(m('pending')), legend: '{{service}} ({{tool}})' }], 'none', 'A migration pending for long means a deploy forgot to migrate.'),
    timeseries(
      'Failed, unknown, checksum mismatch',
      [
        { expr: inGroup(m('failed')), legend: '{{service}} ({{tool}}) failed' },
        { expr: inGroup(m('unknown')), legend: '{{service}} ({{tool}}) unknown' },
        { expr: inGroup(m('checksum_mismatch')), legend: '{{service}} ({{tool}}) checksum mismatch' },
      ],
      'none',
    ),
  ]
  return dashboard('groundtruth-migrations', 'Migrations', 'Database migrations per service and tool: applied, pending, failed, ghosts, edited, unmerged heads.', o, items)
}

/** The three dashboards, keyed by file name. */
export function dashboards(options: DashboardOptions = {}): Record<string, object> {
  const o = resolve(options)
  return {
    [DASHBOARD_FILES.overview]: overview(o),
    [DASHBOARD_FILES.configuration]: configuration(o),
    [DASHBOARD_FILES.migrations]: migrations(o),
  }
}

/** File name -> pretty JSON (2-space indent, trailing newline), as shipped in grafana/. */
export function renderDashboards(options: DashboardOptions = {}): Record<string, string> {
  return Object.fromEntries(Object.entries(dashboards(options)).map(([file, model]) => [file, `${JSON.stringify(model, null, 2)}\n`]))
}

/** Every panel query of the given dashboards, with where it comes from. */
export function allQueries(models: Record<string, object>): DashboardQuery[] {
  if (MAY_BE_EMPTY.size === 0) dashboards() // fills MAY_BE_EMPTY
  const out: DashboardQuery[] = []
  for (const [file, model] of Object.entries(models)) {
    const d = model as { uid?: string; title?: string; panels?: Array<{ title?: string; targets?: Array<{ refId?: string; expr?: string; instant?: boolean }>; panels?: unknown[] }> }
    const panels = [...(d.panels ?? [])]
    for (const p of d.panels ?? []) if (Array.isArray(p.panels)) panels.push(...(p.panels as typeof panels))
    for (const p of panels) {
      for (const t of p.targets ?? []) {
        if (typeof t.expr !== 'string') continue
        const panel = p.title ?? ''
        const refId = t.refId ?? ''
        out.push({
          file,
          uid: d.uid ?? '',
          dashboard: d.title ?? '',
          panel,
          refId,
          expr: t.expr,
          instant: t.instant === true,
          mayBeEmpty: MAY_BE_EMPTY.has(emptyKey(panel, refId)),
        })
      }
    }
  }
  return out
}
