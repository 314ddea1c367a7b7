// A status document built the way the daemon builds it (a ResultStore fed
// run after run, then buildStatus), with more runs than the history keeps,
// a restart-looping container and pending migrations: for the history tests
// and for a screenshot of every section of the page.
import { loadConfig } from '../../src/config/load.js'
import { buildStatus, type StatusDocument } from '../../src/exposition/status.js'
import { ResultStore } from '../../src/results.js'
import type { RunResult } from '../../src/runner.js'
import { PROBE_KINDS } from '../../probes/index.js'
import { writeConfig } from '../helpers/config.js'

export const START = Date.parse('2026-12-02T08:00:00.000Z')
export const RUNS = 130

/** Run i of service `name`: api fails every fifth run and the last ten; db always fails; queue always passes. */
function run(name: string, i: number): RunResult {
  const ok = name === 'queue' || (name === 'api' && i % 5 !== 0 && i < RUNS - 10)
  const base = { service: name, ok, checks: [], durationSeconds: 0.004 + (i % 7) / 1000, finishedAt: START + i * 30_000, info: {}, facts: {}, findings: [] }
  if (name === 'db') {
    return {
      ...base,
      reason: 'refused',
      error: 'connect ECONNREFUSED 10.0.0.5:5432',
      facts: {
        migrations: [{ tool: 'prisma', applied: 3, available: 5, pending: 2, failed: 0, unknown: 0, checksumMismatch: 0, heads: 1, current: '20261101_init', names: { pending: ['20261102_a', '20261103_b'], failed: [], unknown: [], checksumMismatch: [] }, notes: [], dirReadable: true }],
      },
    }
  }
  if (name === 'api' && !ok) {
    return {
      ...base,
      reason: 'container',
      error: 'container openmeet-api-1 is restarting',
      facts: { container: { name: 'openmeet-api-1', state: 'restarting', health: 'none', restartCount: 7, exitCode: 1, oomKilled: false, imagePresent: true, image: 'openmeet-api:latest', lastWords: "Error: Cannot find module 'openai'" } },
    }
  }
  return base
}

export async function longHistory(): Promise<{ doc: StatusDocument; store: ResultStore }> {
  const { file } = writeConfig(`
defaults: { interval: 30s, timeout: 5s }
services:
  - { name: api, group: backend, probe: http, url: "http://127.0.0.1:9/health", critical: true, depends_on: [db], description: The public REST API }
  - { name: db, group: infrastructure, probe: tcp, address: "127.0.0.1:9" }
  - { name: queue, group: infrastructure, probe: tcp, address: "127.0.0.1:9" }
`)
  const config = await loadConfig(file, PROBE_KINDS, {})
  const store = new ResultStore()
  store.setServices(config.services)
  for (let i = 0; i < RUNS; i++) for (const name of ['db', 'queue', 'api']) store.record(run(name, i))
  return { doc: buildStatus(store.snapshot(), config), store }
}
