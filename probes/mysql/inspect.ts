// What the probe asks the server. First one statement that only reads,
// outside any transaction: SELECT 1 and the server's facts (what max_latency
// measures). Then, only when tables or a query are expected, the session is
// made read-only and one READ ONLY transaction holds the checks, rolled back
// at the end. The session-wide `SET SESSION TRANSACTION READ ONLY` matters:
// DDL commits implicitly, so `DROP TABLE` inside a READ ONLY transaction
// would end it and run (MariaDB 10.11 does exactly that); with the session
// read-only, the implicit transaction after that commit is read-only too,
// and the statement is refused (ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION).
// The time limit is per flavour (read from VERSION()): MariaDB's
// max_statement_time (seconds, every statement), MySQL's max_execution_time
// (milliseconds, SELECTs).
import { formatDuration } from '../../src/duration.js'
import { ProbeError, type CheckResult } from '../../src/probe.js'
import { firstCell, statementTimeout, truthy } from '../postgres/query.js'
import { describeServerError, isServerError, TIMEOUT_ERRNOS, type Session } from './connect.js'
import { parseTableName, showIdent, type Expect } from './settings.js'

export interface ServerFacts {
  version: string
  flavour: 'mariadb' | 'mysql'
  /** DATABASE(): the URL's database, if it names one. */
  database?: string
  /** `@@global.read_only` (0/1, or OFF/ON/NO_LOCK… on newer MariaDB), read as a boolean. */
  readOnly: boolean
  /** 0: table and database names compare case-sensitively; 1 or 2: case-insensitively. */
  lowerCaseTableNames: number
}

/** Table types that count as a table (MariaDB's system-versioned tables are tables). */
const TABLE_TYPES = new Set(['BASE TABLE', 'SYSTEM VERSIONED'])
/** MYSQL_TYPE_BIT: a bit field arrives as bytes, and b'0' must read as false. */
const BIT = 16

type Result = Awaited<ReturnType<Session['query']>>

function rowsOf(result: Result): unknown[][] {
  return Array.isArray(result.rows) ? (result.rows as unknown[][]) : []
}

/** SELECT 1 with the server's facts: version, database, read_only. */
export async function hello(session: Session): Promise<ServerFacts> {
  const result = await session.query('SELECT 1, VERSION(), DATABASE(), @@global.read_only, @@lower_case_table_names')
  const row = rowsOf(result)[0]
  if (!row || Number(row[0]) !== 1) throw new ProbeError('error', 'SELECT 1 did not return 1')
  const version = String(row[1])
  return {
    version,
    flavour: /mariadb/i.test(version) ? 'mariadb' : 'mysql',
    ...(typeof row[2] === 'string' ? { database: row[2] } : {}),
    readOnly: truthy(row[3]),
    lowerCaseTableNames: Number(row[4]) || 0,
  }
}

/** Each configured expectation's check, in the order checkNames lists them; `timedOut` when the time limit cut the query. */
export async function runChecks(session: Session, e: Expect, facts: ServerFacts, left: () => number): Promise<{ checks: CheckResult[]; timedOut: boolean }> {
  const checks: CheckResult[] = []
  const inTransaction = (e.tables?.length ?? 0) > 0 || e.query !== undefined
  let limit = 0
  if (inTransaction) {
    await session.query('SET SESSION TRANSACTION READ ONLY')
    limit = statementTimeout(left())
    const setLimit = facts.flavour === 'mariadb' ? `SET SESSION max_statement_time = ${(limit / 1000).toFixed(3)}` : `SET SESSION max_execution_time = ${limit}`
    // A server without the variable (MySQL before 5.7.8, MariaDB before 10.1): the probe timeout alone bounds the query.
    await session.query(setLimit).catch((err: unknown) => {
      if (!isServerError(err)) throw err
      limit = 0
    })
    await session.query('START TRANSACTION READ ONLY')
  }
  for (const written of e.tables ?? []) checks.push(await tableCheck(session, written, facts))
  if (e.read_only !== undefined) checks.push(readOnlyCheck(e.read_only, facts))
  let timedOut = false
  if (e.query !== undefined) {
    const ran = await queryCheck(session, e.query, facts, limit)
    checks.push(ran.check)
    timedOut = ran.timedOut
  }
  if (inTransaction) await session.query('ROLLBACK').catch(() => {})
  return { checks, timedOut }
}

function readOnlyCheck(wanted: boolean, facts: ServerFacts): CheckResult {
  const says = (readOnly: boolean) => (readOnly ? 'read-only' : 'writable')
  return { name: 'read_only', ok: facts.readOnly === wanted, detail: `${says(facts.readOnly)} (@@global.read_only), expected ${says(wanted)}` }
}

/**
 * `table:<name>`: `db.table` in that database, `table` in the URL's. Names
 * compare as the server compares them (lower_case_table_names); a table
 * found in another case, or a view of that name, fails and says so.
 * information_schema shows only what the user has some privilege on.
 */
async function tableCheck(session: Session, written: string, facts: ServerFacts): Promise<CheckResult> {
  const name = `table:${written}`
  const parts = parseTableName(written) as string[]
  const table = parts[parts.length - 1]!
  const database = parts.length === 2 ? parts[0]! : facts.database
  if (database === undefined) return { name, ok: false, detail: `the URL names no database to look for ${showIdent(table)} in: write it as database.table` }
  const wanted = `${showIdent(database)}.${showIdent(table)}`
  const found = rowsOf(await session.query('SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [database, table])).map(([schema, tableName, type]) => ({ schema: String(schema), table: String(tableName), type: String(type) }))
  const same = (a: string, b: string) => (facts.lowerCaseTableNames === 0 ? a === b : a.toLowerCase() === b.toLowerCase())
  const matching = found.filter((r) => same(r.schema, database) && same(r.table, table))
  const shown = (r: { schema: string; table: string }) => `${showIdent(r.schema)}.${showIdent(r.table)}`
  const isTable = matching.find((r) => TABLE_TYPES.has(r.type))
  if (isTable) return { name, ok: true, detail: `found ${shown(isTable)}` }
  const other = matching[0]
  if (other) return { name, ok: false, detail: `no table ${wanted}: ${shown(other)} is a ${other.type.toLowerCase()}` }
  // Not found: a table of that name in another case, in that database (names compare case-sensitively here).
  const near = found.length
    ? found
    : rowsOf(await session.query('SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND LOWER(TABLE_NAME) = LOWER(?)', [database, table])).map(
        ([schema, tableName]) => ({ schema: String(schema), table: String(tableName) }),
      )
  if (near.length) return { name, ok: false, detail: `no table ${wanted} (${near.map(shown).join(', ')} exists: names are case-sensitive on this server, lower_case_table_names=0)` }
  return { name, ok: false, detail: `no table ${wanted} (or this user may not see it)` }
}

/** The user's statement: its first cell must be truthy. A server error fails the check (not the run). */
async function queryCheck(session: Session, sql: string, facts: ServerFacts, limit: number): Promise<{ check: CheckResult; timedOut: boolean }> {
  try {
    const result = await session.query(sql)
    // Several result sets (a CALL): the first one.
    const multi = Array.isArray(result.fields) && Array.isArray(result.fields[0])
    const rows = multi ? ((result.rows as unknown[])[0] as unknown[][]) : rowsOf(result)
    const fields = (multi ? (result.fields as unknown[])[0] : result.fields) as { columnType?: number }[] | undefined
    if (!fields) return { check: { name: 'query', ok: false, detail: 'the statement returned no result set' }, timedOut: false }
    if (rows.length === 0) return { check: { name: 'query', ok: false, detail: 'the query returned no rows' }, timedOut: false }
    let cell: unknown = rows[0]![0]
    if (Buffer.isBuffer(cell) && fields[0]?.columnType === BIT) cell = cell.length === 0 ? 0 : cell.length <= 6 ? cell.readUIntBE(0, cell.length) : cell.some((b) => b !== 0)
    return { check: { name: 'query', ok: truthy(cell), detail: firstCell(cell) }, timedOut: false }
  } catch (err) {
    if (!isServerError(err)) throw err
    const timedOut = TIMEOUT_ERRNOS.has(err.errno)
    const variable = facts.flavour === 'mariadb' ? 'max_statement_time' : 'max_execution_time'
    const why = timedOut && limit > 0 ? `${variable} ${formatDuration(limit)}, within the probe timeout` : undefined
    return { check: { name: 'query', ok: false, detail: describeServerError(err, why) }, timedOut }
  }
}
