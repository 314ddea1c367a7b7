// PostgreSQL probe: connects from a postgres:// URL (connect.ts: libpq's
// sslmode, a fresh client per run, closed on every path), runs `SELECT 1`,
// then checks schemas, tables, a table count and a user query, all inside
// one read-only transaction (inspect.ts). With `migrations:` it then reads
// each tool's history table over the same connection and compares it with
// the migration files (migrations/).
import { defineProbe } from '../../src/probe.js'
import { configured } from '../lib/checks.js'
import { formatEndpoint } from '../lib/target.js'
import { caFor, close, connect, endpoint, loadPg } from './connect.js'
import { beginReadOnly, checkFailure, runChecks } from './inspect.js'
import { migrationCollector } from './migrations/collector.js'
import { migrationFindings } from './migrations/findings.js'
import { readMigrations } from './migrations/read.js'
import { MIGRATION_FINDINGS } from '../../src/settings/findings.js'
import { settings } from './settings.js'

const DISCOVERED_FROM = ['DATABASE_URL', 'POSTGRES_URL']

export default defineProbe({
  kind: 'postgres',
  settings,
  collectors: [migrationCollector],

  checkNames(svc) {
    const e = svc.expect
    return [...(e.schemas ?? []).map((s) => `schema:${s}`), ...(e.tables ?? []).map((t) => `table:${t}`), ...configured(e, ['min_tables', 'query'])]
  },

  target(svc) {
    const ep = endpoint(svc.url)
    return `${formatEndpoint(ep)}/${ep.database ?? ep.user ?? ''}`
  },

  secrets(svc, into) {
    into.addUrl(svc.url)
    into.add(endpoint(svc.url).password)
  },

  async run(svc, ctx) {
    const started = performance.now()
    const left = () => ctx.timeoutMs - (performance.now() - started)
    // The first postgres run imports pg (probes/lib/lazy.ts): after the clock
    // starts, so left() and the timeouts derived from it count the import
    // (the runner's deadline bounds it as well), but not the latency, which
    // is the server's.
    const driver = await loadPg()
    const connecting = performance.now()
    const ep = endpoint(svc.url)
    const connection = await connect(driver, ep, await caFor(svc.tls, ep), ctx, left)
    const { client } = connection
    try {
      const info = await beginReadOnly(client, left)
      const latencyMs = performance.now() - connecting
      const { checks, timedOut, tables } = await runChecks(client, svc.expect, left)
      const outcome = {
        checks,
        ...(timedOut ? { reason: 'timeout' as const } : {}),
        info: { ...info, latency_ms: Math.round(latencyMs), ...(tables !== undefined ? { tables } : {}) },
        latency: { ms: latencyMs, covers: 'to connect, log in and SELECT 1' },
      }
      // After the checks: the database answered, so its migration state is known (a down database emits none).
      if (!svc.migrations) return outcome
      const migrations = await readMigrations(client, svc.migrations, ctx.baseDir)
      const failOn = (tool: string) => svc.migrations?.find((m) => m.tool === tool)?.fail_on ?? MIGRATION_FINDINGS
      return { ...outcome, facts: { migrations }, findings: migrationFindings(migrations, failOn) }
    } catch (err) {
      throw checkFailure(err)
    } finally {
      await close(connection, ctx.signal)
    }
  },

  discoveredFrom: DISCOVERED_FROM,

  discover(env) {
    const from = DISCOVERED_FROM.find((name) => /^postgres(ql)?:\/\//i.test(env[name] ?? ''))
    return from ? [{ from, service: { name: 'postgres', group: 'infrastructure', probe: 'postgres', url: env[from] } }] : []
  },
})
