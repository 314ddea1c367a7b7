// Everything the probe asks the server runs in one READ ONLY transaction:
// SELECT 1 and the server's facts, then each configured check (catalog.ts,
// query.ts); the transaction is rolled back.
import { TLSSocket } from 'node:tls'
import type pg from 'pg'
import { ProbeError, type CheckResult } from '../../src/probe.js'
import { minTablesCheck, schemaChecks, tableChecks } from './catalog.js'
import { isDatabaseError } from './connect.js'
import { queryCheck, statementTimeout } from './query.js'
import type { Expect } from './settings.js'

/** Opens the transaction, with its time limit and SELECT 1 in one round trip; the facts of the session. */
export async function beginReadOnly(client: pg.Client, left: () => number): Promise<Record<string, unknown>> {
  const stream = client.connection.stream
  const tls = stream instanceof TLSSocket ? stream.getProtocol() : null
  const results = (await client.query(
    `BEGIN READ ONLY; SET LOCAL statement_timeout = ${statementTimeout(left())}; ` +
      `SELECT 1 AS one, current_setting('server_version') AS server_version, current_database() AS database`,
  )) as unknown as pg.QueryResult[]
  const first = results[2]?.rows[0] as { one: number; server_version: string; database: string } | undefined
  if (first?.one !== 1) throw new ProbeError('error', 'SELECT 1 did not return 1')
  return { server_version: first.server_version, database: first.database, encrypted: tls !== null, ...(tls ? { tls_version: tls } : {}) }
}

/** Each configured expectation's check, in the order checkNames lists them; `tables` when min_tables counted them. */
export async function runChecks(client: pg.Client, e: Expect, left: () => number): Promise<{ checks: CheckResult[]; timedOut: boolean; tables?: number }> {
  const checks: CheckResult[] = []
  if (e.schemas?.length) checks.push(...(await schemaChecks(client, e.schemas)))
  if (e.tables?.length) checks.push(...(await tableChecks(client, e.tables)))
  let tables: number | undefined
  if (e.min_tables !== undefined) {
    const counted = await minTablesCheck(client, e.min_tables)
    checks.push(counted.check)
    tables = counted.tables
  }
  let timedOut = false
  if (e.query !== undefined) {
    const ran = await queryCheck(client, e.query, left)
    checks.push(ran.check)
    timedOut = ran.timedOut
  }
  await client.query('ROLLBACK').catch(() => {})
  return { checks, timedOut, ...(tables !== undefined ? { tables } : {}) }
}

/**
 * A server error during the checks as the probe's failure: the catalog
 * queries are read-only and cheap, so failing means no time was left, or a
 * server problem.
 */
export function checkFailure(err: unknown): unknown {
  if (!isDatabaseError(err)) return err
  if (err.code === '57014') return new ProbeError('timeout', `no answer within the probe timeout (${err.message})`, { sqlstate: err.code })
  return new ProbeError('error', `${err.message} (SQLSTATE ${err.code ?? 'unknown'})`, { sqlstate: err.code })
}
