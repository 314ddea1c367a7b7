// One fresh mysql2 connection per run (createConnection, never a pool: a
// pooled connection would hide a changed password, a revoked grant or
// max_connections reached), closed on every path: COM_QUIT then the socket
// destroyed when the run is over, the socket destroyed at once when the
// run's signal fires (timeout). mysql2 is loaded by the first run (loadMysql;
// probes/lib/lazy.ts says why).
//
// What mysql2 is not trusted with, and how it is held:
//   bytes     the socket is made here (the `stream` option) and guarded by
//             the run's ByteBudget (16 MiB), as is the TLS socket mysql2 puts
//             over it: mysql2 buffers a packet, and the parts of a "large"
//             packet, until all of it has arrived
//   parsing   mysql2 parses some packets outside its own try/catch (an error
//             packet no command waits for): a malformed one threw inside the
//             socket's 'data' handler, an uncaught exception. handlePacket is
//             wrapped on this connection: a throw fails the run instead
//   noise     packets out of sequence are console.error'd by mysql2, once per
//             packet; a confused peer could flood stderr. Silenced here
//   TLS       mysql2 checks the certificate's name only against the URL's
//             host, and not at all for an IP address; the name is checked
//             here, against tls.server_name or the host, before any
//             credential is sent (startTLS wrapped on this connection)
//   peers     a peer that is not a MySQL server (an SSH banner, stray bytes)
//             fails at its first bytes (watchGreeting), not at the timeout
//   files     LOCAL INFILE is not offered (a server could ask for a file)
//   codegen   disableEval: rows are parsed without code generated from what
//             the server sends
//   plaintext RSA  the server's public key is never fetched over plaintext
//             (mysql2's default): MySQL 8's caching_sha2_password needs
//             `tls:` for a full authentication, and says so
import { createConnection as netConnect, type Socket } from 'node:net'
import { checkServerIdentity, type TLSSocket } from 'node:tls'
import type { Connection } from 'mysql2'
import { ProbeError, type ProbeContext } from '../../src/probe.js'
import { onAbort } from '../lib/abort.js'
import { ByteBudget } from '../lib/budget.js'
import { lazy } from '../lib/lazy.js'
import { urlEndpoint, userInfo, type Endpoint } from '../lib/target.js'
import type { TlsSettings } from '../lib/tls.js'

/** mysql2's createConnection, imported by the first mysql run. */
export const loadMysql = lazy(async () => (await import('mysql2')).createConnection)

export interface MysqlEndpoint extends Endpoint {
  user?: string
  password?: string
  database?: string
}

/** The URL as the mysql clients read it: user info, and the path as the database. */
export function endpoint(raw: string): MysqlEndpoint {
  const url = new URL(raw)
  const path = url.pathname.replace(/^\/|\/$/g, '')
  let database: string | undefined
  try {
    database = decodeURIComponent(path) || undefined
  } catch {
    database = path
  }
  const { username, password } = userInfo(url)
  return { ...urlEndpoint(url, { 'mysql:': 3306, 'mariadb:': 3306 }), user: username, password, database }
}

/** A server's error reply, as mysql2 hands it over. */
interface ServerError extends Error {
  errno: number
  code?: string
  sqlState?: string
  sqlMessage: string
}

export function isServerError(err: unknown): err is ServerError {
  return err instanceof Error && typeof (err as Partial<ServerError>).sqlMessage === 'string' && typeof (err as Partial<ServerError>).errno === 'number'
}

/** ER_ACCESS_DENIED_ERROR, ER_DBACCESS_DENIED_ERROR, ER_ACCESS_DENIED_NO_PASSWORD_ERROR, ER_HOST_NOT_PRIVILEGED, expired passwords, locked accounts (MySQL 3118, MariaDB 4151). */
const AUTH_ERRNOS = new Set([1044, 1045, 1698, 1130, 1820, 1862, 3118, 4151])
/** ER_CON_COUNT_ERROR (max_connections), ER_TOO_MANY_USER_CONNECTIONS, ER_USER_LIMIT_REACHED, ER_HOST_IS_BLOCKED: the server is there and turns a new client away. */
const REFUSED_ERRNOS = new Set([1040, 1203, 1226, 1129])
/** Statement time limits: MariaDB's max_statement_time (ER_STATEMENT_TIMEOUT), MySQL's max_execution_time (ER_QUERY_TIMEOUT). */
export const TIMEOUT_ERRNOS = new Set([1969, 3024])

/** `message (ER_NAME, errno N[, note])`: how a server's error is shown (mysql2 names only MySQL's codes, not MariaDB's own). */
export function describeServerError(err: ServerError, note?: string): string {
  return `${err.sqlMessage} (${[err.code, `errno ${err.errno}`, note].filter(Boolean).join(', ')})`
}

/** A failure as the reason it means; network errors are left to the classifier. */
export function mapError(err: unknown): unknown {
  if (err instanceof ProbeError) return err
  if (isServerError(err)) {
    const reason = AUTH_ERRNOS.has(err.errno) ? 'auth' : REFUSED_ERRNOS.has(err.errno) ? 'refused' : TIMEOUT_ERRNOS.has(err.errno) ? 'timeout' : 'error'
    return new ProbeError(reason, describeServerError(err), { errno: err.errno, ...(err.code ? { code: err.code } : {}), ...(err.sqlState ? { sqlstate: err.sqlState } : {}) })
  }
  const code = (err as { code?: unknown } | null)?.code
  const message = (err as Error).message
  switch (code) {
    case 'HANDSHAKE_NO_SSL_SUPPORT':
      return new ProbeError('tls', 'the server does not offer TLS, and the service asks for it (tls:)')
    case 'HANDSHAKE_SSL_ERROR':
      return new ProbeError('tls', `TLS handshake failed: ${message}`)
    case 'PUBLIC_KEY_RETRIEVAL_NOT_ALLOWED':
      return new ProbeError('tls', "the server wants the password RSA-encrypted (caching_sha2_password or sha256_password), which needs TLS: add tls: to the service (its key is never fetched over plaintext)")
    case 'PROTOCOL_CONNECTION_LOST':
      return new ProbeError('error', 'the server closed the connection')
  }
  return err
}

/** A greeting is a small packet; an SSH banner or an HTTP answer read as a packet header announces megabytes. */
const MAX_GREETING = 64 * 1024

/**
 * A MySQL server speaks first: a greeting (protocol version 10) or an error
 * packet (too many connections, host blocked), sequence 0, small. Anything
 * else is not a MySQL server, and is said so at once rather than waited on
 * until the timeout as a packet that never completes.
 */
function watchGreeting(socket: Socket, bad: (err: ProbeError) => void): void {
  let head = Buffer.alloc(0)
  const onData = (chunk: Buffer) => {
    head = Buffer.concat([head, chunk.subarray(0, 32)]).subarray(0, 32)
    if (head.length < 5) return
    socket.removeListener('data', onData)
    const greeting = head[3] === 0 && head.readUIntLE(0, 3) <= MAX_GREETING && (head[4] === 0x0a || head[4] === 0xff)
    if (!greeting) bad(new ProbeError('error', `not a MySQL server: it spoke first with "${head.toString('latin1').replace(/[^\x20-\x7e]/g, '.')}"`))
  }
  socket.on('data', onData)
}

/** The parts of mysql2's connection this file wraps (see the header). */
interface Internals {
  stream: Socket
  handlePacket(packet?: unknown): void
  startTLS(onSecure: (err?: Error) => void): void
  _warnPacketsOutOfOrder(expected: number, received: number): void
}

/** An open, logged-in connection. */
export interface Session {
  /** Runs one statement: its rows (as arrays) and fields, as mysql2 gives them. */
  query(sql: string, values?: unknown[]): Promise<{ rows: unknown; fields: unknown }>
  /** The TLS version when the connection is encrypted. */
  tlsVersion(): string | undefined
  /** What a failure means: the budget's or the protocol's own failure when one caused it, then as mapError says. */
  explain(err: unknown): unknown
  /** Says goodbye (COM_QUIT) when the connection is sound, then destroys the sockets. Idempotent. */
  close(): void
}

/** Connects and logs in, within what is left of the timeout. */
export async function open(
  createConnection: Awaited<ReturnType<typeof loadMysql>>,
  ep: MysqlEndpoint,
  tls: TlsSettings | undefined,
  ca: Buffer | undefined,
  ctx: ProbeContext,
  left: () => number,
): Promise<Session> {
  const budget = new ByteBudget(undefined, 'the MySQL server')
  const sockets: Socket[] = []
  let secure: TLSSocket | undefined
  /** The first failure the connection reported outside a command's callback, or a parse that threw. */
  let failure: Error | undefined
  let closed = false
  // The TLS socket first, then the plain one under it: the other way round,
  // from inside the TLS socket's own callback (a certificate name rejected
  // below), crashed Node 20 with SIGSEGV.
  const destroy = () => {
    for (const socket of [...sockets].reverse()) socket.destroy()
  }

  const conn: Connection = createConnection({
    host: ep.host,
    port: ep.port,
    user: ep.user ?? '',
    password: ep.password,
    database: ep.database,
    connectTimeout: Math.max(1, Math.ceil(left())),
    stream: () => {
      const socket = budget.guard(netConnect({ host: ep.host, port: ep.port }))
      socket.setNoDelay(true)
      sockets.push(socket)
      watchGreeting(socket, (err) => fail(err))
      return socket
    },
    // No server certificate name check by mysql2 (see the header): done below, for every host.
    ...(tls ? { ssl: { ca, rejectUnauthorized: !tls.insecure, verifyIdentity: false } } : {}),
    flags: ['-LOCAL_FILES'],
    multipleStatements: false,
    disableEval: true,
    dateStrings: true,
    jsonStrings: true,
    supportBigNumbers: true,
    enableKeepAlive: false,
    connectAttributes: { program_name: 'groundtruth' },
  })
  const internals = conn as unknown as Internals

  const fail = (err: Error) => {
    failure ??= err
    destroy()
  }
  // Every error the connection emits lands here, never as an unhandled 'error' event.
  conn.on('error', fail)
  const handlePacket = internals.handlePacket.bind(conn)
  internals.handlePacket = (packet) => {
    try {
      handlePacket(packet)
    } catch (err) {
      fail(new ProbeError('error', `the server sent what is not the MySQL protocol (${(err as Error).message})`))
    }
  }
  internals._warnPacketsOutOfOrder = () => {}
  const startTLS = internals.startTLS.bind(conn)
  internals.startTLS = (onSecure) => {
    startTLS((err) => {
      if (!err && tls && !tls.insecure) {
        err = checkServerIdentity(tls.server_name ?? ep.host, (internals.stream as TLSSocket).getPeerCertificate(true))
      }
      onSecure(err)
    })
    secure = budget.guard(internals.stream as TLSSocket)
    sockets.push(secure)
  }
  const detach = onAbort(ctx.signal, destroy)

  const session: Session = {
    query: (sql, values) =>
      new Promise((resolve, reject) => {
        conn.query({ sql, values, rowsAsArray: true }, (err, rows, fields) => (err ? reject(err) : resolve({ rows, fields })))
      }),
    tlsVersion: () => secure?.getProtocol() ?? undefined,
    explain(err) {
      const spent = budget.explain(err)
      if (spent !== err) return spent
      // A server's own error reply stands; a lost connection is explained by what made it so.
      return mapError(failure && failure !== err && !isServerError(err) ? failure : err)
    },
    close() {
      if (closed) return
      closed = true
      if (!failure && !ctx.signal.aborted) conn.end()
      destroy()
      detach()
    },
  }

  try {
    await new Promise<void>((resolve, reject) => conn.connect((err) => (err ? reject(err) : resolve())))
  } catch (err) {
    session.close()
    throw session.explain(err)
  }
  return session
}
