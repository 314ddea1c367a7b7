// The Grafana dashboards generator: shipped files equal its output, every query
// parses as PromQL and uses only exported metric names, and the JSON models are
// well formed (uids, datasources, ids, layout, variables, links).
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parser } from '@prometheus-io/lezer-promql'
import t from 'tap'
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml'
import { allQueries, dashboards, renderDashboards, DASHBOARD_FILES } from '../../src/dashboards/index.js'
import { refId } from '../../src/dashboards/layout.js'
import { DECLARED_NAMES } from '../helpers/declared-metrics.js'

const grafanaDir = fileURLToPath(new URL('../../grafana/', import.meta.url))

// The metrics groundtruth declares (each beside the code that computes it);
// a test below also checks the README still lists each of them.
const EXPORTED = DECLARED_NAMES
// Recording rules the dashboards may use (none: they work on a bare Prometheus).
const RECORDING_RULES = new Set<string>()

// Grafana variables replaced by sample values before parsing.
function substitute(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '5m')
    .replaceAll('$__interval', '1m')
    .replaceAll('$__range', '6h')
    .replaceAll('$group', '.*')
    .replaceAll('$job', 'groundtruth')
    .replaceAll('${datasource}', 'prometheus')
}

interface Parsed {
  errors: string[]
  metrics: string[]
}

function parsePromQL(expr: string): Parsed {
  const tree = parser.parse(expr)
  const errors: string[] = []
  const metrics: string[] = []
  tree.iterate({
    enter(node) {
      if (node.type.isError) errors.push(`error at ${node.from}: ${JSON.stringify(expr.slice(Math.max(0, node.from - 10), node.to + 10))}`)
      if (node.name === 'VectorSelector') {
        const first = node.node.firstChild
        if (first && first.name === 'Identifier') metrics.push(expr.slice(first.from, first.to))
      }
    },
  })
  if (tree.topNode.name !== 'PromQL') errors.push(`top node ${tree.topNode.name}`)
  return { errors, metrics }
}

type Panel = {
  id: number
  type: string
  title: string
  datasource?: { type: string; uid: string }
  gridPos: { h: number; w: number; x: number; y: number }
  targets?: Array<{ refId: string; expr: string; datasource?: { type: string; uid: string } }>
}
type Dashboard = {
  uid: string
  id?: unknown
  title: string
  tags: string[]
  schemaVersion: number
  links: Array<{ type: string; tags: string[] }>
  templating: { list: Array<Record<string, unknown> & { name: string; type: string }> }
  panels: Panel[]
}

const models = dashboards() as Record<string, Dashboard>

t.test('the shipped grafana/*.json are the rendering of the defaults (drift)', async (t) => {
  const rendered = renderDashboards()
  const shipped = readdirSync(grafanaDir).filter((f) => f.endsWith('.json')).sort()
  t.same(shipped, Object.keys(rendered).sort(), 'grafana/ holds exactly the generated dashboards')
  for (const [file, text] of Object.entries(rendered)) {
    t.equal(readFileSync(grafanaDir + file, 'utf8'), text, `grafana/${file} is up to date (regenerate: groundtruth dashboards --out grafana)`)
    t.ok(text.endsWith('}\n') && text.includes('\n  "uid": '), `${file}: 2-space indent, trailing newline`)
    t.same(JSON.parse(text), models[file])
  }
  t.same(Object.keys(rendered).sort(), Object.values(DASHBOARD_FILES).sort())
})

t.test('every panel query parses as PromQL and uses exported metrics only', async (t) => {
  const queries = allQueries(models)
  t.ok(queries.length >= 40, `many queries (${queries.length})`)
  const used = new Set<string>()
  for (const q of queries) {
    const expr = substitute(q.expr)
    t.notMatch(expr, /\$/, `${q.panel}/${q.refId}: no unsubstituted variable`)
    const { errors, metrics } = parsePromQL(expr)
    t.same(errors, [], `${q.dashboard} / ${q.panel} / ${q.refId} parses: ${expr}`)
    t.ok(metrics.length > 0, `${q.panel}/${q.refId} reads at least one metric`)
    for (const name of metrics) {
      used.add(name)
      t.ok(EXPORTED.has(name) || RECORDING_RULES.has(name), `${q.panel}/${q.refId}: ${name} is exported`)
    }
    // Every selector is scoped to the job variable.
    t.match(q.expr, /job=~"\$job"/, `${q.panel}/${q.refId} selects $job`)
  }
  // The dashboards cover the metric families the brief asks for.
  for (const name of [
    'groundtruth_ready_ratio',
    'groundtruth_group_ready_ratio',
    'groundtruth_service_ready',
    'groundtruth_service_up',
    'groundtruth_service_not_ready',
    'groundtruth_service_state_since_timestamp_seconds',
    'groundtruth_probe_failures_total',
    'groundtruth_probe_duration_seconds',
    'groundtruth_service_state_changes_total',
    'groundtruth_probe_last_run_timestamp_seconds',
    'groundtruth_env_variables',
    'groundtruth_env_variable_placeholder',
    'groundtruth_env_variable_missing',
    'groundtruth_env_variable_weak',
    'groundtruth_env_file_readable',
    'groundtruth_migration_applied',
    'groundtruth_migration_pending',
    'groundtruth_migration_failed',
    'groundtruth_migration_unknown',
    'groundtruth_migration_checksum_mismatch',
    'groundtruth_migration_heads',
    'groundtruth_migration_last_applied_timestamp_seconds',
    'groundtruth_migration_read_ok',
    'groundtruth_container_state',
    'groundtruth_container_health',
    'groundtruth_container_restarts_total',
    'groundtruth_container_exit_code',
    'groundtruth_container_oom_killed',
    'groundtruth_container_image_present',
    'groundtruth_container_started_timestamp_seconds',
  ])
    t.ok(used.has(name), `some panel shows ${name}`)
})

t.test('the parser check itself catches bad PromQL', async (t) => {
  t.same(parsePromQL('sum(rate(groundtruth_probes_total[5m]))').errors, [])
  t.same(parsePromQL('sum by (service) (groundtruth_service_up').errors.length > 0, true, 'unclosed paren')
  t.same(parsePromQL('groundtruth_service_up{job=~"x"} ==').errors.length > 0, true, 'dangling operator')
  t.same(parsePromQL('increase(groundtruth_probes_total[$__rate_interval])').errors.length > 0, true, 'unsubstituted variable')
  t.same(parsePromQL('time() - groundtruth_probe_last_run_timestamp_seconds{job="a"}').metrics, ['groundtruth_probe_last_run_timestamp_seconds'])
})

t.test('the metric list matches the README Metrics table', async (t) => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
  const inTable = new Set([...readme.matchAll(/^\| `(groundtruth_[a-z_]+)` \|/gm)].map((m) => m[1]))
  t.same([...EXPORTED].sort(), [...inTable].sort())
})

t.test('allQueries reports where each query comes from', async (t) => {
  const queries = allQueries(models)
  const notReady = queries.filter((q) => q.panel === 'Not ready: what and why')
  t.same(notReady.map((q) => q.refId), ['A', 'B', 'C', 'D', 'E'])
  t.ok(notReady.every((q) => q.file === 'groundtruth-overview.json' && q.uid === 'groundtruth-overview' && q.instant && q.mayBeEmpty))
  const overall = queries.find((q) => q.panel === 'Ready (all services)')
  t.match(overall, { dashboard: 'groundtruth / Overview', refId: 'A', expr: 'groundtruth_ready_ratio{job=~"$job"}', mayBeEmpty: false })
  t.same(queries.filter((q) => q.mayBeEmpty && q.file === 'groundtruth-configuration.json').map((q) => q.panel), ['Placeholder values', 'Missing variables', 'Weak values'])
  // Parsed JSON (as read back from grafana/) gives the same list.
  const fromFiles = Object.fromEntries(Object.keys(models).map((f) => [f, JSON.parse(readFileSync(grafanaDir + f, 'utf8')) as object]))
  t.same(allQueries(fromFiles), queries)
  t.same(allQueries({}), [])
  t.same(allQueries({ 'empty.json': {} }), [], 'a model without panels has no queries')
  // Sparse or hand-edited models: collapsed rows keep their panels inside.
  t.same(
    allQueries({
      'x.json': { panels: [{ type: 'row', collapsed: true, panels: [{ targets: [{ expr: 'up' }, { refId: 'B' }] }] }, { title: 'p', targets: [{ refId: 'A', expr: 'vector(1)', instant: true }] }] },
    }),
    [
      { file: 'x.json', uid: '', dashboard: '', panel: 'p', refId: 'A', expr: 'vector(1)', instant: true, mayBeEmpty: false },
      { file: 'x.json', uid: '', dashboard: '', panel: '', refId: '', expr: 'up', instant: false, mayBeEmpty: false },
    ],
  )
})

t.test('the overview shows each cause that keeps a service from ready, by service and group', async (t) => {
  const overview = models['groundtruth-overview.json']!
  const causes = overview.panels.find((p) => p.title === 'Not ready causes')
  t.ok(causes, 'a "Not ready causes" table')
  t.equal(causes?.type, 'table')
  t.match(causes?.targets?.[0]?.expr, /^groundtruth_service_not_ready\{job=~"\$job"\}\n\* on \(job, instance, service\) group_left \(group\)/)
  t.match(causes?.targets?.[0]?.expr, /groundtruth_service_up\{job=~"\$job", group=~"\$group"\}/, 'narrowed to the selected groups')
  const text = JSON.stringify(causes)
  for (const cause of ['down', 'dependency', 'env', 'migrations']) t.match(text, `"${cause}":{"text":"${cause}: `, `cause ${cause} is mapped to text`)
  const timeline = overview.panels.find((p) => p.title === 'Not ready causes over time')
  t.match(timeline, { type: 'state-timeline', targets: [{ expr: /^groundtruth_service_not_ready\{job=~"\$job"\} and on/ }] })
})

t.test('the overview has a container row: state, health, restarts, exit code, image', async (t) => {
  const overview = models['groundtruth-overview.json']!
  const titles = overview.panels.map((p) => p.title)
  const row = titles.indexOf('Containers')
  t.equal(overview.panels[row]?.type, 'row', 'a Containers row')
  t.same(titles.slice(row + 1), [
    'Containers not running',
    'Containers unhealthy',
    'Container restarts',
    'Container images missing',
    'Containers',
    'Container state over time',
    'Container restarts over time',
  ])
  const table = overview.panels.find((p) => p.title === 'Containers' && p.type === 'table')
  t.match(table?.targets?.map((tg) => tg.expr), [
    /^groundtruth_container_state\{job=~"\$job"\} == 1 and on/,
    /^groundtruth_container_health\{job=~"\$job"\} == 1 and on/,
    /^increase\(groundtruth_container_restarts_total\{job=~"\$job"\}\[\$__range\]\)/,
    /^groundtruth_container_restarts_total/,
    /^groundtruth_container_exit_code/,
    /^groundtruth_container_oom_killed/,
    /^groundtruth_container_image_present/,
    /^time\(\) - groundtruth_container_started_timestamp_seconds/,
  ])
  const text = JSON.stringify(table)
  for (const state of ['running', 'restarting', 'exited', 'absent']) t.match(text, `"${state}":{"text":"${state}"`, `state ${state} is mapped`)
  t.match(text, '"none":{"text":"no healthcheck"')
  // The timeline codes each state as 1 + its index, and maps the codes back.
  const timeline = overview.panels.find((p) => p.title === 'Container state over time') as Panel & { fieldConfig: { defaults: { mappings: Array<{ options: Record<string, { text: string }> }> } } }
  t.match(timeline.targets?.[0]?.expr, /^sum by \(job, instance, service\) \(\n  groundtruth_container_state\{job=~"\$job", state="created"\} \* 1\nor\n/)
  t.same(
    Object.entries(timeline.fieldConfig.defaults.mappings[0]!.options).map(([code, m]) => `${code}=${m.text}`),
    ['1=created', '2=running', '3=paused', '4=restarting', '5=removing', '6=exited', '7=dead', '8=absent'],
  )
  // No container in a setup without containers is the healthy answer: every container query may be empty.
  const queries = allQueries(models).filter((q) => q.expr.includes('groundtruth_container_'))
  t.ok(queries.length >= 13)
  t.ok(queries.every((q) => q.mayBeEmpty), 'container queries are mayBeEmpty')
})

t.test('refIds run from A to Z; a panel with more queries is an error', async (t) => {
  t.equal(refId('p', 0), 'A')
  t.equal(refId('p', 25), 'Z')
  t.throws(() => refId('p', 26), /^p: too many queries$/)
})

// Syntax is lezer's job; promtool (the Go PromQL parser) also checks types,
// e.g. a set operator between scalars.
const promtool = spawnSync('promtool', ['--version']).status === 0
t.test('every query is valid PromQL for promtool', { skip: promtool ? false : 'promtool not installed' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gt-dash-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const rules = allQueries(models).map((q, i) => ({ record: `groundtruth_dashboard_query_${i}`, expr: substitute(q.expr) }))
  writeFileSync(join(dir, 'q.yml'), stringifyYaml({ groups: [{ name: 'dashboards', rules }] }))
  const r = spawnSync('promtool', ['check', 'rules', join(dir, 'q.yml')], { encoding: 'utf8' })
  t.equal(r.status, 0, r.stdout + r.stderr)
  t.match(r.stdout, `SUCCESS: ${rules.length} rules found`)
})

t.test('uids are unique and stable; no id; schema and tags', async (t) => {
  t.same(
    Object.fromEntries(Object.entries(models).map(([f, d]) => [f, d.uid])),
    {
      'groundtruth-overview.json': 'groundtruth-overview',
      'groundtruth-configuration.json': 'groundtruth-configuration',
      'groundtruth-migrations.json': 'groundtruth-migrations',
    },
  )
  const other = dashboards({ job: 'gt', title: 'Prod', datasourceUid: 'abc', readyThreshold: 0.5 }) as Record<string, Dashboard>
  for (const [file, d] of Object.entries(models)) {
    t.notOk('id' in d, `${file} has no id`)
    t.equal(d.schemaVersion, 39)
    t.ok(d.tags.includes('groundtruth'))
    t.ok(d.uid.length <= 40)
    t.equal(other[file]?.uid, d.uid, `${file}: uid does not depend on options`)
  }
})

t.test('variables, datasource on every panel and target, links', async (t) => {
  for (const [file, d] of Object.entries(models)) {
    const vars = Object.fromEntries(d.templating.list.map((v) => [v.name, v]))
    t.match(vars.datasource, { type: 'datasource', query: 'prometheus' }, `${file}: datasource variable`)
    t.match(vars.job, { type: 'query', definition: 'label_values(groundtruth_build_info, job)', current: { value: 'groundtruth' }, datasource: { uid: '${datasource}' } })
    t.match(vars.group, { type: 'query', definition: 'label_values(groundtruth_service_up{job=~"$job"}, group)', multi: true, includeAll: true, allValue: '.*' })
    for (const v of d.templating.list) {
      if (v.type === 'query') t.same(parsePromQL(substitute(String(v.definition).replace(/^label_values\((.*), \w+\)$/, '$1'))).errors, [], `${v.name} query`)
    }
    t.same(d.links, [{ title: 'groundtruth', type: 'dashboards', tags: ['groundtruth'], asDropdown: false, includeVars: true, keepTime: true, targetBlank: false, icon: 'external link', tooltip: '', url: '' }])
    for (const p of d.panels) {
      if (p.type === 'row') {
        t.notOk(p.targets, 'rows have no queries')
        continue
      }
      t.same(p.datasource, { type: 'prometheus', uid: '${datasource}' }, `${file} / ${p.title}: panel datasource`)
      t.ok(p.targets && p.targets.length > 0, `${p.title} has targets`)
      for (const tg of p.targets ?? []) t.same(tg.datasource, { type: 'prometheus', uid: '${datasource}' }, `${p.title}/${tg.refId}: target datasource`)
      t.same(new Set(p.targets?.map((tg) => tg.refId)).size, p.targets?.length, `${p.title}: refIds unique`)
    }
  }
  // Every dashboard links to the others through the shared tag.
  t.ok(Object.values(models).every((d) => d.links.some((l) => l.type === 'dashboards' && d.tags.includes(l.tags[0]!))))
})

t.test('panel ids unique, gridPos sane, no overlaps', async (t) => {
  for (const [file, d] of Object.entries(models)) {
    const ids = d.panels.map((p) => p.id)
    t.same(new Set(ids).size, ids.length, `${file}: ids unique`)
    t.ok(ids.every((id) => Number.isInteger(id) && id > 0))
    const titles = d.panels.filter((p) => p.type !== 'row').map((p) => p.title)
    t.same(new Set(titles).size, titles.length, `${file}: titles unique (allQueries keys on them)`)
    for (const p of d.panels) {
      const g = p.gridPos
      t.ok(Number.isInteger(g.x) && Number.isInteger(g.y) && Number.isInteger(g.w) && Number.isInteger(g.h), `${p.title}: integer gridPos`)
      t.ok(g.w >= 1 && g.w <= 24 && g.x >= 0 && g.x + g.w <= 24 && g.h >= 1 && g.y >= 0, `${file} / ${p.title}: within 24 columns`)
    }
    const overlaps: string[] = []
    for (let i = 0; i < d.panels.length; i++)
      for (let j = i + 1; j < d.panels.length; j++) {
        const a = d.panels[i]!.gridPos
        const b = d.panels[j]!.gridPos
        if (a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h) overlaps.push(`${d.panels[i]!.title} / ${d.panels[j]!.title}`)
      }
    t.same(overlaps, [], `${file}: no overlapping panels`)
  }
})

t.test('options change the output', async (t) => {
  const base = renderDashboards()
  const job = dashboards({ job: 'gt-prod' }) as Record<string, Dashboard>
  for (const [file, d] of Object.entries(job)) {
    t.match(d.templating.list.find((v) => v.name === 'job'), { current: { text: 'gt-prod', value: 'gt-prod' } }, `${file}: job default`)
    t.not(JSON.stringify(d, null, 2) + '\n', base[file])
  }
  const titled = dashboards({ title: 'Prod' }) as Record<string, Dashboard>
  t.same(Object.values(titled).map((d) => d.title), ['Prod / Overview', 'Prod / Configuration', 'Prod / Migrations'])
  const ds = dashboards({ datasourceUid: 'prom-eu' }) as Record<string, Dashboard>
  for (const d of Object.values(ds)) {
    t.match(d.templating.list[0], { name: 'datasource', current: { value: 'prom-eu' } })
    t.ok(d.panels.filter((p) => p.type !== 'row').every((p) => p.datasource?.uid === '${datasource}'), 'panels still use the variable')
  }
  const thr = JSON.stringify(dashboards({ readyThreshold: 0.5 }))
  t.match(thr, '"value":0.5')
  t.notMatch(JSON.stringify(dashboards()), '"value":0.5')
  t.match(JSON.stringify(dashboards({ refresh: '1m' })), '"refresh":"1m"')
  t.throws(() => dashboards({ readyThreshold: 0 }), RangeError)
  t.throws(() => dashboards({ readyThreshold: 1.5 }), RangeError)
  t.throws(() => dashboards({ job: '' }), RangeError)
  t.same(renderDashboards({}), base, 'deterministic')
})

t.test('provisioning files', async (t) => {
  const provider = parseYaml(readFileSync(grafanaDir + 'provisioning/dashboards/groundtruth.yml', 'utf8'))
  t.match(provider, {
    apiVersion: 1,
    providers: [{ type: 'file', folder: 'groundtruth', options: { path: '/var/lib/grafana/dashboards/groundtruth', foldersFromFilesStructure: false } }],
  })
  const datasources = parseYaml(readFileSync(grafanaDir + 'provisioning/datasources/prometheus.yml', 'utf8'))
  t.match(datasources, { apiVersion: 1, datasources: [{ type: 'prometheus', uid: 'prometheus', access: 'proxy' }] })
})
