// NATS probe: one fresh connection per run (the `nats` client, v2), the
// server's INFO, a PING/PONG round trip (flush), and, when asked, JetStream:
// the account's JetStream API answers (`jetstream`) and named streams exist
// (`stream:<name>`). As with Redis, a pooled client would hide what matters:
// that a NEW client can connect and authenticate right now. So: no reconnects,
// no reconnect buffer, a connect timeout equal to the probe's, the connection
// closed on every path, and its socket destroyed when ctx.signal fires (close
// is not awaited past the deadline).
//
// The client is driven below its `connect()`: `connect()` installs a plain
// transport for every later connection, whereas each run here needs its own
// (a socket it can destroy at the deadline, under the run's byte budget). So
// the first run installs, once, a transport factory whose transport takes its
// run from the connection options (`RUN_KEY`, an option the client carries to
// the transport untouched and never sends), and then uses
// NatsConnectionImpl.connect, which is what `connect()` calls.
//
// Bytes: the run's ByteBudget (16 MiB, probes/lib/budget.ts) guards the socket
// from before its first byte (and the TLS socket over it). Before INFO the
// client concatenates everything received until a line ends: more than
// MAX_INFO_BYTES without one fails the run at once. The client's protocol
// parser, on bytes it cannot parse, would print them to the console (raw,
// past every redaction) and then wait; here it closes the connection with a
// bounded error instead (patchParser).
//
// The library is loaded by the first nats run (probes/lib/lazy.ts).
import { createConnection, isIP, type Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import type { NatsConnection, NatsError, TlsOptions } from 'nats'
import { z } from 'zod'
import { classifyError } from '../src/classify.js'
import { defineProbe, ProbeError, type CheckResult, type Reason } from '../src/probe.js'
import { expectations } from '../src/settings/fields.js'
import { abortable, onAbort, settledOrAborted } from './lib/abort.js'
import { ByteBudget, formatBytes } from './lib/budget.js'
import { lazy } from './lib/lazy.js'
import { formatEndpoint, urlEndpoint, urlWith, userInfo, type Endpoint } from './lib/target.js'
import { loadCa, tlsOptions, tlsSettings } from './lib/tls.js'

const PORTS = { 'nats:': 4222, 'tls:': 4222 }

/** What the client may write in one run: CONNECT, PINGs and JetStream requests are a few KiB. */
const MAX_SENT_BYTES = 1024 * 1024

/** What a server may send before its INFO line ends: INFO is a few hundred bytes, a large cluster's a few KiB. */
const MAX_INFO_BYTES = 64 * 1024

/** A message (a JetStream API answer) larger than this is refused as soon as it is announced. */
const MAX_MESSAGE_BYTES = 1024 * 1024

/** The connection option that carries a run to its transport (copied by the client, never sent). */
const RUN_KEY = 'groundtruthRun'

/** Stream names as NATS accepts them: no spaces, dots, `*`, `>`, path separators. */
const streamName = z.string().regex(/^[^\s.*>/\\]{1,255}$/, 'expected a stream name (no spaces, ".", "*", ">", "/" or "\\")')

const settings = {
  url: urlWith('nats', 'tls').refine((text) => ['', '/'].includes(new URL(text).pathname), { message: 'expected no path in the URL: nats://host:4222' }),
  tls: tlsSettings.optional(),
  expect: expectations({
    /** The account's JetStream API must answer. */
    jetstream: z.literal(true, { error: 'expected true (JetStream must be enabled), or leave it out' }).optional(),
    /** JetStream streams that must exist. */
    streams: z.array(streamName).min(1).optional(),
  }).prefault({}),
}

interface NatsEndpoint extends Endpoint {
  /** A user and password, or a token alone (`nats://token@host`). */
  user?: string
  pass?: string
  token?: string
  tls: boolean
}

/** What a run hands its transport through the connection options. */
interface RunContext {
  budget: ByteBudget
  signal: AbortSignal
  /** Every socket the run opened, destroyed at the deadline and at the end. */
  sockets: Set<Socket>
  /** Bytes the client wrote in this run (bounded by MAX_SENT_BYTES). */
  sent: number
}

export default defineProbe({
  kind: 'nats',
  settings,

  checkNames: (svc) => [...(svc.expect.jetstream ? ['jetstream'] : []), ...(svc.expect.streams ?? []).map((s) => `stream:${s}`)],

  target: (svc) => `${new URL(svc.url).protocol}//${formatEndpoint(endpoint(svc.url))}`,

  secrets(svc, into) {
    into.addUrl(svc.url)
    // A token is the URL's user part: as secret as a password.
    const ep = endpoint(svc.url)
    into.add(ep.token)
    if (ep.token) into.add(new URL(svc.url).username)
  },

  async run(svc, ctx) {
    // The first nats run loads the client, inside the runner's deadline, before the latency clock.
    const { NatsConnectionImpl } = await loadNats()
    const ep = endpoint(svc.url)
    const ca = await loadCa(svc.tls)
    const run: RunContext = { budget: new ByteBudget(undefined, 'the NATS server'), signal: ctx.signal, sockets: new Set(), sent: 0 }
    const destroyAll = () => {
      for (const socket of run.sockets) socket.destroy()
    }

    const options = {
      servers: [formatEndpoint(ep)],
      // One bounded attempt: no reconnects, no waiting for a server to appear, no other server tried.
      timeout: ctx.timeoutMs,
      reconnect: false,
      maxReconnectAttempts: 0,
      waitOnFirstConnect: false,
      noRandomize: true,
      ignoreClusterUpdates: true,
      // getaddrinfo, as every other probe resolves (the client's own resolver skips /etc/hosts).
      resolve: false,
      // The run is over long before a heartbeat would be due.
      pingInterval: 3_600_000,
      noEcho: true,
      name: 'groundtruth',
      ...(ep.token !== undefined ? { token: ep.token } : {}),
      ...(ep.user !== undefined ? { user: ep.user, pass: ep.pass ?? '' } : {}),
      // tls:// or any tls setting requires TLS; nats:// upgrades when the server requires or offers it.
      // (The client passes these on to tls.connect; its type knows only its own keys.)
      // SNI is the URL's host name unless `server_name` says otherwise (the client would send none).
      ...(ep.tls || svc.tls ? { tls: { ...(isIP(ep.host) ? {} : { servername: ep.host }), ...tlsOptions(svc.tls, ca) } as TlsOptions } : {}),
      [RUN_KEY]: run,
    }

    const started = performance.now()
    const connecting = NatsConnectionImpl.connect(options)
    let nc: NatsConnection | undefined
    let finishing = false
    const stopClosing = onAbort(ctx.signal, () => {
      destroyAll()
      void nc?.close().catch(() => {})
    })
    try {
      try {
        nc = await abortable(connecting, ctx.signal)
      } catch (err) {
        // A connection that arrives after the deadline is closed at once.
        connecting.then((late) => void late.close().catch(() => {}), () => {})
        throw err
      }
      const conn = nc
      // The connection closing under the run (the server hung up, a parse
      // error, the budget) fails what is awaited, rather than leaving it to the timeout.
      const lost = new Promise<never>((_, reject) => {
        void conn.closed().then((err) => {
          if (!finishing) reject(err ?? new ProbeError('error', 'the server closed the connection'))
        })
      })
      lost.catch(() => {})
      const step = <T>(operation: Promise<T>): Promise<T> => abortable(Promise.race([operation, lost]), ctx.signal)

      await step(conn.flush())
      const latencyMs = performance.now() - started
      const info = conn.info

      const checks: CheckResult[] = []
      if (svc.expect.jetstream || svc.expect.streams) {
        const timeout = Math.max(1, Math.ceil(ctx.timeoutMs - (performance.now() - started)))
        const jsm = await step(conn.jetstreamManager({ checkAPI: false, timeout }))
        if (svc.expect.jetstream) {
          try {
            const account = await step(jsm.getAccountInfo())
            checks.push({ name: 'jetstream', ok: true, detail: `enabled: ${account.streams} stream${account.streams === 1 ? '' : 's'}, ${account.consumers} consumer${account.consumers === 1 ? '' : 's'}` })
          } catch (err) {
            if (ctx.signal.aborted || conn.isClosed()) throw err
            checks.push({ name: 'jetstream', ok: false, detail: jetStreamFailure(err) })
          }
        }
        // One request each, all in flight at once.
        const streams = await Promise.all(
          (svc.expect.streams ?? []).map(async (name): Promise<CheckResult> => {
            try {
              const s = await step(jsm.streams.info(name))
              const { messages, consumer_count: consumers } = s.state
              return { name: `stream:${name}`, ok: true, detail: `${messages} message${messages === 1 ? '' : 's'}, ${consumers} consumer${consumers === 1 ? '' : 's'}` }
            } catch (err) {
              if (ctx.signal.aborted || conn.isClosed()) throw err
              return { name: `stream:${name}`, ok: false, detail: jetStreamFailure(err, name) }
            }
          }),
        )
        checks.push(...streams)
      }

      return {
        checks,
        latency: { ms: latencyMs, covers: `to connect${ep.user !== undefined || ep.token !== undefined ? ', authenticate' : ''} and PING` },
        info: {
          latency_ms: Math.round(latencyMs),
          ...(info
            ? {
                server_id: info.server_id,
                ...(info.server_name && info.server_name !== info.server_id ? { server_name: info.server_name } : {}),
                version: info.version,
                jetstream: info.jetstream === true,
                max_payload: info.max_payload,
                ...(info.cluster ? { cluster: info.cluster } : {}),
              }
            : {}),
          tls: [...run.sockets].some((s) => (s as TLSSocket).encrypted === true),
        },
      }
    } catch (err) {
      throw run.budget.explain(explain(err))
    } finally {
      finishing = true
      stopClosing()
      if (nc) await settledOrAborted(nc.close(), ctx.signal)
      destroyAll()
    }
  },

  discoveredFrom: ['NATS_URL'],

  discover(env) {
    const url = env.NATS_URL
    return url ? [{ from: 'NATS_URL', service: { name: 'nats', group: 'infrastructure', probe: 'nats', url } }] : []
  },
})

/**
 * The client's classes, loaded by the first nats run, with this probe's
 * transport installed as the client's transport factory (once: it serves
 * connections made with `connect()` elsewhere in the process as the plain
 * transport would, since those carry no run).
 */
const loadNats = lazy(async () => {
  const [{ NodeTransport, nodeResolveHost }, base] = await Promise.all([import('nats/lib/src/node_transport.js'), import('nats/lib/nats-base-client/internal_mod.js')])

  class RunTransport extends NodeTransport {
    #run: RunContext | undefined

    override connect(hp: { hostname: string; port: number; tlsName: string }, options: Parameters<InstanceType<typeof NodeTransport>['connect']>[1]): Promise<void> {
      this.#run = (options as Record<string, unknown>)[RUN_KEY] as RunContext | undefined
      return super.connect(hp, options)
    }

    /** The client's dial, with the socket guarded and closed at the deadline from its first moment. */
    override dial(hp: { hostname: string; port: number }): Promise<Socket> {
      const run = this.#run
      if (!run) return super.dial(hp)
      return new Promise((resolve, reject) => {
        let dialError: Error | undefined
        const socket = run.budget.guard(createConnection(hp.port, hp.hostname, () => {
          socket.removeAllListeners()
          resolve(socket)
        }))
        run.sockets.add(socket)
        if (run.signal.aborted) socket.destroy(run.signal.reason as Error)
        socket.on('error', (err) => (dialError = err))
        socket.on('close', () => {
          socket.removeAllListeners()
          reject(dialError ?? new ProbeError('refused', 'the connection closed before it was established'))
        })
        socket.setNoDelay(true)
      })
    }

    /**
     * What the client writes, bounded per run: a server that floods PINGs has
     * the client queue a PONG for each, and a peer that never reads lets them
     * pile up in memory (180 MiB for 5 MiB of PINGs in test/hostile).
     */
    override send(frame: Uint8Array): void {
      const run = this.#run
      if (run) {
        run.sent += frame.length
        if (run.sent > MAX_SENT_BYTES) {
          this.socket.destroy(new ProbeError('error', `the server made the client send more than ${formatBytes(MAX_SENT_BYTES)} in one run (a flood of PINGs?): not a NATS server, or a hostile one`))
          return
        }
      }
      super.send(frame)
    }

    /** The client's wait for INFO, stopped when a server sends too much without a line end. */
    override peekInfo() {
      const socket = this.socket
      let seen = 0
      socket.on('data', (chunk: Buffer) => {
        seen += chunk.length
        if (seen > MAX_INFO_BYTES) {
          socket.destroy(new ProbeError('error', `the server sent ${formatBytes(MAX_INFO_BYTES)} without ending its first line: not a NATS server (no INFO line)`))
        }
      })
      return super.peekInfo()
    }

    override async startTLS(): Promise<TLSSocket> {
      const tls = await super.startTLS()
      if (this.#run) {
        this.#run.budget.guard(tls)
        this.#run.sockets.add(tls)
      }
      return tls
    }
  }

  base.setTransportFactory({ factory: () => new RunTransport(), dnsResolveFn: nodeResolveHost })
  patchParser(base.Parser as unknown as Parameters<typeof patchParser>[0])
  return { NatsConnectionImpl: base.NatsConnectionImpl }
})

/**
 * The client's parser throws on bytes it cannot parse, and its reader then
 * prints the error, with the bytes, to the console, and leaves the connection
 * open. Patched once: the connection is closed with a bounded error (which the
 * run then reports), and nothing is printed. And a message announcing more
 * than MAX_MESSAGE_BYTES is refused as soon as it is announced: the parser
 * would otherwise collect it in a buffer that doubles as it grows.
 */
function patchParser(Parser: { prototype: { parse(buf: Uint8Array): void; processMsgArgs(arg: Uint8Array): void } }): void {
  const processMsgArgs = Parser.prototype.processMsgArgs
  Parser.prototype.processMsgArgs = function (this: { ma?: { size: number } }, arg: Uint8Array) {
    processMsgArgs.call(this, arg)
    const size = this.ma?.size ?? 0
    if (size > MAX_MESSAGE_BYTES) throw new Error(`a message of ${size} bytes announced, more than the ${formatBytes(MAX_MESSAGE_BYTES)} any answer this probe waits for`)
  }
  const parse = Parser.prototype.parse
  Parser.prototype.parse = function (this: { dispatcher?: { transport?: { close(err?: Error): Promise<void> } } }, buf: Uint8Array) {
    try {
      parse.call(this, buf)
    } catch (err) {
      // The parser's message quotes what it could not parse: a short, printable excerpt (redacted with every other text).
      const why = String((err as Error).message).replace(/[^\x20-\x7e]/g, '?').slice(0, 120)
      void this.dispatcher?.transport?.close(new ProbeError('error', `the server sent what is not NATS protocol (${why}): not a NATS server, or a broken one`)).catch(() => {})
    }
  }
}

function endpoint(url: string): NatsEndpoint {
  const u = new URL(url)
  const { username, password } = userInfo(u)
  const credentials = username !== undefined && password === undefined ? { token: username } : { ...(username !== undefined ? { user: username } : {}), ...(password !== undefined ? { pass: password } : {}) }
  return { ...urlEndpoint(u, PORTS), ...credentials, tls: u.protocol === 'tls:' }
}

/** The client's errors as the reasons they mean, with messages that say so. */
function explain(err: unknown): unknown {
  if (err instanceof ProbeError || !(err instanceof Error)) return err
  const code = (err as Partial<NatsError>).code
  const reason = natsReason(err)
  if (reason === undefined) return err
  const message =
    reason === 'auth'
      ? `the server refused the credentials: ${err.message}`
      : code === 'SERVER_OPT_NA' && err.message === 'tls'
        ? 'TLS is required (tls:// or tls settings) but the server does not offer it'
        : err.message === 'unexpected response from server'
          ? "the server's first line is not a NATS INFO: not a NATS server"
          : err instanceof SyntaxError
            ? `the server's INFO is not JSON (${err.message}): not a NATS server`
            : err.message
  const chained = (err as { chainedError?: Error }).chainedError
  return new ProbeError(reason, chained && !message.includes(chained.message) ? `${message}: ${chained.message}` : message, code ? { code } : undefined)
}

function natsReason(err: Error): Reason | undefined {
  const code = (err as Partial<NatsError>).code
  switch (code) {
    case 'AUTHORIZATION_VIOLATION':
    case 'AUTHENTICATION_EXPIRED':
    case 'AUTHENTICATION_TIMEOUT':
    case 'BAD_AUTHENTICATION':
    case 'BAD_CREDS':
    case 'ACCOUNT_EXPIRED':
      return 'auth'
    case 'CONNECTION_REFUSED':
      return 'refused'
    case 'TLS':
      return 'tls'
    case 'SERVER_OPT_NA':
      return err.message === 'tls' ? 'tls' : 'error'
    case 'CONNECTION_TIMEOUT':
    case 'TIMEOUT':
      return 'timeout'
  }
  if (err.message === 'unexpected response from server' || err instanceof SyntaxError) return 'error'
  const inner = (err as { chainedError?: unknown }).chainedError
  return inner ? classifyError(inner) : undefined
}

/** Why a JetStream request failed, for a check's detail. */
function jetStreamFailure(err: unknown, stream?: string): string {
  const e = err as Partial<NatsError> & Error
  const api = e.api_error
  if (e.code === '503') return `JetStream is not enabled for this account (no responder for the JetStream API)`
  if (stream && (api?.err_code === 10059 || e.code === '404')) return `no stream named ${stream}`
  if (api?.description) return `JetStream answered ${api.code}: ${api.description}`
  if (e.code === 'PERMISSIONS_VIOLATION') return `not permitted to use the JetStream API: ${e.message}`
  return e.message || String(err)
}
