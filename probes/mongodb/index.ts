// MongoDB probe (the official driver): a fresh MongoClient per run (client.ts:
// one server directly, or the set an SRV name or a seed list discovers; every
// socket guarded by wire.ts; closed on every path), the `ping` admin command
// after connecting and logging in, then `hello` for the role, `buildInfo` for
// the version, and the checks (checks.ts): role, databases, collections,
// replica-set member health.
//
// Never a pooled or long-lived client: the probe must prove that a NEW client
// can connect and authenticate right now (a changed password, a revoked user,
// maxIncomingConnections reached, a primary gone).
import { defineProbe, type ProbeOutcome } from '../../src/probe.js'
import { loadCa, tlsSettings } from '../lib/tls.js'
import { checkNames, mongoExpectations, roleOf, runChecks } from './checks.js'
import { loadDriver, openSession } from './client.js'
import { addSecrets, mongoUrl, parsedUrl, parseMongoUrl, targetOf } from './url.js'

const settings = {
  /** `mongodb://[user:pass@]host[:port][,host…][/db][?options]` or `mongodb+srv://…`; options go to the driver as written. */
  url: mongoUrl,
  /** Given, TLS is on (as `tls=true` in the URL); `insecure` is the driver's tlsInsecure. */
  tls: tlsSettings.optional(),
  /** `max_latency` is connecting, logging in and `ping`. */
  expect: mongoExpectations,
}

const DISCOVERED_FROM = ['MONGODB_URI', 'MONGODB_URL', 'MONGO_URL', 'MONGO_URI']

export default defineProbe({
  kind: 'mongodb',
  settings,

  checkNames: (svc) => checkNames(svc.expect),
  target: (svc) => targetOf(parsedUrl(svc.url)),
  secrets: (svc, into) => addSecrets(svc.url, into),

  async run(svc, ctx): Promise<ProbeOutcome> {
    const started = performance.now()
    const left = () => ctx.timeoutMs - (performance.now() - started)
    const url = parsedUrl(svc.url)
    // The first mongodb run imports the driver (probes/lib/lazy.ts): inside the
    // runner's deadline, and counted in the time left, not in the latency.
    const driver = await loadDriver()
    const ca = await loadCa(svc.tls)
    const session = openSession(driver, svc.url, url, svc.tls, ca, ctx, left())
    try {
      const connecting = performance.now()
      await session.connect()
      const admin = session.client.db('admin')
      await admin.command({ ping: 1 })
      const latencyMs = performance.now() - connecting

      const hello = await admin.command({ hello: 1 }).catch((err: unknown) => {
        // Servers before 4.4.2 know only the legacy name.
        if (session.isServerError(err) && err.code === 59) return admin.command({ isMaster: 1 })
        throw err
      })
      const build = await admin.command({ buildInfo: 1 }).catch((err: unknown) => {
        if (session.isServerError(err)) return undefined
        throw err
      })
      const role = roleOf(hello)
      const { checks, reason, info } = await runChecks({ client: session.client, database: url.database, isServerError: session.isServerError }, svc.expect, hello)
      return {
        checks,
        ...(reason ? { reason } : {}),
        latency: { ms: latencyMs, covers: `to connect${url.username !== undefined ? ', authenticate' : ''} and ping` },
        info: {
          latency_ms: Math.round(latencyMs),
          role,
          ...(typeof hello.setName === 'string' ? { replica_set: hello.setName } : {}),
          ...(typeof hello.primary === 'string' ? { primary: hello.primary } : {}),
          ...(typeof build?.version === 'string' ? { mongodb_version: build.version } : {}),
          ...(typeof hello.maxWireVersion === 'number' ? { max_wire_version: hello.maxWireVersion } : {}),
          ...info,
        },
      }
    } catch (err) {
      throw session.explain(err)
    } finally {
      await session.close()
    }
  },

  discoveredFrom: DISCOVERED_FROM,

  discover(env) {
    const from = DISCOVERED_FROM.find((name) => typeof parseMongoUrl(env[name] ?? '') !== 'string')
    return from ? [{ from, service: { name: 'mongodb', group: 'infrastructure', probe: 'mongodb', url: env[from] } }] : []
  },
})
