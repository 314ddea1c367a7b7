// /metrics copies the rows of services whose revision did not change since the
// last scrape (RowReuse in src/exposition/text.ts). A copied row that should
// have changed would be a wrong number on a dashboard with nothing to show
// for it, so the reused output is held byte for byte to one written afresh
// through a long random walk of everything that changes rows: results up and
// down (debounced), every reason, a dependency's flip seen by its dependents,
// the env audit, and reloads that add, drop and regroup services.
import t from 'tap'
import { PROBE_KINDS } from '../../probes/index.js'
import { parseConfig } from '../../src/config/load.js'
import type { EnvSourceFinding } from '../../src/env/audit.js'
import { snapshotCollectors } from '../../src/exposition/registries.js'
import { ByteWriter, RowReuse, writeCollectors } from '../../src/exposition/text.js'
import { REASONS } from '../../src/probe.js'
import { ResultStore } from '../../src/results.js'
import type { RunResult } from '../../src/runner.js'

/** A small deterministic generator (mulberry32): a failing walk can be replayed from its seed. */
function random(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let x = Math.imul(a ^ (a >>> 15), 1 | a)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

function configText(variant: number): string {
  const lines = [
    '  - { name: db, group: data, probe: tcp, address: "127.0.0.1:1", failure_threshold: 2 }',
    '  - { name: cache, group: data, probe: tcp, address: "127.0.0.1:2" }',
    `  - { name: api, group: ${variant === 1 ? 'edge' : 'app'}, probe: http, url: "http://127.0.0.1:3/health", depends_on: [db, cache], needs_env: [API_KEY], expect: { body_contains: ok } }`,
    '  - { name: worker, group: app, probe: tcp, address: "127.0.0.1:4", depends_on: [api] }',
    ...(variant === 2 ? [] : ['  - { name: web, group: edge, probe: http, url: "http://127.0.0.1:5/", depends_on: [api] }']),
    ...(variant === 3 ? ['  - { name: extra, group: edge, probe: tcp, address: "127.0.0.1:6" }'] : []),
    // After a reload, a name whose label text is longer than what the writer copies byte by byte.
    ...(variant === 0 ? [] : [`  - { name: ${'a-rather-long-service-name-'.repeat(3)}x, group: edge, probe: tcp, address: "127.0.0.1:7" }`]),
  ]
  return `env:\n  - { source: process, required: [API_KEY] }\nservices:\n${lines.join('\n')}\n`
}

function env(state: 'configured' | 'placeholder'): EnvSourceFinding[] {
  return [{ source: '.env', readable: true, variables: [{ name: 'API_KEY', state }], counts: { configured: state === 'configured' ? 1 : 0, placeholder: state === 'placeholder' ? 1 : 0, missing: 0, weak: 0 } } as unknown as EnvSourceFinding]
}

t.test('reused rows equal rows written afresh, through 2,000 random changes', async (t) => {
  const next = random(20261207)
  let config = parseConfig(configText(0), 'walk.yml', PROBE_KINDS, {})
  const collectors = snapshotCollectors(config.kinds, true)
  const store = new ResultStore()
  store.setServices(config.services)
  const reuse = new RowReuse()
  let clock = 1_800_000_000_000
  let copiedSome = false
  for (let step = 0; step < 2000; step++) {
    const roll = next()
    if (roll < 0.02) {
      config = parseConfig(configText(Math.floor(next() * 4)), 'walk.yml', PROBE_KINDS, {})
      store.setServices(config.services)
    } else if (roll < 0.06) {
      store.recordEnv(env(next() < 0.5 ? 'configured' : 'placeholder'), (clock += 1000))
    } else if (roll < 0.9) {
      const names = store.services().map((s) => s.name)
      const service = names[Math.floor(next() * names.length)]!
      const ok = next() < 0.7
      const result: RunResult = {
        service,
        ok,
        reason: ok ? undefined : REASONS[Math.floor(next() * REASONS.length)],
        error: ok ? undefined : 'failed',
        checks: [{ name: 'status', ok }, ...(service === 'api' ? [{ name: 'body_contains', ok: next() < 0.8 }] : [])],
        durationSeconds: Math.round(next() * 1e6) / 1e6,
        finishedAt: (clock += Math.floor(next() * 5000)),
        info: {},
        facts: {},
        findings: [],
      }
      store.record(result)
    }
    // else: a scrape with nothing new since the last one
    const snapshot = store.snapshot()
    const reused = new ByteWriter(1024)
    writeCollectors(reused, collectors, snapshot, { counters: true }, reuse)
    const fresh = new ByteWriter(1024)
    writeCollectors(fresh, collectors, snapshot, { counters: true })
    const a = reused.done().toString('utf8')
    const b = fresh.done().toString('utf8')
    if (a !== b) {
      t.equal(a, b, `step ${step}: the reused output is the fresh one`)
      return
    }
    copiedSome ||= roll >= 0.9
  }
  t.ok(copiedSome, 'the walk had scrapes with nothing new')
  t.pass('2,000 scrapes, reused = fresh at every one')
})

t.test('an unchanged service is copied, not written again; a changed one is written', async (t) => {
  const config = parseConfig(configText(0), 'walk.yml', PROBE_KINDS, {})
  const store = new ResultStore()
  store.setServices(config.services)
  store.recordEnv(env('configured'), 1_800_000_000_000)
  for (const s of config.services) store.record({ service: s.name, ok: true, checks: [{ name: 'status', ok: true }], durationSeconds: 0.1, finishedAt: 1_800_000_000_000, info: {}, facts: {}, findings: [] })
  const collectors = snapshotCollectors(config.kinds, true)
  const written: string[] = []
  // The collectors with their item series counting the items they fill.
  const counting = collectors.map((c) => ({
    ...c,
    series: c.series.map((s) => (s.byItem ? { ...s, byItem: { ...s.byItem, fill: (item: object, input: never, emit: never) => (written.push((item as { config: { name: string } }).config.name), s.byItem!.fill(item, input, emit)) } } : s)),
  }))
  const reuse = new RowReuse()
  const render = () => {
    written.length = 0
    const out = new ByteWriter(1024)
    writeCollectors(out, counting, store.snapshot(), { counters: true }, reuse)
    return { text: out.done().toString('utf8'), rewritten: [...new Set(written)].sort() }
  }
  const fail = (service: string, at: number) => store.record({ service, ok: false, reason: 'timeout', error: 'timeout', checks: [{ name: 'status', ok: false }], durationSeconds: 2, finishedAt: at, info: {}, facts: {}, findings: [] })

  const first = render()
  t.same(first.rewritten, ['api', 'cache', 'db', 'web', 'worker'], 'the first scrape writes every service')
  t.match(first.text, /groundtruth_service_ready\{service="web",group="edge"\} 1/)
  t.same(render(), { text: first.text, rewritten: [] }, 'a scrape with nothing new: the same text, no service written again')
  fail('worker', 1_800_000_005_000)
  t.same(render().rewritten, ['worker'], 'a result rewrites its own service (nothing depends on worker)')
  fail('db', 1_800_000_006_000)
  t.same(render().rewritten, ['db'], 'a failure that changes no verdict (db has failure_threshold: 2) rewrites only its service')
  fail('db', 1_800_000_007_000)
  const down = render()
  t.same(down.rewritten, ['api', 'db', 'web', 'worker'], 'db goes down: it and every service that waits on it are rewritten')
  t.match(down.text, /groundtruth_service_ready\{service="web",group="edge"\} 0/)
  t.match(down.text, /groundtruth_service_not_ready\{service="web",cause="dependency"\} 1/)
  store.recordEnv(env('configured'), 1_800_000_008_000)
  t.same(render().rewritten, [], 'the env audit finding what it found before rewrites nothing')
  store.recordEnv(env('placeholder'), 1_800_000_009_000)
  const env2 = render()
  t.same(env2.rewritten, ['api'], 'a placeholder is a new cause for api alone (what waits on it was not ready already)')
  t.match(env2.text, /groundtruth_service_not_ready\{service="api",cause="env"\} 1/)
})
