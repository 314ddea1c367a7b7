// Redis probe: one fresh connection per run (TLS for rediss://), AUTH with the
// URL's password or ACL user, SELECT of the URL's database, PING, then ROLE and
// INFO server for the facts. A pooled or long-lived client would hide exactly
// what this probe exists to see: that a NEW client can connect and
// authenticate right now (a changed password, `maxclients` exhausted, a
// listener gone). So: no reconnects, no offline queue, no resent commands;
// the connection is closed on every path and destroyed when ctx.signal fires.
//
// AUTH and SELECT are sent by the probe itself rather than through ioredis'
// `password`/`db` options: ioredis would swallow some AUTH replies into
// console warnings and turn a handshake failure into a bare "Connection is
// closed.", where the probe needs the server's own words to tell `auth` apart.
//
// Bytes: ioredis' parser buffers a bulk string until all of it has arrived,
// however long the server says it is (`$1000000000\r\n`). The socket is made
// here (BudgetedConnector) and reads at most RUN_BYTE_BUDGET (16 MiB) per run
// (probes/lib/budget.ts); past that it is destroyed and the run fails, said so.
//
// ioredis itself is loaded by the first run (loadIoredis; probes/lib/lazy.ts says why).
import { createConnection } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import type { Redis, RedisOptions } from 'ioredis'
import { z } from 'zod'
import { classifyError } from '../src/classify.js'
import { defineProbe, ProbeError, type CheckResult, type Reason } from '../src/probe.js'
import { expectations } from '../src/settings/fields.js'
import { onAbort } from './lib/abort.js'
import { ByteBudget } from './lib/budget.js'
import { configured } from './lib/checks.js'
import { lazy } from './lib/lazy.js'
import { formatEndpoint, urlEndpoint, urlWith, userInfo, type Endpoint } from './lib/target.js'
import { loadCa, refusePlaintextWithTls, tlsOptions, tlsSettings } from './lib/tls.js'

const PORTS = { 'redis:': 6379, 'rediss:': 6379 }

const settings = {
  url: urlWith('redis', 'rediss').refine((text) => parseDb(text) !== undefined, {
    message: 'expected a database number as the URL path, e.g. redis://host:6379/0',
  }),
  tls: tlsSettings.optional(),
  expect: expectations({
    role: z.enum(['master', 'replica']).optional(),
  }).prefault({}),
}

type Role = 'master' | 'replica' | 'sentinel'

interface RedisEndpoint extends Endpoint {
  db: number
  username?: string
  password?: string
  tls: boolean
}

export default defineProbe({
  kind: 'redis',
  settings,

  checkNames: (svc) => configured(svc.expect, ['role']),

  target(svc) {
    const ep = endpoint(svc.url)
    return `${formatEndpoint(ep)}/${ep.db}`
  },

  secrets: (svc, into) => into.addUrl(svc.url),

  async run(svc, ctx) {
    refusePlaintextWithTls(svc.tls, new URL(svc.url), 'rediss')
    // The first redis run imports ioredis (probes/lib/lazy.ts): inside the
    // runner's deadline (its clock starts before run() is called), before the
    // latency clock, which is the server's.
    const { Redis, budgetedConnector } = await loadIoredis()
    const ep = endpoint(svc.url)
    const ca = await loadCa(svc.tls)
    const budget = new ByteBudget(undefined, 'the Redis server')

    const options: RedisOptions = {
      host: ep.host,
      port: ep.port,
      // One bounded attempt: connect only when asked, never retry, never queue.
      lazyConnect: true,
      retryStrategy: () => null,
      reconnectOnError: null,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      autoResubscribe: false,
      autoResendUnfulfilledCommands: false,
      // No INFO before "ready" (the probe asks for what it wants, after AUTH) and
      // no CLIENT SETINFO noise; RESP2 so the server never sees a HELLO.
      enableReadyCheck: false,
      disableClientInfo: true,
      protocol: 2,
      connectTimeout: ctx.timeoutMs,
      ...(ep.tls ? { tls: tlsOptions(svc.tls, ca) } : {}),
      Connector: budgetedConnector(budget),
    }
    const client = new Redis(options)
    // Every error the client emits lands here (never as an unhandled 'error'
    // event); the first one explains a connect() that rejects with only
    // "Connection is closed.".
    let firstError: Error | undefined
    client.on('error', (err: Error) => {
      firstError ??= err
    })
    const close = () => {
      client.disconnect()
      client.stream?.destroy()
    }
    const stopClosing = onAbort(ctx.signal, close)

    try {
      const started = performance.now()
      try {
        await client.connect()
      } catch (err) {
        throw firstError ?? err
      }
      if (ctx.signal.aborted) throw ctx.signal.reason

      const send = (args: string[]) => command(client, args, () => firstError)
      // A user without a password still logs in as that user (an ACL `nopass` user accepts any).
      const auth = ep.username ? ['AUTH', ep.username, ep.password ?? ''] : ep.password !== undefined ? ['AUTH', ep.password] : undefined
      let passwordNotNeeded = false
      if (auth) {
        try {
          await send(auth)
        } catch (err) {
          // The server wants no password (Redis 6+ / older wording): reachable all the same.
          if (!/without any password configured|no password is set/i.test((err as Error).message)) throw err
          passwordNotNeeded = true
        }
      }
      if (ep.db !== 0) await send(['SELECT', String(ep.db)])
      const pong = await send(['PING'])
      const latencyMs = performance.now() - started
      if (pong !== 'PONG') throw new ProbeError('error', `PING answered ${JSON.stringify(pong)}, expected PONG`)

      // Both sent before either reply arrives: one round trip.
      const [roleReply, serverInfo] = await Promise.allSettled([send(['ROLE']), send(['INFO', 'server'])])
      const role = await readRole(roleReply, send)
      const server = serverInfo.status === 'fulfilled' ? parseInfo(String(serverInfo.value)) : {}

      const checks: CheckResult[] = []
      const wanted = svc.expect.role
      if (wanted !== undefined) {
        checks.push({
          name: 'role',
          ok: role.role === wanted,
          detail: role.role ? `${role.role}${role.link ? ` (master link ${role.link})` : ''}, expected ${wanted}` : `unknown (${role.error}), expected ${wanted}`,
        })
      }
      return {
        checks,
        latency: { ms: latencyMs, covers: `to connect${auth ? ', authenticate' : ''} and PING` },
        info: {
          latency_ms: Math.round(latencyMs),
          ...(server.redis_version ? { redis_version: server.redis_version } : {}),
          ...(role.role ? { role: role.role } : {}),
          ...(role.master ? { master: role.master } : {}),
          ...(role.link ? { master_link_status: role.link } : {}),
          ...(passwordNotNeeded ? { password_required: false } : {}),
        },
      }
    } catch (err) {
      throw budget.explain(err)
    } finally {
      close()
      stopClosing()
    }
  },

  discoveredFrom: ['REDIS_URL'],

  discover(env) {
    const url = env.REDIS_URL
    return url ? [{ from: 'REDIS_URL', service: { name: 'redis', group: 'infrastructure', probe: 'redis', url } }] : []
  },
})

/**
 * ioredis, imported by the first redis run, and the connector class built on
 * it, once. ioredis constructs the connector with nothing but its options, so
 * each run binds its own budget: `budgetedConnector(budget)`.
 */
const loadIoredis = lazy(async () => {
  const { AbstractConnector, Redis } = await import('ioredis')

  /**
   * ioredis' connector for one host and port (what its StandaloneConnector
   * does), with the socket guarded by `budget` from before its first byte.
   */
  class BudgetedConnector extends AbstractConnector {
    readonly #budget: ByteBudget
    readonly #options: RedisOptions

    constructor(budget: ByteBudget, options: unknown) {
      const redisOptions = options as RedisOptions
      super(redisOptions.disconnectTimeout ?? 2000)
      this.#budget = budget
      this.#options = redisOptions
    }

    connect(): Promise<NonNullable<Redis['stream']>> {
      const { host, port, tls } = this.#options
      this.connecting = true
      const stream = this.#budget.guard(tls ? tlsConnect({ host, port, ...tls }) : createConnection({ host: host!, port: port! }))
      this.stream = stream
      stream.once('error', (err: Error) => {
        this.firstError = err
      })
      return Promise.resolve(stream)
    }
  }

  return { Redis, budgetedConnector: (budget: ByteBudget) => BudgetedConnector.bind(null, budget) }
})

/** The database number in the URL's path: none or `/` is 0; anything else must be a small integer. */
function parseDb(text: string): number | undefined {
  let path: string
  try {
    path = new URL(text).pathname
  } catch {
    return undefined
  }
  if (path === '' || path === '/') return 0
  const m = /^\/(\d{1,5})\/?$/.exec(path)
  return m ? Number(m[1]) : undefined
}

function endpoint(url: string): RedisEndpoint {
  const u = new URL(url)
  return { ...urlEndpoint(u, PORTS), ...userInfo(u), db: parseDb(url) ?? 0, tls: u.protocol === 'rediss:' }
}

/** Runs one command, turning the server's refusals into the reason they mean. */
async function command(client: Redis, args: string[], cause: () => Error | undefined): Promise<unknown> {
  const [name, ...rest] = args
  try {
    return await client.call(name!, ...rest)
  } catch (err) {
    const e = err as Error
    if (e.name === 'ReplyError') throw new ReplyFailure(replyReason(e.message) ?? 'error', `${name}: ${e.message}`)
    // Anything else means the connection went away under the command ("Connection
    // is closed.", "Stream isn't writeable"): the socket's own error says why.
    const why = cause()
    throw new ProbeError(why ? (replyReason(why.message) ?? classifyError(why)) : 'error', `the connection closed during ${name}${why ? `: ${why.message}` : ''}`)
  }
}

/** The server answered a command with an error reply (the connection is still fine). */
class ReplyFailure extends ProbeError {}

/** Reasons carried by Redis error replies; undefined means "an ordinary error". */
function replyReason(message: string): Reason | undefined {
  if (/^(NOAUTH|WRONGPASS|NOPERM|DENIED)\b|invalid password|invalid username-password/i.test(message)) return 'auth'
  // The server took the connection but refuses to serve it: the limit a fresh client must prove free.
  if (/max number of clients reached/i.test(message)) return 'refused'
  return undefined
}

interface RoleFacts {
  role?: Role
  /** Replica only: the master it follows and the state of the link to it. */
  master?: string
  link?: string
  /** Why the role is unknown. */
  error?: string
}

/**
 * The role from ROLE (`master`, `slave`, `sentinel`), or from INFO replication
 * when ROLE is refused (a restricted ACL user, a renamed command).
 */
async function readRole(reply: PromiseSettledResult<unknown>, send: (args: string[]) => Promise<unknown>): Promise<RoleFacts> {
  if (reply.status === 'fulfilled' && Array.isArray(reply.value)) {
    const [kind, host, port, state] = reply.value as unknown[]
    if (kind === 'master' || kind === 'sentinel') return { role: kind }
    if (kind === 'slave') return { role: 'replica', master: `${String(host)}:${String(port)}`, link: typeof state === 'string' ? state : undefined }
  }
  const roleError = reply.status === 'rejected' ? (reply.reason as Error).message : `unexpected ROLE reply ${JSON.stringify(reply.value)}`
  try {
    const info = parseInfo(String(await send(['INFO', 'replication'])))
    if (info.role === 'master') return { role: 'master' }
    if (info.role === 'slave') return { role: 'replica', master: `${info.master_host}:${info.master_port}`, link: info.master_link_status === 'up' ? 'connected' : info.master_link_status }
    return { error: roleError }
  } catch (err) {
    if (!(err instanceof ReplyFailure)) throw err
    return { error: roleError }
  }
}

function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of text.split(/\r?\n/)) {
    const at = line.indexOf(':')
    if (at > 0 && !line.startsWith('#')) out[line.slice(0, at)] = line.slice(at + 1)
  }
  return out
}
