// expect.query: the user's SQL, run read-only inside the probe's transaction,
// through the extended protocol (exactly one statement: `...; COMMIT;
// DELETE ...` is refused), with a statement_timeout inside the probe
// timeout. Its first cell must be truthy.
import type pg from 'pg'
import { formatDuration } from '../../src/duration.js'
import type { CheckResult } from '../../src/probe.js'
import { isDatabaseError } from './connect.js'

/**
 * The server-side limit for one statement: what is left of the probe timeout,
 * less a margin for the cancellation to come back before the hard deadline.
 * It also ends the backend's work when the deadline wins and the socket is
 * simply destroyed (Postgres would not notice a vanished client mid-query).
 */
export function statementTimeout(leftMs: number): number {
  return Math.max(1, Math.floor(leftMs - Math.max(100, leftMs * 0.2)))
}

/** The check, and whether the statement_timeout cut it (the run's reason is then `timeout`). */
export async function queryCheck(client: pg.Client, sql: string, left: () => number): Promise<{ check: CheckResult; timedOut: boolean }> {
  const limit = statementTimeout(left())
  try {
    await client.query(`SELECT set_config('statement_timeout', $1, true)`, [String(limit)])
    const config = { text: sql, rowMode: 'array' as const, queryMode: 'extended' }
    const result = await client.query(config as pg.QueryArrayConfig)
    if (result.rows.length === 0) return { check: { name: 'query', ok: false, detail: 'the query returned no rows' }, timedOut: false }
    const cell: unknown = result.rows[0]![0]
    return { check: { name: 'query', ok: truthy(cell), detail: firstCell(cell) }, timedOut: false }
  } catch (err) {
    if (!isDatabaseError(err)) throw err
    const timedOut = err.code === '57014'
    const detail = `SQLSTATE ${err.code}: ${err.message}${timedOut ? ` (statement_timeout ${formatDuration(limit)}, within the probe timeout)` : ''}`
    return { check: { name: 'query', ok: false, detail }, timedOut }
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

/** The check's detail as a sentence: "the query's first cell was false", "… was "0", which counts as false". */
export function firstCell(cell: unknown): string {
  const ok = truthy(cell)
  const counts = typeof cell === 'boolean' ? '' : `, which counts as ${ok}`
  return `the query's first cell was ${show(cell)}${counts}`
}

function show(cell: unknown): string {
  const text = cell instanceof Date ? cell.toISOString() : Buffer.isBuffer(cell) ? `<${cell.length} bytes>` : JSON.stringify(cell) ?? String(cell)
  return text.length > 80 ? `${text.slice(0, 77)}...` : text
}
