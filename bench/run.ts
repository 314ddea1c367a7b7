// In-process benchmark: how fast a round of probes goes, what a scrape costs as the
// service count grows, and the memory it takes. Prints its figures; nothing
// here is asserted (tests stay fast and stable). Run: npm run bench:rounds
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { PROBE_KINDS } from '../probes/index.js'
import { parseConfig } from '../src/config/load.js'
import { scheduledExposition } from '../src/exposition/registries.js'
import { runRound } from '../src/jobs.js'
import { silentLogger } from '../src/log.js'
import { ResultStore } from '../src/results.js'

const server = createServer((_req, res) => res.end('{"status":"ok"}'))
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const port = (server.address() as AddressInfo).port

function config(services: number, concurrency: number) {
  const lines = Array.from({ length: services }, (_, i) => `  - { name: s${i}, group: g${i % 10}, probe: http, url: "http://127.0.0.1:${port}/", expect: { json: { status: ok } }${i ? `, depends_on: [s${i - 1}]` : ''} }`)
  return parseConfig(`concurrency: ${concurrency}\nservices:\n${lines.join('\n')}\n`, 'bench.yml', PROBE_KINDS)
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`

for (const [services, concurrency] of [[100, 16], [500, 16], [500, 64], [2000, 64]] as const) {
  const cfg = config(services, concurrency)
  const store = new ResultStore()
  const exposition = scheduledExposition(cfg.kinds, { snapshot: () => store.snapshot(), self: () => ({ version: 'bench', reloadOk: true, reloadAt: 0 }) })
  const rounds = 3
  const started = performance.now()
  for (let i = 0; i < rounds; i++) await runRound(cfg, { store, log: silentLogger, cwd: process.cwd(), processEnv: {} })
  const roundMs = (performance.now() - started) / rounds

  const scrapes = 20
  let bytes = 0
  const s0 = performance.now()
  for (let i = 0; i < scrapes; i++) bytes = (await exposition.metrics()).text.length
  const scrapeMs = (performance.now() - s0) / scrapes

  console.log(
    `${String(services).padStart(5)} services, concurrency ${String(concurrency).padStart(2)}: ` +
      `round ${roundMs.toFixed(0).padStart(5)} ms (${((services / roundMs) * 1000).toFixed(0)} probes/s), ` +
      `scrape ${scrapeMs.toFixed(1).padStart(6)} ms for ${(bytes / 1024).toFixed(0)} KiB, rss ${mib(process.memoryUsage().rss)}`,
  )
}
server.close()
