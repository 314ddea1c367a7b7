// The `migrations:` setting of a postgres service and running its readers
// over the probe's connection, each through the shared comparison.
import { resolve } from 'node:path'
import type pg from 'pg'
import { z } from 'zod'
import { describeError } from '../../../src/classify.js'
import { compare } from './compare.js'
import { MIGRATION_READERS, MIGRATION_TOOLS } from './index.js'
import { MIGRATION_FINDINGS } from '../../../src/settings/findings.js'
import type { MigrationSpec, MigrationStatus } from './types.js'

const spec = z.strictObject({
  tool: z.enum(MIGRATION_TOOLS),
  dir: z.string().min(1),
  table: z.string().min(1).optional(),
  schema: z.string().min(1).optional(),
  /** The finding kinds that keep the service from ready (default all: pending, failed, unknown, branched). */
  fail_on: z.array(z.enum(MIGRATION_FINDINGS)).optional(),
})

/**
 * One entry or a list; one entry per tool, since `tool` is the metrics' label.
 * The form is chosen first, so a mistake is reported inside the entry the user
 * wrote (`migrations.fail_on[1]`) rather than as "expected array".
 */
export const migrationsSetting = z
  .unknown()
  .transform((value, ctx) => {
    const parsed = Array.isArray(value) ? z.array(spec).min(1).safeParse(value) : spec.safeParse(value)
    if (!parsed.success) {
      for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path })
      return z.NEVER
    }
    return Array.isArray(parsed.data) ? parsed.data : [parsed.data]
  })
  .refine((list) => new Set(list.map((m) => m.tool)).size === list.length, 'expected each tool once per service (tool is the label of the migration metrics)')

/** One tool's status: what its reader found, compared. `spec.dir` is absolute. */
export async function readMigration(client: pg.Client, spec: MigrationSpec): Promise<MigrationStatus> {
  return compare(spec.tool, await MIGRATION_READERS.get(spec.tool)!.read(client, spec))
}

/** Each tool's status; a reader that fails yields its error, not a crash and not zeros that look healthy. */
export async function readMigrations(client: pg.Client, specs: MigrationSpec[], baseDir: string): Promise<MigrationStatus[]> {
  const out: MigrationStatus[] = []
  // One after another: they share the probe's single connection.
  for (const s of specs) {
    try {
      out.push(await readMigration(client, { ...s, dir: resolve(baseDir, s.dir) }))
    } catch (err) {
      // The counts of nothing found, marked as not measured.
      out.push({ ...compare(s.tool, { disk: [], history: [], notes: [] }), error: describeError(err) })
    }
  }
  return out
}
