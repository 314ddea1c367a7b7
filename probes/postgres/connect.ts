// Connecting as libpq would, not as pg's own connection-string parser does
// (it treats sslmode=require as verify-full and reads PG* variables for TLS):
//   sslmode=disable      plain only
//   sslmode=allow        plain; TLS (unverified) if the server rejects plain
//   sslmode=prefer       TLS (unverified); plain if the server refuses TLS (the default, as in libpq)
//   sslmode=require      TLS, encrypted without verification; with a CA
//                        (tls.ca_file or sslrootcert) it verifies the chain like verify-ca, as libpq does
//   sslmode=no-verify    pg's spelling of require without a CA
//   sslmode=verify-ca    TLS, chain verified against the CA (Node's roots when none is given), any host name
//   sslmode=verify-full  TLS, chain and host name verified
// The password comes from the URL only (user info or ?password=); PGPASSWORD
// and ~/.pgpass are not consulted, so what the config says is what is tested.
//
// A NEW pg.Client per run, never a pool: the probe must prove that a fresh
// client can still connect and authenticate right now; a pooled connection
// would hide a changed password, a pg_hba change or an exhausted
// max_connections. The client is closed on every path: ended politely on
// success, its socket destroyed when ctx.signal fires (timeout or end of run).
// Each client's socket reads at most RUN_BYTE_BUDGET (16 MiB; probes/lib/budget.ts):
// pg buffers a message until all of it has arrived, whatever length it announces.
//
// pg itself is loaded by the first run (loadPg; probes/lib/lazy.ts says why).
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import type { ConnectionOptions } from 'node:tls'
import type pg from 'pg'
import { classifyError } from '../../src/classify.js'
import { ProbeError, type ProbeContext } from '../../src/probe.js'
import { onAbort, settledOrAborted } from '../lib/abort.js'
import { ByteBudget } from '../lib/budget.js'
import { lazy } from '../lib/lazy.js'
import { urlEndpoint, type Endpoint } from '../lib/target.js'
import { loadCa, type TlsSettings } from '../lib/tls.js'
import type { SslMode } from './settings.js'

/** pg, imported by the first postgres run, then shared by every run. */
export const loadPg = lazy(async () => (await import('pg')).default)

const requireHere = createRequire(import.meta.url)

/**
 * A server's error reply (pg.DatabaseError). Synchronous, for the error paths:
 * the class is the one of the pg loaded in this process, by a run or by
 * anyone else (the same module); while pg is not loaded, nothing is one.
 */
export function isDatabaseError(err: unknown): err is pg.DatabaseError {
  const loaded = loadPg.loaded() ?? (requireHere.cache[requireHere.resolve('pg')]?.exports as typeof pg | undefined)
  return loaded !== undefined && err instanceof loaded.DatabaseError
}

/** SQLSTATEs of a rejected login: wrong password, unknown role, no pg_hba entry. */
const AUTH_SQLSTATES = new Set(['28P01', '28000'])
const NO_SSL = 'The server does not support SSL connections'

export interface PgEndpoint extends Endpoint {
  user?: string
  password?: string
  database?: string
  sslmode: SslMode
  rootCert?: string
}

/** A connected client, and what detaches it from the run's signal once it is closed. */
export interface Connection {
  client: pg.Client
  detach: () => void
}

/** The URL as libpq reads it: user info or ?user= / ?password=, the path or ?dbname=, sslmode prefer by default. */
export function endpoint(raw: string): PgEndpoint {
  const url = new URL(raw)
  const q = url.searchParams
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s)
    } catch {
      return s
    }
  }
  const path = decode(url.pathname.slice(1))
  return {
    ...urlEndpoint(url, { 'postgres:': 5432, 'postgresql:': 5432 }),
    user: decode(url.username) || q.get('user') || undefined,
    password: decode(url.password) || q.get('password') || undefined,
    database: path || q.get('dbname') || undefined,
    sslmode: (q.get('sslmode') as SslMode | null) ?? 'prefer',
    rootCert: q.get('sslrootcert') ?? undefined,
  }
}

/** The CA to verify against: tls.ca_file, else the URL's sslrootcert; undefined means Node's roots. */
export async function caFor(tls: TlsSettings | undefined, ep: PgEndpoint): Promise<Buffer | undefined> {
  const configured = await loadCa(tls)
  if (configured) return configured
  if (ep.rootCert && ep.rootCert !== 'system') return readFile(ep.rootCert)
  return undefined
}

/** The TLS settings to try, in order (false = plain), for a libpq sslmode. */
function attempts(mode: SslMode, ca: Buffer | undefined): (ConnectionOptions | false)[] {
  const unverified: ConnectionOptions = { rejectUnauthorized: false }
  const verifyCa: ConnectionOptions = { rejectUnauthorized: true, ca, checkServerIdentity: () => undefined }
  const verifyFull: ConnectionOptions = { rejectUnauthorized: true, ca }
  switch (mode) {
    case 'disable':
      return [false]
    case 'allow':
      return [false, unverified]
    case 'prefer':
      return [unverified, false]
    case 'require':
      return [ca ? verifyCa : unverified]
    case 'no-verify':
      return [unverified]
    case 'verify-ca':
      return [verifyCa]
    case 'verify-full':
      return [verifyFull]
  }
}

/** Opens a fresh client, falling back between TLS and plain as the sslmode allows. */
export async function connect(driver: typeof pg, ep: PgEndpoint, ca: Buffer | undefined, ctx: ProbeContext, left: () => number): Promise<Connection> {
  const failed: { err: unknown; encrypted: boolean }[] = []
  for (const ssl of attempts(ep.sslmode, ca)) {
    try {
      return await open(driver, ep, ssl, ctx, left)
    } catch (err) {
      failed.push({ err, encrypted: ssl !== false })
      // As libpq: allow/prefer try the other way when the server was reached
      // and turned this one down (refused TLS, failed handshake, rejected login).
      const reached = err instanceof driver.DatabaseError || (err as Error).message === NO_SSL || classifyError(err) === 'tls'
      if (!reached || ctx.signal.aborted) break
    }
  }
  throw connectError(failed, ep)
}

async function open(driver: typeof pg, ep: PgEndpoint, ssl: ConnectionOptions | false, ctx: ProbeContext, left: () => number): Promise<Connection> {
  const client = new driver.Client({
    host: ep.host,
    port: ep.port,
    user: ep.user,
    database: ep.database,
    // A function, so pg neither reads PGPASSWORD nor ~/.pgpass: the URL is the whole truth.
    password: () => {
      if (ep.password !== undefined) return ep.password
      throw new ProbeError('auth', 'the server asks for a password and the URL has none')
    },
    ssl,
    application_name: 'groundtruth',
    connectionTimeoutMillis: Math.max(1, Math.ceil(left())),
    keepAlive: false,
  })
  // Errors of a pending connect or query reach their promise; this keeps a late
  // socket error (after the run) from becoming an uncaught 'error' event.
  client.on('error', () => {})
  // The plain socket, then the TLS one pg puts over it (which reads the connection from then on).
  const budget = new ByteBudget(undefined, 'the PostgreSQL server')
  budget.guard(client.connection.stream)
  client.connection.once('sslconnect', () => budget.guard(client.connection.stream))
  const destroy = () => client.connection.stream.destroy()
  const detach = onAbort(ctx.signal, destroy)
  try {
    await client.connect()
  } catch (err) {
    destroy()
    detach()
    throw budget.explain(err)
  }
  return { client, detach }
}

/** Ends the session politely (Terminate), but never waits past the signal; then frees the socket. */
export async function close({ client, detach }: Connection, signal: AbortSignal): Promise<void> {
  if (!signal.aborted) await settledOrAborted(client.end(), signal)
  client.connection.stream.destroy()
  detach()
}

/**
 * A connect failure as a ProbeError when the reason is known; network errors
 * go to the classifier. When allow/prefer tried both ways and the server
 * answered both, the failed password is the finding (the other attempt was
 * most likely turned away by pg_hba for its encryption); the other answer is
 * kept in the message.
 */
function connectError(failed: { err: unknown; encrypted: boolean }[], ep: PgEndpoint): unknown {
  const primary = failed.find((f) => (f.err as { code?: unknown }).code === '28P01') ?? failed[failed.length - 1]!
  const mapped = mapError(primary.err, ep, primary.encrypted)
  const other = failed.find((f) => f !== primary && isDatabaseError(f.err))
  if (!other || !(mapped instanceof ProbeError)) return mapped
  const also = mapError(other.err, ep, other.encrypted) as ProbeError
  return new ProbeError(mapped.reason, `${mapped.message}; ${other.encrypted ? 'with' : 'without'} TLS: ${also.message}`, mapped.info)
}

function mapError(err: unknown, ep: PgEndpoint, encrypted: boolean): unknown {
  if (err instanceof ProbeError) return err
  if (isDatabaseError(err)) {
    const sqlstate = err.code ?? 'unknown'
    const reason = AUTH_SQLSTATES.has(sqlstate) ? 'auth' : 'error'
    return new ProbeError(reason, `${err.message} (SQLSTATE ${sqlstate})`, { sqlstate, encrypted })
  }
  const message = (err as Error).message
  if (message === NO_SSL) return new ProbeError('tls', `the server does not support SSL connections (sslmode=${ep.sslmode})`)
  if (message === 'timeout expired') return new ProbeError('timeout', 'no connection within the probe timeout')
  return err
}
