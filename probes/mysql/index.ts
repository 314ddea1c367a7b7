// MySQL and MariaDB probe: connects from a mysql:// or mariadb:// URL with a
// fresh mysql2 connection (connect.ts: TLS with `tls:`, bounded bytes,
// closed on every path), runs `SELECT 1` with the server's facts, then
// checks tables, read_only and a user query, the last two kinds inside one
// read-only transaction (inspect.ts).
import { defineProbe } from '../../src/probe.js'
import { configured } from '../lib/checks.js'
import { formatEndpoint } from '../lib/target.js'
import { loadCa } from '../lib/tls.js'
import { endpoint, loadMysql, open } from './connect.js'
import { hello, runChecks } from './inspect.js'
import { settings } from './settings.js'

const DISCOVERED_FROM = ['DATABASE_URL', 'MYSQL_URL']

export default defineProbe({
  kind: 'mysql',
  settings,

  checkNames: (svc) => [...(svc.expect.tables ?? []).map((t) => `table:${t}`), ...configured(svc.expect, ['read_only', 'query'])],

  target(svc) {
    const ep = endpoint(svc.url)
    return `${formatEndpoint(ep)}${ep.database ? `/${ep.database}` : ''}`
  },

  secrets(svc, into) {
    into.addUrl(svc.url)
    into.add(endpoint(svc.url).password)
  },

  async run(svc, ctx) {
    const started = performance.now()
    const left = () => ctx.timeoutMs - (performance.now() - started)
    // The first mysql run imports mysql2 (probes/lib/lazy.ts): inside the
    // runner's deadline and left(), outside the latency, which is the server's.
    const createConnection = await loadMysql()
    const ca = await loadCa(svc.tls)
    const connecting = performance.now()
    const session = await open(createConnection, endpoint(svc.url), svc.tls, ca, ctx, left)
    try {
      const facts = await hello(session)
      const latencyMs = performance.now() - connecting
      const tlsVersion = session.tlsVersion()
      const { checks, timedOut } = await runChecks(session, svc.expect, facts, left)
      return {
        checks,
        ...(timedOut ? { reason: 'timeout' as const } : {}),
        info: {
          server_version: facts.version,
          flavour: facts.flavour,
          ...(facts.database !== undefined ? { database: facts.database } : {}),
          read_only: facts.readOnly,
          encrypted: tlsVersion !== undefined,
          ...(tlsVersion ? { tls_version: tlsVersion } : {}),
          latency_ms: Math.round(latencyMs),
        },
        latency: { ms: latencyMs, covers: 'to connect, log in and SELECT 1' },
      }
    } catch (err) {
      throw session.explain(err)
    } finally {
      session.close()
    }
  },

  discoveredFrom: DISCOVERED_FROM,

  discover(env) {
    const from = DISCOVERED_FROM.find((name) => /^(mysql|mariadb):\/\//i.test(env[name] ?? ''))
    return from ? [{ from, service: { name: 'mysql', group: 'infrastructure', probe: 'mysql', url: env[from] } }] : []
  },
})
