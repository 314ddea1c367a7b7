// Checks against the catalog: schemas and tables that must exist, and a
// minimum number of tables. Names in expect.schemas / expect.tables (see
// names.ts): an unquoted name matches the table of exactly that name or its
// lower-case fold, so SPEC's `tables: [users, "Meeting"]` (YAML drops those
// quotes) finds Prisma's "Meeting", and `CORE.Users` finds core.users. A table
// written `schema.table` must be in that schema; an unqualified one may be in
// any non-system schema (not pg_*, not information_schema), whatever the
// search_path. A "table" is an ordinary, partitioned or foreign table; a view
// of that name does not count (the detail says so). min_tables counts those
// in non-system schemas, partitions not counted apart from their parent.
// Needs PostgreSQL 10 or later (pg_class.relispartition).
import type pg from 'pg'
import type { CheckResult } from '../../src/probe.js'
import { lower, parseName, showIdent } from './names.js'

/** Relation kinds that count as tables: ordinary, partitioned, foreign. */
const TABLE_KINDS = new Set(['r', 'p', 'f'])
const KIND_NAMES: Record<string, string> = { r: 'table', p: 'partitioned table', f: 'foreign table', v: 'view', m: 'materialized view' }
/** Schemas that are Postgres' own (user schemas may not start with pg_). */
const SYSTEM_SCHEMA_SQL = `(n.nspname LIKE 'pg\\_%' OR n.nspname = 'information_schema')`

export async function schemaChecks(client: pg.Client, wanted: string[]): Promise<CheckResult[]> {
  const names = wanted.map((w) => (parseName(w) as string[])[0]!)
  const { rows } = await client.query<{ nspname: string }>(`SELECT nspname FROM pg_namespace WHERE lower(nspname) = ANY($1::text[])`, [names.map(lower)])
  const present = rows.map((r) => r.nspname)
  return wanted.map((written, i) => {
    const name = names[i]!
    const asWritten = (parseName(written, false) as string[])[0]!
    const found = present.find((p) => p === asWritten) ?? present.find((p) => p === name)
    if (found !== undefined) return { name: `schema:${written}`, ok: true, detail: `schema ${showIdent(found)} exists` }
    const near = present.filter((p) => lower(p) === lower(name))
    return { name: `schema:${written}`, ok: false, detail: `no schema ${showIdent(name)}${caseHint(near, written)}` }
  })
}

export async function tableChecks(client: pg.Client, wanted: string[]): Promise<CheckResult[]> {
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
    const shown = (r: { schema: string; table: string }) => `${showIdent(r.schema)}.${showIdent(r.table)}`
    const wantedShown = schema === undefined ? showIdent(table) : `${showIdent(schema)}.${showIdent(table)}`
    const name = `table:${written}`
    if (tables.length) return { name, ok: true, detail: `found ${tables.map(shown).join(', ')}` }
    const where = schema === undefined ? ' in any non-system schema' : ''
    const other = exact[0]
    if (other) return { name, ok: false, detail: `no table ${wantedShown}${where}: ${shown(other)} is a ${KIND_NAMES[other.kind] ?? other.kind}` }
    const near = inScope.filter((r) => TABLE_KINDS.has(r.kind) && lower(r.table) === lower(table)).map(shown)
    return { name, ok: false, detail: `no table ${wantedShown}${where}${caseHint(near, written)}` }
  })
}

/** The check, and the count itself (a fact for /status). */
export async function minTablesCheck(client: pg.Client, min: number): Promise<{ check: CheckResult; tables: number }> {
  const { rows } = await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p', 'f') AND NOT c.relispartition AND NOT ${SYSTEM_SCHEMA_SQL}`,
  )
  const n = rows[0]!.n
  return { check: { name: 'min_tables', ok: n >= min, detail: `${n} tables in non-system schemas (at least ${min} expected)` }, tables: n }
}

/** Says why a name that differs only in case did not match. */
function caseHint(near: string[], written: string): string {
  if (!near.length) return ''
  const quoted = written.includes('"')
  return quoted
    ? ` (${near.join(', ')} exists: quoted names match case exactly)`
    : ` (${near.join(', ')} exists: an unquoted name matches as written or in lower case)`
}
