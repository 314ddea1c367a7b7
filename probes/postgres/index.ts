// PostgreSQL probe: connects from a postgres:// URL, runs `SELECT 1`, then
// checks schemas, tables, a table count and a user query, all inside one
// read-only transaction.
//
// Connection strategy: a NEW pg.Client per run, never a pool. The probe must
// prove that a fresh client can still connect and authenticate right now; a
// pooled connection would hide a changed password, a pg_hba change or an
// exhausted max_connections. The client is closed on every path: ended
// politely on success, its socket destroyed when ctx.signal fires (timeout or
// end of run).
//
// URL handling follows libpq, not pg's own connection-string parser (which
// treats sslmode=require as verify-full and reads PG* variables for TLS):
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
// Names in expect.schemas / expect.tables: a "quoted" name matches exactly
// (in YAML write '"Meeting"' so the quotes survive); an unquoted name matches
// the table of exactly that name or, as SQL would read it, its lower-case
// fold. So SPEC's `tables: [users, "Meeting"]` (YAML drops those quotes)
// finds Prisma's "Meeting", and `CORE.Users` finds core.users. A table
// written `schema.table` must be in that schema; an unqualified one may be
// in any non-system schema (not pg_*, not information_schema), whatever the
// search_path. A "table" is an ordinary, partitioned or foreign table; a
// view of that name does not count (the detail says so). min_tables counts
// those in non-system schemas, partitions not counted apart from their parent.
//
// expect.query runs in a READ ONLY transaction, through the extended protocol
// (exactly one statement: `...; COMMIT; DELETE ...` is refused), with a
// statement_timeout inside the probe timeout; the transaction is rolled back.
// Needs PostgreSQL 10 or later (pg_class.relispartition).
import { readFile } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import type { ConnectionOptions } from 'node:tls'
import { TLSSocket } from 'node:tls'
import pg from 'pg'
import { z } from 'zod'
import { readableFile, urlWith } from '../src/settings/fields.js'
import { formatDuration } from '../src/duration.js'
import { classifyError } from '../src/classify.js'
import { defineProbe, ProbeError, type CheckResult, type ProbeContext } from '../src/probe.js'
import { readMigrations, migrationsSetting } from '../src/migrations/read.js'
import { migrationCollector } from '../src/migrations/collector.js'

const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'no-verify', 'verify-ca', 'verify-full'] as const
type SslMode = (typeof SSL_MODES)[number]

/** SQLSTATEs of a rejected login: wrong password, unknown role, no pg_hba entry. */
const AUTH_SQLSTATES = new Set(['28P01', '28000'])
/** Relation kinds that count as tables: ordinary, partitioned, foreign. */
const TABLE_KINDS = new Set(['r', 'p', 'f'])
const KIND_NAMES: Record<string, string> = { r: 'table', p: 'partitioned table', f: 'foreign table', v: 'view', m: 'materialized view' }
/** Schemas that are Postgres' own (user schemas may not start with pg_). */
const SYSTEM_SCHEMA_SQL = `(n.nspname LIKE 'pg\\_%' OR n.nspname = 'information_schema')`

const postgresUrl = urlWith('postgres', 'postgresql').superRefine((text, ctx) => {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return // urlWith already reported it
  }
  if (!url.hostname) ctx.addIssue({ code: 'custom', message: 'expected a host in the URL (postgres://user:password@host:port/database)' })
  const mode = url.searchParams.get('sslmode')
  if (mode !== null && !(SSL_MODES as readonly string[]).includes(mode)) {
    ctx.addIssue({ code: 'custom', message: `expected sslmode to be one of ${SSL_MODES.join(', ')}, got "${mode}"` })
  }
  const rootCert = url.searchParams.get('sslrootcert')
  if (rootCert !== null && rootCert !== 'system') {
    try {
      readFileSync(rootCert)
    } catch {
      ctx.addIssue({ code: 'custom', message: `expected sslrootcert to be a readable file (or "system"), got "${rootCert}"` })
    }
  }
})

const schemaName = z.string().superRefine((text, ctx) => {
  const parsed = parseName(text)
  if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed })
  else if (parsed.length !== 1) ctx.addIssue({ code: 'custom', message: `expected a schema name, got "${text}"` })
})

const tableName = z.string().superRefine((text, ctx) => {
  const parsed = parseName(text)
  if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed })
  else if (parsed.length > 2) ctx.addIssue({ code: 'custom', message: `expected "table" or "schema.table", got "${text}"` })
})

function unique<T extends z.ZodType<string>>(item: T, what: string) {
  return z.array(item).refine((list) => new Set(list).size === list.length, `expected each ${what} once (each is its own check)`)
}

const settings = {
  url: postgresUrl,
  tls: z.strictObject({ ca_file: readableFile.optional() }).optional(),
  expect: z
    .strictObject({
      schemas: unique(schemaName, 'schema').optional(),
      tables: unique(tableName, 'table').optional(),
      min_tables: z.int().nonnegative().optional(),
      /** SQL whose first cell must be truthy, run read-only. */
      query: z.string().trim().min(1).optional(),
    })
    .prefault({}),
  /** Migration history to compare with the code: `{ tool, dir, table?, schema? }` or a list. */
  migrations: migrationsSetting.optional(),
}

type Service = z.infer<z.ZodObject<typeof settings>>

interface Endpoint {
  host: string
  port: number
  user?: string
  password?: string
  database?: string
  sslmode: SslMode
  rootCert?: string
}

export default defineProbe({
  kind: 'postgres',
  settings,
  collectors: [migrationCollector],

  checkNames(svc) {
    const e = svc.expect
    return [
      ...(e.schemas ?? []).map((s) => `schema:${s}`),
      ...(e.tables ?? []).map((t) => `table:${t}`),
      ...(e.min_tables !== undefined ? ['min_tables'] : []),
      ...(e.query !== undefined ? ['query'] : []),
    ]
  },

  target(svc) {
    const ep = endpoint(svc.url)
    const host = ep.host.includes(':') ? `[${ep.host}]` : ep.host
    return `${host}:${ep.port}/${ep.database ?? ep.user ?? ''}`
  },

  secrets(svc, into) {
    into.addUrl(svc.url)
    const ep = endpoint(svc.url)
    into.add(ep.password)
  },

  async run(svc, ctx) {
    const started = performance.now()
    const left = () => ctx.timeoutMs - (performance.now() - started)
    const ep = endpoint(svc.url)
    const client = await connect(ep, await caFor(svc, ep), ctx, left)
    try {
      const outcome = await inspect(client, svc, left)
      // After the checks: the database answered, so its migration state is known (a down database emits none).
      return svc.migrations ? { ...outcome, facts: { migrations: await readMigrations(client, svc.migrations, ctx.baseDir) } } : outcome
    } catch (err) {
      if (!(err instanceof pg.DatabaseError)) throw err
      // The catalog queries are read-only and cheap: failing means no time was left, or a server problem.
      if (err.code === '57014') throw new ProbeError('timeout', `no answer within the probe timeout (${err.message})`, { sqlstate: err.code })
      throw new ProbeError('error', `${err.message} (SQLSTATE ${err.code ?? 'unknown'})`, { sqlstate: err.code })
    } finally {
      await close(client, ctx.signal)
    }
  },

  discoveredFrom: ['DATABASE_URL', 'POSTGRES_URL'],

  discover(env) {
    for (const name of ['DATABASE_URL', 'POSTGRES_URL']) {
      const value = env[name]
      if (value && /^postgres(ql)?:\/\//i.test(value)) {
        return [{ from: name, service: { name: 'postgres', group: 'infrastructure', probe: 'postgres', url: value } }]
      }
    }
    return []
  },
})

// ---------------------------------------------------------------- connecting

function endpoint(raw: string): Endpoint {
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
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : 5432,
    user: decode(url.username) || q.get('user') || undefined,
    password: decode(url.password) || q.get('password') || undefined,
    database: path || q.get('dbname') || undefined,
    sslmode: (q.get('sslmode') as SslMode | null) ?? 'prefer',
    rootCert: q.get('sslrootcert') ?? undefined,
  }
}

/** The CA to verify against: tls.ca_file, else the URL's sslrootcert; undefined means Node's roots. */
async function caFor(svc: Service, ep: Endpoint): Promise<Buffer | undefined> {
  if (svc.tls?.ca_file) return readFile(svc.tls.ca_file)
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

const NO_SSL = 'The server does not support SSL connections'

/** Opens a fresh client, falling back between TLS and plain as the sslmode allows. */
async function connect(ep: Endpoint, ca: Buffer | undefined, ctx: ProbeContext, left: () => number): Promise<pg.Client> {
  const tries = attempts(ep.sslmode, ca)
  const failed: { err: unknown; encrypted: boolean }[] = []
  for (const ssl of tries) {
    try {
      return await open(ep, ssl, ctx, left)
    } catch (err) {
      failed.push({ err, encrypted: ssl !== false })
      // As libpq: allow/prefer try the other way when the server was reached
      // and turned this one down (refused TLS, failed handshake, rejected login).
      const reached = err instanceof pg.DatabaseError || (err as Error).message === NO_SSL || classifyError(err) === 'tls'
      if (!reached || ctx.signal.aborted) break
    }
  }
  throw connectError(failed, ep)
}

function open(ep: Endpoint, ssl: ConnectionOptions | false, ctx: ProbeContext, left: () => number): Promise<pg.Client> {
  const client = new pg.Client({
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
  const destroy = () => client.connection.stream.destroy()
  ctx.signal.addEventListener('abort', destroy, { once: true })
  ;(client as ClientWithCleanup)[CLEANUP] = () => ctx.signal.removeEventListener('abort', destroy)
  if (ctx.signal.aborted) destroy()
  return client.connect().then(
    () => client,
    (err: unknown) => {
      destroy()
      ;(client as ClientWithCleanup)[CLEANUP]?.()
      throw err
    },
  )
}

const CLEANUP = Symbol('cleanup')
type ClientWithCleanup = pg.Client & { [CLEANUP]?: () => void }

/** Ends the session politely (Terminate), but never waits past the signal; then frees the socket. */
async function close(client: pg.Client, signal: AbortSignal): Promise<void> {
  if (!signal.aborted) {
    let onAbort: (() => void) | undefined
    const aborted = new Promise<void>((resolve) => {
      onAbort = () => resolve()
      signal.addEventListener('abort', onAbort, { once: true })
    })
    await Promise.race([client.end().catch(() => {}), aborted])
    signal.removeEventListener('abort', onAbort!)
  }
  client.connection.stream.destroy()
  ;(client as ClientWithCleanup)[CLEANUP]?.()
}

/**
 * A connect failure as a ProbeError when the reason is known; network errors
 * go to the classifier. When allow/prefer tried both ways and the server
 * answered both, the failed password is the finding (the other attempt was
 * most likely turned away by pg_hba for its encryption); the other answer is
 * kept in the message.
 */
function connectError(failed: { err: unknown; encrypted: boolean }[], ep: Endpoint): unknown {
  const primary = failed.find((f) => (f.err as { code?: unknown }).code === '28P01') ?? failed[failed.length - 1]!
  const mapped = mapError(primary.err, ep, primary.encrypted)
  const other = failed.find((f) => f !== primary && f.err instanceof pg.DatabaseError)
  if (!other || !(mapped instanceof ProbeError)) return mapped
  const also = mapError(other.err, ep, other.encrypted) as ProbeError
  return new ProbeError(mapped.reason, `${mapped.message}; ${other.encrypted ? 'with' : 'without'} TLS: ${also.message}`, mapped.info)
}

function mapError(err: unknown, ep: Endpoint, encrypted: boolean): unknown {
  if (err instanceof ProbeError) return err
  if (err instanceof pg.DatabaseError) {
    const sqlstate = err.code ?? 'unknown'
    const reason = AUTH_SQLSTATES.has(sqlstate) ? 'auth' : 'error'
    return new ProbeError(reason, `${err.message} (SQLSTATE ${sqlstate})`, { sqlstate, encrypted })
  }
  const message = (err as Error).message
  if (message === NO_SSL) return new ProbeError('tls', `the server does not support SSL connections (sslmode=${ep.sslmode})`)
  if (message === 'timeout expired') return new ProbeError('timeout', 'no connection within the probe timeout')
  return err
}

// ---------------------------------------------------------------- checking

async function inspect(client: pg.Client, svc: Service, left: () => number) {
  const e = svc.expect
  const stream = client.connection.stream
  const tls = stream instanceof TLSSocket ? stream.getProtocol() : null
  // One round trip: the read-only transaction, its time limit and SELECT 1.
  const results = (await client.query(
    `BEGIN READ ONLY; SET LOCAL statement_timeout = ${statementTimeout(left())}; ` +
      `SELECT 1 AS one, current_setting('server_version') AS server_version, current_database() AS database`,
  )) as unknown as pg.QueryResult[]
  const first = results[2]?.rows[0] as { one: number; server_version: string; database: string } | undefined
  if (first?.one !== 1) throw new ProbeError('error', 'SELECT 1 did not return 1')
  const info: Record<string, unknown> = { server_version: first.server_version, database: first.database, encrypted: tls !== null, ...(tls ? { tls_version: tls } : {}) }

  const checks: CheckResult[] = []
  if (e.schemas?.length) checks.push(...(await schemaChecks(client, e.schemas)))
  if (e.tables?.length) checks.push(...(await tableChecks(client, e.tables)))
  if (e.min_tables !== undefined) {
    const { rows } = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind IN ('r', 'p', 'f') AND NOT c.relispartition AND NOT ${SYSTEM_SCHEMA_SQL}`,
    )
    const n = rows[0]!.n
    checks.push({ name: 'min_tables', ok: n >= e.min_tables, detail: `${n} tables in non-system schemas (at least ${e.min_tables} expected)` })
    info.tables = n
  }
  let reason: 'timeout' | undefined
  if (e.query !== undefined) {
    const check = await queryCheck(client, e.query, left)
    checks.push(check)
    if (check.timedOut) reason = 'timeout'
    delete check.timedOut
  }
  await client.query('ROLLBACK').catch(() => {})
  return { checks, info, ...(reason ? { reason } : {}) }
}

/**
 * The server-side limit for one statement: what is left of the probe timeout,
 * less a margin for the cancellation to come back before the hard deadline.
 * It also ends the backend's work when the deadline wins and the socket is
 * simply destroyed (Postgres would not notice a vanished client mid-query).
 */
function statementTimeout(leftMs: number): number {
  return Math.max(1, Math.floor(leftMs - Math.max(100, leftMs * 0.2)))
}

async function schemaChecks(client: pg.Client, wanted: string[]): Promise<CheckResult[]> {
  const names = wanted.map((w) => (parseName(w) as string[])[0]!)
  const { rows } = await client.query<{ nspname: string }>(`SELECT nspname FROM pg_namespace WHERE lower(nspname) = ANY($1::text[])`, [names.map(lower)])
  const present = rows.map((r) => r.nspname)
  return wanted.map((written, i) => {
    const name = names[i]!
    const asWritten = (parseName(written, false) as string[])[0]!
    const found = present.find((p) => p === asWritten) ?? present.find((p) => p === name)
    if (found !== undefined) return { name: `schema:${written}`, ok: true, detail: `schema ${quoteIdent(found)} exists` }
    const near = present.filter((p) => lower(p) === lower(name))
    return { name: `schema:${written}`, ok: false, detail: `no schema ${quoteIdent(name)}${caseHint(near, written)}` }
  })
}

async function tableChecks(client: pg.Client, wanted: string[]): Promise<CheckResult[]> {
  const parsed = wanted.map((w) => parseName(w) as string[])
  const { rows } = await client.query<{ schema: string; table: string; kind: string; system: boolean }>(
    `SELECT n.nspname AS schema, c.relname AS table, c.relkind AS kind, ${SYSTEM_SCHEMA_SQL} AS system
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE lower(c.relname) = ANY($1::text[]) AND c.relkind IN ('r', 'p', 'f', 'v', 'm')
     ORDER BY n.nspname, c.relname`,
    [[...new Set(parsed.map((p) => lower(p[p.length - 1]!)))]],
  )
  return wanted.map((written, i) => {
    const parts = parsed[i]!
    const written_ = parseName(written, false) as string[]
    const table = parts[parts.length - 1]!
    const schema = parts.length === 2 ? parts[0] : undefined
    const tableNames = new Set([table, written_[written_.length - 1]!])
    const schemaNames = new Set([schema, written_.length === 2 ? written_[0] : undefined])
    // Qualified: that schema, system or not; unqualified: any non-system schema.
    const inScope = rows.filter((r) => (schema === undefined ? !r.system : schemaNames.has(r.schema)))
    const exact = inScope.filter((r) => tableNames.has(r.table))
    const tables = exact.filter((r) => TABLE_KINDS.has(r.kind))
    const shown = (r: { schema: string; table: string }) => `${quoteIdent(r.schema)}.${quoteIdent(r.table)}`
    const wantedShown = schema === undefined ? quoteIdent(table) : `${quoteIdent(schema)}.${quoteIdent(table)}`
    const name = `table:${written}`
    if (tables.length) return { name, ok: true, detail: `found ${tables.map(shown).join(', ')}` }
    const where = schema === undefined ? ' in any non-system schema' : ''
    const other = exact[0]
    if (other) return { name, ok: false, detail: `no table ${wantedShown}${where}: ${shown(other)} is a ${KIND_NAMES[other.kind] ?? other.kind}` }
    const near = inScope.filter((r) => TABLE_KINDS.has(r.kind) && lower(r.table) === lower(table)).map(shown)
    return { name, ok: false, detail: `no table ${wantedShown}${where}${caseHint(near, written)}` }
  })
}

/** Says why a name that differs only in case did not match. */
function caseHint(near: string[], written: string): string {
  if (!near.length) return ''
  const quoted = written.includes('"')
  return quoted
    ? ` (${near.join(', ')} exists: quoted names match case exactly)`
    : ` (${near.join(', ')} exists: an unquoted name matches as written or in lower case)`
}

async function queryCheck(client: pg.Client, sql: string, left: () => number): Promise<CheckResult & { timedOut?: boolean }> {
  const limit = statementTimeout(left())
  try {
    await client.query(`SELECT set_config('statement_timeout', $1, true)`, [String(limit)])
    // The extended protocol takes exactly one statement: `...; COMMIT; DELETE ...` is refused.
    const config = { text: sql, rowMode: 'array' as const, queryMode: 'extended' }
    const result = await client.query(config as pg.QueryArrayConfig)
    if (result.rows.length === 0) return { name: 'query', ok: false, detail: 'the query returned no rows' }
    const cell: unknown = result.rows[0]![0]
    return { name: 'query', ok: truthy(cell), detail: `first cell: ${show(cell)}` }
  } catch (err) {
    if (!(err instanceof pg.DatabaseError)) throw err
    const timedOut = err.code === '57014'
    const detail = `SQLSTATE ${err.code}: ${err.message}${timedOut ? ` (statement_timeout ${formatDuration(limit)}, within the probe timeout)` : ''}`
    return { name: 'query', ok: false, detail, timedOut }
  }
}

/** SQL-ish truth: NULL, false, 0, '' and 'f'/'false'/'no'/'off' are false. */
export function truthy(cell: unknown): boolean {
  if (cell === null || cell === undefined || cell === false) return false
  if (typeof cell === 'number') return cell !== 0 && !Number.isNaN(cell)
  if (typeof cell === 'bigint') return cell !== 0n
  if (typeof cell === 'string') {
    const s = cell.trim().toLowerCase()
    if (['', 'f', 'false', 'n', 'no', 'off'].includes(s)) return false
    return !(/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/.test(s) && Number(s) === 0)
  }
  return true
}

function show(cell: unknown): string {
  const text = cell instanceof Date ? cell.toISOString() : Buffer.isBuffer(cell) ? `<${cell.length} bytes>` : JSON.stringify(cell) ?? String(cell)
  return text.length > 80 ? `${text.slice(0, 77)}...` : text
}

// ---------------------------------------------------------------- identifiers

const ASCII_UPPER = /[A-Z]/g
/** Postgres folds unquoted identifiers to lower case, ASCII letters only. */
function fold(name: string): string {
  return name.replace(ASCII_UPPER, (c) => c.toLowerCase())
}
function lower(name: string): string {
  return name.toLowerCase()
}

/**
 * `core.users`, `"Meeting"`, `public."Meeting"`, `"odd.name"` → the parts as
 * Postgres stores them; or a message saying what is wrong.
 */
export function parseName(text: string, foldUnquoted = true): string[] | string {
  const parts: string[] = []
  let i = 0
  const s = text.trim()
  if (!s) return 'expected a name, got an empty string'
  while (i <= s.length) {
    if (s[i] === '"') {
      let part = ''
      i++
      for (;;) {
        if (i >= s.length) return `unterminated quote in "${text}"`
        if (s[i] === '"') {
          if (s[i + 1] === '"') {
            part += '"'
            i += 2
            continue
          }
          i++
          break
        }
        part += s[i++]
      }
      if (!part) return `empty quoted name in "${text}"`
      parts.push(part)
    } else {
      const m = /^[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*/.exec(s.slice(i))
      if (!m) return `expected a SQL name (letters, digits, _; or "quoted") in "${text}"`
      parts.push(foldUnquoted ? fold(m[0]) : m[0])
      i += m[0].length
    }
    if (i === s.length) return parts
    if (s[i] !== '.') return `unexpected "${s[i]}" in "${text}"`
    i++
  }
  return parts
}

function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`
}
