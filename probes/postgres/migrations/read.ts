// The `migrations:` setting of a postgres service and running its readers
// over the probe's connection.
import { resolve } from 'node:path'
import type pg from 'pg'
import { z } from 'zod'
import { describeError } from '../classify.js'
import { MIGRATION_READERS } from './index.js'
import { emptyStatus, MIGRATION_TOOLS, type MigrationSpec, type MigrationStatus } from './types.js'

const spec = z.strictObject({
  tool: z.enum(MIGRATION_TOOLS),
  dir: z.string().min(1),
  table: z.string().min(1).optional(),
  schema: z.string().min(1).optional(),
})

/** One entry or a list; one entry per tool, since `tool` is the metrics' label. */
export const migrationsSetting = z
  .union([spec, z.array(spec).min(1)])
  .transform((value) => (Array.isArray(value) ? value : [value]))
  .refine((list) => new Set(list.map((m) => m.tool)).size === list.length, 'expected each tool once per service (tool is the label of the migration metrics)')

/** Each tool's status; a reader that fails yields its error, not a crash and not zeros that look healthy. */
export async function readMigrations(client: pg.Client, specs: MigrationSpec[], baseDir: string): Promise<MigrationStatus[]> {
  const out: MigrationStatus[] = []
  // One after another: they share the probe's single connection.
  for (const s of specs) {
    try {
      out.push(await MIGRATION_READERS.get(s.tool)!.read(client, { ...s, dir: resolve(baseDir, s.dir) }))
    } catch (err) {
      out.push({ ...emptyStatus(s.tool), error: describeError(err) })
    }
  }
  return out
}
