// RabbitMQ probe (AMQP 0-9-1 through amqplib): a fresh connection per run,
// login with the URL's credentials, connection.open of the URL's vhost, one
// channel, then a passive queue.declare per expected queue (queues.ts).
//
// Never a pooled or long-lived connection: it would hide exactly what this
// probe exists to see, that a NEW client can connect, authenticate and open
// the vhost right now (a changed password, revoked permissions, a connection
// limit reached, a listener gone). No reconnects, heartbeats off (a run lives
// at most its timeout), and the connection is closed on every path: politely
// (connection.close, so the broker logs no "client unexpectedly closed TCP
// connection" every interval) when it can be, and the socket destroyed when
// ctx.signal fires (handshake.ts, which also says how failures map onto
// reasons). A queue missing or with too few consumers is `expectation`.
// What the connection reads is bounded by the run's ByteBudget (16 MiB).
import { defineProbe } from '../../src/probe.js'
import { ByteBudget } from '../lib/budget.js'
import { loadCa, refusePlaintextWithTls, tlsSettings } from '../lib/tls.js'
import { amqpUrl, endpoint, targetOf } from './endpoint.js'
import { closeConnection, loadAmqplib, open } from './handshake.js'
import { checkQueues, openChannel, queueCheckNames, queueExpectations } from './queues.js'

const settings = {
  url: amqpUrl,
  tls: tlsSettings.optional(),
  expect: queueExpectations,
}

const DISCOVERED_FROM = ['RABBITMQ_URL', 'AMQP_URL']

export default defineProbe({
  kind: 'rabbitmq',
  settings,

  checkNames: (svc) => queueCheckNames(svc.expect),
  target: (svc) => targetOf(svc.url),
  secrets: (svc, into) => into.addUrl(svc.url),

  async run(svc, ctx) {
    refusePlaintextWithTls(svc.tls, new URL(svc.url), 'amqps')
    const ep = endpoint(svc.url)
    const ca = await loadCa(svc.tls)

    const budget = new ByteBudget(undefined, 'the AMQP peer')
    // The first rabbitmq run imports amqplib (probes/lib/lazy.ts): inside the
    // runner's deadline (its clock starts before run() is called), before the
    // latency clock, which is the broker's.
    await loadAmqplib()
    const started = performance.now()
    const model = await open(ep, svc.tls, ca, svc.name, ctx, budget)

    // Every event the connection can emit has a listener from here on; the
    // first error explains whatever operation fails after it.
    let connectionError: Error | undefined
    let blocked: string | undefined
    const closed = new Promise<void>((resolve) => model.once('close', () => resolve()))
    model.on('error', (err: Error) => {
      connectionError ??= err
    })
    model.on('blocked', (why: string) => {
      blocked = why
    })
    model.on('unblocked', () => {
      blocked = undefined
    })
    const failure = (err: unknown) => budget.explain(connectionError ?? err)

    try {
      const channel = await openChannel(model).catch((err) => {
        throw failure(err)
      })
      const latencyMs = performance.now() - started
      const { checks, reasons } = await checkQueues(model, channel, svc.expect, ep.vhost, failure)

      const server = model.connection.serverProperties
      return {
        checks,
        // A check the broker refused to answer is not the same finding as a missing queue.
        reason: reasons.has('auth') ? 'auth' : reasons.has('error') ? 'error' : undefined,
        latency: { ms: latencyMs, covers: `to connect, log in, open vhost "${ep.vhost}" and a channel` },
        info: {
          latency_ms: Math.round(latencyMs),
          vhost: ep.vhost,
          ...(typeof server.product === 'string' ? { server_product: server.product } : {}),
          ...(typeof server.version === 'string' ? { server_version: server.version } : {}),
          ...(typeof server.cluster_name === 'string' ? { cluster_name: server.cluster_name } : {}),
          ...(blocked !== undefined ? { blocked } : {}),
        },
      }
    } finally {
      await closeConnection(model, closed, ctx.signal)
    }
  },

  discoveredFrom: DISCOVERED_FROM,

  discover(env) {
    const from = DISCOVERED_FROM.find((name) => env[name])
    return from ? [{ from, service: { name: 'rabbitmq', group: 'infrastructure', probe: 'rabbitmq', url: env[from] } }] : []
  },
})
