// SQL helpers the migration readers share.
import type pg from 'pg'

/** A Postgres identifier, always quoted: custom table and schema names may be mixed-case. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`
}

/** Whether schema.table exists (any relation a SELECT can read), without touching search_path. */
export async function tableExists(client: pg.Client, schema: string, table: string): Promise<boolean> {
  const r = await client.query(
    `SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')`,
    [schema, table],
  )
  return (r.rowCount ?? 0) > 0
}
