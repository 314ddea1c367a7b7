// The text writer against prom-client, the library it replaces on the hot
// path: the same collectors and inputs must give the same samples (names,
// labels, values, HELP and TYPE), hostile label values included.
import { createServer } from 'node:net'
import { Registry } from 'prom-client'
import t from 'tap'
import { PROBE_KINDS } from '../../probes/index.js'
import { parseConfig } from '../../src/config/load.js'
import { collector, counter, gauge, series, type Collector } from '../../src/exposition/metric.js'
import { registerCollectors } from '../../src/exposition/registry.js'
import { probedExposition, snapshotCollectors } from '../../src/exposition/registries.js'
import { renderText, TEXT_CONTENT_TYPE } from '../../src/exposition/text.js'
import { harness } from '../helpers/round.js'
import { parseExposition, type Sample } from '../helpers/metrics.js'

const HOSTILE = ['plain', 'back\\slash', 'quote"d', 'new\nline', 'all\\"\n', 'ünïcødé ✓', '']

interface Input {
  rows: Array<{ name: string; value: number }>
}

const FAMILIES: Collector<Input> = collector<Input>('demo', [
  series(gauge('groundtruth_demo_value', 'A value\nwith a \\ in its help', ['name', 'kind']), (input, emit) => {
    for (const r of input.rows) emit({ name: r.name, kind: 'k' }, r.value)
  }),
  series(gauge('groundtruth_demo_none', 'Never emits', ['name']), () => {}),
  series(gauge('groundtruth_demo_scalar', 'One label-less value'), (input, emit) => emit({}, input.rows.length)),
  series(counter('groundtruth_demo_total', 'A counter', ['name']), (input, emit) => {
    for (const r of input.rows) emit({ name: r.name }, Number.isFinite(r.value) ? Math.abs(r.value) : 7)
  }),
])

async function viaPromClient<In>(collectors: Collector<In>[], input: In, counters: boolean): Promise<string> {
  const registry = new Registry()
  registerCollectors(registry, collectors, () => input, { counters })
  return registry.metrics()
}

/** Samples in a stable order, with prom-client's `Nan` spelling read the way Prometheus reads it. */
function sorted(samples: Sample[]): Sample[] {
  return samples.map((s) => ({ ...s, labels: { ...s.labels } })).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))
}

/** `# HELP` and `# TYPE` lines of the families that have samples. */
function headers(text: string, withSamples: Set<string>): string[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('# ') && withSamples.has(l.split(' ')[2]!))
    .sort()
}

t.test('the same samples, HELP and TYPE as prom-client, hostile label values and special numbers included', async (t) => {
  const input: Input = { rows: HOSTILE.map((name, i) => ({ name, value: [1, 0, -2.5, 1e21, 1 / 3, NaN, Infinity][i]! })) }
  const ours = renderText([FAMILIES], input, { counters: true })
  const theirs = await viaPromClient([FAMILIES], input, true)
  const mine = parseExposition(ours)
  t.same(sorted(mine), sorted(parseExposition(theirs)))
  t.equal(mine.length, HOSTILE.length * 2 + 1)
  t.same(headers(ours, new Set(mine.map((s) => s.name))), headers(theirs, new Set(mine.map((s) => s.name))))
  t.match(ours, /groundtruth_demo_value\{name="new\\nline",kind="k"\} 1e\+21\n/, 'a newline in a label value is escaped')
  t.match(ours, /kind="k"\} NaN\n/, 'NaN spelt as Prometheus does')
  t.match(ours, /kind="k"\} \+Inf\n/)
  t.match(ours, /name="quote\\"d"/)
  t.match(ours, /name="back\\\\slash"/)
  t.match(ours, /# HELP groundtruth_demo_value A value\\nwith a \\\\ in its help\n/)
  t.notMatch(ours, /groundtruth_demo_none/, 'a family without samples is left out, as the Go client does')
})

t.test('counters are left out when asked, and nothing at all is an empty text', async (t) => {
  const input: Input = { rows: [{ name: 'a', value: 1 }] }
  const ours = renderText([FAMILIES], input, { counters: false })
  t.notMatch(ours, /groundtruth_demo_total/)
  t.same(sorted(parseExposition(ours)), sorted(parseExposition(await viaPromClient([FAMILIES], input, false))))
  t.equal(renderText([collector<Input>('empty', [])], input, { counters: true }), '')
})

t.test('real snapshots (scheduled and probed) give what prom-client gives', async (t) => {
  const open = createServer((s) => s.end())
  await new Promise<void>((r) => open.listen(0, '127.0.0.1', r))
  t.teardown(() => open.close())
  const port = (open.address() as { port: number }).port
  const config = parseConfig(
    `services:\n  - { name: up, group: g, probe: tcp, address: "127.0.0.1:${port}" }\n  - { name: down, group: g, probe: tcp, address: "127.0.0.1:1", timeout: 1s }\n  - { name: api, group: h, probe: tcp, address: "127.0.0.1:${port}", depends_on: [down] }\n`,
    'text.yml',
    PROBE_KINDS,
    {},
  )
  const h = harness(config)
  const snapshot = await h.runAll()
  for (const scheduled of [true, false]) {
    const collectors = snapshotCollectors(config.kinds, scheduled)
    const ours = parseExposition(renderText(collectors, snapshot, { counters: scheduled }))
    t.same(sorted(ours), sorted(parseExposition(await viaPromClient(collectors, snapshot, scheduled))), scheduled ? 'scheduled' : 'probed')
    t.ok(ours.some((s) => s.name === 'groundtruth_service_not_ready' && s.labels.service === 'api' && s.labels.cause === 'dependency'))
  }
  const probed = probedExposition(config.kinds, snapshot)
  t.equal(probed.contentType, TEXT_CONTENT_TYPE)
  t.notMatch(String(probed.text), /_total/, 'no counters on /probe')
  t.match(await h.metrics(), /groundtruth_probes_total\{service="up"\} 1\n/)
  t.match(await h.metrics(), /process_cpu_user_seconds_total/, "the process's own metrics follow")
})
