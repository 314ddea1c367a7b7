// The HTTP(S) server under the app: bounded timeouts, TLS with the client
// certificate policies of the exporter toolkit, and a shutdown that finishes
// within a bound whatever the clients do.
//
// Node 20's `server.close()` stops the timer that enforces `headersTimeout`,
// so one client that sent half a request and then nothing would keep the
// process alive for ever. Every socket is therefore tracked: on close, the
// ones not serving a request (idle keep-alive, half-sent, mid-handshake) are
// destroyed at once, those serving one end after their response, and after
// the bound every socket left is destroyed.
import { createServer as createHttpServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import type { Logger } from '../log.js'
import type { WebTls } from './web-config.js'

/** The longest a shutdown takes: requests still in flight then are cut. */
export const SHUTDOWN_BOUND_MS = 10_000

/** Receiving a request's headers may take this long. */
export const HEADERS_TIMEOUT_MS = 10_000
/** Receiving a whole request may take this long (groundtruth takes no request bodies). */
export const REQUEST_TIMEOUT_MS = 30_000
/** An idle keep-alive connection is kept this long: longer than a 1m scrape interval, so a scraper reuses it. */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000
/** A TLS handshake may take this long. */
export const HANDSHAKE_TIMEOUT_MS = 10_000

export interface ServerOptions {
  tls?: WebTls
  /** Overrides SHUTDOWN_BOUND_MS (tests). */
  shutdownBoundMs?: number
  log: Logger
}

interface Tracker {
  boundMs: number
  /** Every accepted TCP socket. */
  sockets: Set<Socket>
  /** Requests in flight per TCP socket. */
  busy: Map<Socket, number>
  /** The TCP socket under each TLS socket. */
  under: WeakMap<Socket, Socket>
  closing?: Promise<void>
}

const trackers = new WeakMap<Server, Tracker>()

export function createWebServer(app: RequestListener, options: ServerOptions): Server {
  const timeouts = { headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS, connectionsCheckingInterval: 1000 }
  const tls = options.tls
  const server: Server = tls
    ? createHttpsServer(
        {
          ...timeouts,
          cert: tls.cert,
          key: tls.key,
          ca: tls.clientCa,
          requestCert: tls.clientAuth !== 'NoClientCert',
          rejectUnauthorized: tls.clientAuth === 'RequireAndVerifyClientCert',
          minVersion: tls.minVersion,
          maxVersion: tls.maxVersion,
          handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
        },
        app,
      )
    : createHttpServer(timeouts, app)
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS
  server.headersTimeout = HEADERS_TIMEOUT_MS
  server.requestTimeout = REQUEST_TIMEOUT_MS

  const tracker: Tracker = { boundMs: options.shutdownBoundMs ?? SHUTDOWN_BOUND_MS, sockets: new Set(), busy: new Map(), under: new WeakMap() }
  trackers.set(server, tracker)
  server.on('connection', (socket: Socket) => {
    tracker.sockets.add(socket)
    socket.once('close', () => {
      tracker.sockets.delete(socket)
      tracker.busy.delete(socket)
    })
    if (tracker.closing) socket.destroy()
  })
  if (tls) {
    server.on('secureConnection', (socket: TLSSocket) => {
      const raw = [...tracker.sockets].find((s) => s.remotePort === socket.remotePort && s.remoteAddress === socket.remoteAddress && s.localPort === socket.localPort)
      if (raw) tracker.under.set(socket, raw)
      const refusal = refuseClient(socket, tls)
      if (refusal) {
        options.log.warn('TLS client refused', { reason: refusal, remote: socket.remoteAddress })
        socket.destroy()
      }
    })
    server.on('tlsClientError', (err: Error & { code?: string }, socket: TLSSocket) => {
      options.log.debug('TLS handshake failed', { error: err.code ?? err.message, remote: socket.remoteAddress })
    })
  }
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = tracker.under.get(req.socket) ?? req.socket
    tracker.busy.set(socket, (tracker.busy.get(socket) ?? 0) + 1)
    res.once('close', () => {
      const left = (tracker.busy.get(socket) ?? 1) - 1
      if (left > 0) tracker.busy.set(socket, left)
      else tracker.busy.delete(socket)
      // Shutting down: the last response on this connection was its last.
      if (tracker.closing && left <= 0) req.socket.end()
    })
  })
  return server
}

/** Why a TLS client is refused after the handshake, for the policies Node's options cannot express. */
function refuseClient(socket: TLSSocket, tls: WebTls): string | undefined {
  const cert = socket.getPeerCertificate()
  const present = cert !== null && Object.keys(cert).length > 0
  if (tls.clientAuth === 'RequireAnyClientCert' && !present) return 'no client certificate'
  if (tls.clientAuth === 'VerifyClientCertIfGiven' && present && !socket.authorized) return 'client certificate not verified'
  if (tls.clientAllowedSans.length > 0) {
    const sans = (cert?.subjectaltname ?? '').split(/,\s*/).map((s) => s.replace(/^(DNS|IP Address|email|URI):/, ''))
    if (!sans.some((s) => tls.clientAllowedSans.includes(s))) return 'client certificate SAN not allowed'
  }
  return undefined
}

/**
 * Stops accepting connections and closes the ones open: at once when they
 * serve no request, after their response otherwise, and every one left after
 * the bound. Resolves when the server is closed.
 */
export function closeServer(server: Server): Promise<void> {
  const tracker = trackers.get(server)
  if (!tracker) {
    return new Promise((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    })
  }
  tracker.closing ??= new Promise<void>((resolve) => {
    const bound = setTimeout(() => {
      for (const socket of tracker.sockets) socket.destroy()
    }, tracker.boundMs)
    server.close(() => {
      clearTimeout(bound)
      resolve()
    })
    for (const socket of tracker.sockets) {
      if (!tracker.busy.has(socket)) socket.destroy()
    }
  })
  return tracker.closing
}
