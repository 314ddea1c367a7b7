// One run's MongoClient: made fresh, bounded by the run, closed on every path.
//
//   - a single host (not SRV, no replicaSet/directConnection/loadBalanced in
//     the URL) is reached with directConnection: that server, whatever its
//     role, not the replica set it may name; SRV and seed lists discover;
//   - serverSelectionTimeoutMS, connectTimeoutMS and socketTimeoutMS are the
//     time left of the run; maxPoolSize 1, retryReads/retryWrites off, no
//     compression; readPreference primaryPreferred (a seed list reaches its
//     primary if it has one, a direct connection any member);
//   - monitoring polls (no streaming hello, no RTT pinger) once an hour, so
//     the monitor's first check is the only one a run sees; the driver's
//     logger is off whatever MONGODB_LOG_* says;
//   - a run does not wait out server selection for a server it cannot reach:
//     once every server of the topology failed its check (and none passed), it
//     fails with that check's error (refused, dns, tls, the wire guard);
//   - close: client.close() (endSessions) bounded by the run's signal, then
//     every socket the run opened destroyed; at the signal, at once. A client
//     whose SRV lookup was still pending is closed when its topology opens.
//
// The driver is loaded by the first run (probes/lib/lazy.ts).
import { createRequire } from 'node:module'
import type { Duplex } from 'node:stream'
import type { Document, MongoClient, MongoClientOptions, ServerHeartbeatFailedEvent, TopologyDescriptionChangedEvent } from 'mongodb'
import { classifyError } from '../../src/classify.js'
import { ProbeError, type ProbeContext } from '../../src/probe.js'
import { abortable, onAbort, settledOrAborted } from '../lib/abort.js'
import { ByteBudget } from '../lib/budget.js'
import { lazy } from '../lib/lazy.js'
import { tlsOptions, type TlsSettings } from '../lib/tls.js'
import { urlWantsTls, wantsDirect, type MongoUrl } from './url.js'
import { adoptingConnection, guardWire, type ConnectionClass } from './wire.js'

const requireHere = createRequire(import.meta.url)

/** The driver and its Connection class (internal: see wire.ts), imported by the first mongodb run. */
export const loadDriver = lazy(async () => {
  const driver = await import('mongodb')
  const internal = requireHere('mongodb/lib/cmap/connection.js') as { Connection?: ConnectionClass }
  if (typeof internal.Connection !== 'function') {
    throw new Error('the installed mongodb driver has no Connection class in lib/cmap/connection.js: the probe cannot guard its sockets')
  }
  return { driver, Connection: internal.Connection }
})

type Driver = Awaited<ReturnType<typeof loadDriver>>

/** Server error codes of a refused login or a command the user may not run. */
const AUTH_CODES = new Set([18, 13, 11])
/** An hour: the monitor checks once in a run, at its start. */
const HEARTBEAT_MS = 3_600_000
const LOGGER_OFF = { default: 'off', command: 'off', topology: 'off', serverSelection: 'off', connection: 'off', client: 'off' } as const

export interface Session {
  client: MongoClient
  /** Connects (selects a server and checks out a logged-in connection), or fails as soon as no server can be reached. */
  connect(): Promise<void>
  /** The failure a run reports for `err`: the wire guard's, the auth code's, the cause under a selection error. */
  explain(err: unknown): unknown
  /** A command the server answered with an error (ok: 0), as opposed to a lost connection. */
  isServerError(err: unknown): err is Error & { code?: number; codeName?: string }
  /** Ends the client, bounded by the run's signal; every socket of the run is gone after it. */
  close(): Promise<void>
}

export function openSession({ driver, Connection }: Driver, text: string, url: MongoUrl, tls: TlsSettings | undefined, ca: Buffer | undefined, ctx: ProbeContext, timeoutMs: number): Session {
  const budget = new ByteBudget(undefined, 'the MongoDB server')
  const sockets = new Set<Duplex>()
  let problem: ProbeError | undefined
  let ended = false

  if (tls && urlWantsTls(url) === false) throw new ProbeError('error', 'tls settings are given but the url says tls=false')
  const ms = Math.max(1, Math.floor(timeoutMs))
  const options = {
    ...(wantsDirect(url) ? { directConnection: true } : {}),
    appName: 'groundtruth',
    serverSelectionTimeoutMS: ms,
    connectTimeoutMS: ms,
    socketTimeoutMS: ms,
    maxPoolSize: 1,
    minPoolSize: 0,
    retryReads: false,
    retryWrites: false,
    compressors: ['none'],
    readPreference: 'primaryPreferred',
    heartbeatFrequencyMS: HEARTBEAT_MS,
    serverMonitoringMode: 'poll',
    monitorCommands: false,
    mongodbLogComponentSeverities: LOGGER_OFF,
    ...(tls ? tlsFor(tls, ca) : {}),
    // Internal to the driver (wire.ts says why): every socket passes here first.
    connectionType: adoptingConnection(Connection, (stream) => {
      sockets.add(stream)
      guardWire(stream, budget, (p) => (problem ??= p))
      if (ended) stream.destroy()
    }),
  } as MongoClientOptions
  const client = new driver.MongoClient(text, options)

  // Every event that could go unheard: errors, and what the monitor finds.
  client.on('error', () => {})
  let reached = false
  let servers: string[] = []
  let compatibility: string | undefined
  const failures = new Map<string, Error>()
  let unreachable!: (err: unknown) => void
  const hopeless = new Promise<never>((_, reject) => (unreachable = reject))
  hopeless.catch(() => {})
  const judge = () => {
    if (compatibility) unreachable(new ProbeError('error', compatibility))
    else if (!reached && servers.length > 0 && servers.every((s) => failures.has(s))) unreachable(failures.get(servers[0]!))
  }
  client.on('serverHeartbeatSucceeded', () => (reached = true))
  client.on('serverHeartbeatFailed', (e: ServerHeartbeatFailedEvent) => {
    if (!failures.has(e.connectionId)) failures.set(e.connectionId, e.failure)
    judge()
  })
  client.on('topologyDescriptionChanged', (e: TopologyDescriptionChangedEvent) => {
    servers = [...e.newDescription.servers.keys()]
    compatibility = e.newDescription.compatibilityError
    judge()
  })
  // A topology that opens after the run (an SRV lookup that outlived it) is closed at once.
  client.on('topologyOpening', () => {
    if (ended) void client.close().catch(() => {})
  })

  const finish = () => {
    ended = true
    for (const socket of sockets) socket.destroy()
    // The topology first (internal, synchronous: monitors and pool closed): client.close() alone
    // would open a new connection at the timeout to send endSessions to a server that stopped answering.
    ;(client as unknown as { topology?: { close(): void } }).topology?.close()
    void client.close().catch(() => {})
  }
  const detach = onAbort(ctx.signal, finish)

  const isServerError = (err: unknown): err is Error & { code?: number; codeName?: string } => err instanceof driver.MongoServerError

  const explain = (err: unknown): unknown => {
    const spent = budget.explain(err)
    if (spent !== err) return spent
    if (problem) return problem
    if (err instanceof ProbeError) return err
    if (isServerError(err) && AUTH_CODES.has(err.code ?? 0)) return new ProbeError('auth', `${err.message} (code ${err.code}${err.codeName ? ` ${err.codeName}` : ''})`)
    const dns = dnsFailure(err)
    if (dns) return new ProbeError('dns', dns.message)
    if (err instanceof driver.MongoServerSelectionError) {
      // What each server's last check found says why none could be selected.
      const found = [...(err.reason?.servers.values() ?? [])].map((s) => s.error).find((e) => e)
      const cause = found ?? err.cause
      if (cause && cause !== err) {
        const inner = explain(cause)
        return inner instanceof ProbeError ? inner : new ProbeError(classifyError(inner), (inner as Error).message ?? err.message)
      }
      return new ProbeError('timeout', `no server could be selected within the timeout: ${err.message}`)
    }
    if (err instanceof driver.MongoNetworkTimeoutError) return new ProbeError('timeout', err.message)
    return err
  }

  return {
    client,
    isServerError,
    explain,
    async connect() {
      await abortable(Promise.race([client.connect(), hopeless]), ctx.signal)
    },
    async close() {
      try {
        if (!ctx.signal.aborted) await settledOrAborted(client.close(), ctx.signal)
      } finally {
        finish()
        detach()
      }
    },
  }
}

/** The shared `tls:` settings as the driver's options; a `tls:` block turns TLS on. */
function tlsFor(tls: TlsSettings, ca: Buffer | undefined): Document {
  const node = tlsOptions(tls, ca)
  return {
    tls: true,
    ...(node.ca ? { ca: node.ca } : {}),
    ...(node.servername ? { servername: node.servername } : {}),
    ...(node.rejectUnauthorized ? {} : { tlsInsecure: true }),
  }
}

/** A failed name lookup anywhere in the cause chain: an SRV or TXT query, or a host's getaddrinfo. */
function dnsFailure(err: unknown): Error | undefined {
  for (let e = err as (Error & { syscall?: unknown; cause?: unknown }) | undefined, depth = 0; e && depth < 8; e = e.cause as typeof e, depth++) {
    if (typeof e.syscall === 'string' && /^(query|getaddrinfo)/.test(e.syscall)) return e
  }
  return undefined
}
