// Finding a tool's history table the way the tool itself finds it, and
// reading it: one lookup for every reader. Names are always quoted (with
// pg's escapeIdentifier): a custom table or schema may be mixed-case.
import type pg from 'pg'

export interface HistoryTable {
  /** Schema-qualified and quoted, ready for a FROM clause. */
  name: string
  /** pg_class oid, for catalog questions about it (its columns). */
  oid: string
}

/**
 * The table, or null when it does not exist. Without a schema the name is
 * resolved through the search_path, as an unqualified name in the tool's
 * own SQL is (`to_regclass` of the quoted identifier). Any relation a SELECT
 * can read counts (a view over a renamed table too).
 */
export async function findHistoryTable(client: pg.Client, table: string, schema?: string): Promise<HistoryTable | null> {
  const quoted = schema === undefined ? client.escapeIdentifier(table) : `${client.escapeIdentifier(schema)}.${client.escapeIdentifier(table)}`
  const res = await client.query<{ oid: string; schema: string }>(
    `SELECT c.oid::text AS oid, n.nspname AS schema FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE c.oid = to_regclass($1) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')`,
    [quoted],
  )
  const row = res.rows[0]
  return row ? { name: `${client.escapeIdentifier(row.schema)}.${client.escapeIdentifier(table)}`, oid: row.oid } : null
}

/** The rows `select` reads from the table; none, and a note, when it is absent: nothing applied. */
export async function readHistory<R>(
  client: pg.Client,
  where: { table: string; schema?: string },
  notes: string[],
  select: (table: HistoryTable) => Promise<R[]>,
): Promise<R[]> {
  const found = await findHistoryTable(client, where.table, where.schema)
  if (found) return select(found)
  notes.push(`history table ${where.schema === undefined ? '' : `${where.schema}.`}${where.table} absent: nothing applied`)
  return []
}

/** The connection's current schema: where Flyway and golang-migrate keep their table when none is configured (they qualify the name with it). */
export async function currentSchema(client: pg.Client): Promise<string> {
  const res = await client.query<{ schema: string | null }>('SELECT current_schema() AS schema')
  return res.rows[0]?.schema ?? 'public'
}
