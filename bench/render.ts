// How long /metrics' render takes at N services, in process (no HTTP, no
// probing): the store filled with one result per service, then the same
// exposition rendered again and again. For finding where a scrape's time
// goes (node --cpu-prof --import tsx bench/render.ts); the end-to-end figure
// under load is bench/scale.ts'. Prints figures; asserts nothing.
//
// Run: node --import tsx bench/render.ts [-- --services 1000 --renders 200 --changed 0.05]
import { parseArgs } from 'node:util'
import { PROBE_KINDS } from '../probes/index.js'
import { parseConfig } from '../src/config/load.js'
import { scheduledExposition } from '../src/exposition/registries.js'
import { ResultStore } from '../src/results.js'
import type { RunResult } from '../src/runner.js'

const { values } = parseArgs({ options: { services: { type: 'string', default: '1000' }, renders: { type: 'string', default: '200' }, changed: { type: 'string', default: '0.05' } } })
const n = Number(values.services)
const renders = Number(values.renders)
/** The share of services with a new result between two renders (a 5 s interval scraped every 250 ms: 0.05). */
const changed = Number(values.changed)

const yaml = `services:\n${Array.from({ length: n }, (_, i) => `  - { name: s${i}, group: g${i % 10}, probe: http, url: "http://127.0.0.1:9/s${i}", expect: { body_contains: ok } }`).join('\n')}\n`
const config = parseConfig(yaml, 'render.yml', PROBE_KINDS, {})
const store = new ResultStore()
store.setServices(config.services)
let clock = Date.now()
const result = (name: string): RunResult => ({
  service: name,
  ok: true,
  checks: [{ name: 'status', ok: true, detail: 'got 200, expected 2xx' }, { name: 'body_contains', ok: true }],
  durationSeconds: 0.001 + Math.random() / 100,
  finishedAt: (clock += 7),
  info: { status_code: 200 },
  facts: {},
  findings: [],
})
for (const s of config.services) store.record(result(s.name))
const exposition = scheduledExposition(config.kinds, { snapshot: () => store.snapshot(), self: () => ({ version: '0', reloadOk: true, reloadAt: clock / 1000 }) as never })

const times: number[] = []
let bytes = 0
for (let i = 0; i < renders; i++) {
  for (let k = 0; k < n * changed; k++) store.record(result(`s${Math.floor(Math.random() * n)}`))
  const t0 = performance.now()
  const m = await exposition.metrics()
  times.push(performance.now() - t0)
  bytes = m.text.length
}
times.sort((a, b) => a - b)
const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!.toFixed(2)
console.log(`${n} services, ${renders} renders, ${changed * 100}% changed between renders: p50 ${at(0.5)} ms, p90 ${at(0.9)} ms, p99 ${at(0.99)} ms, body ${(bytes / 1024).toFixed(0)} KiB`)
