// The configuration's shape (SPEC §2). Keys common to every service live
// here; each probe kind adds its own through its `settings`.
import cron from 'node-cron'
import { z } from 'zod'
import { containerSetting } from '../settings/container.js'
import { duration } from '../settings/fields.js'
import { ENV_FINDINGS, MIGRATION_FINDINGS } from '../settings/findings.js'

export const SERVICE_NAME = /^[a-z0-9_-]+$/
/** A name is a label value on every series: long enough for any real name, bounded for Prometheus. */
export const MAX_NAME_LENGTH = 128

export const cronSchedule = z.string().superRefine((expr, ctx) => {
  const result = cron.validateDetailed(expr)
  if (!result.valid) {
    // Which field is wrong, never its text: the value may be a misplaced secret.
    const why = result.errors.map((e) => (e.field === 'expression' ? e.message : `the ${e.field} field is invalid`)).join('; ')
    ctx.addIssue({ code: 'custom', message: `expected a cron expression such as "*/5 * * * *" (${why})` })
  }
})

export const baseServiceShape = {
  name: z
    .string()
    .max(MAX_NAME_LENGTH, `expected a name of at most ${MAX_NAME_LENGTH} characters`)
    .regex(SERVICE_NAME, 'expected a name of lower-case letters, digits, "_" and "-"'),
  group: z.string().min(1).default('default'),
  probe: z.string(),
  interval: duration.optional(),
  schedule: cronSchedule.optional(),
  timeout: duration.optional(),
  depends_on: z.array(z.string().max(MAX_NAME_LENGTH, `expected a service name of at most ${MAX_NAME_LENGTH} characters`)).default([]),
  critical: z.boolean().default(false),
  description: z.string().optional(),
  needs_env: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name')).default([]),
  /** The container the service runs in, judged with its own probe (SPEC §2). */
  container: containerSetting.optional(),
  failure_threshold: z.int().min(1).max(1000).default(1),
  success_threshold: z.int().min(1).max(1000).default(1),
}

const envSource = z
  .strictObject({
    file: z.string().optional(),
    example: z.string().optional(),
    source: z.literal('process').optional(),
    required: z.array(z.string()).default([]),
    environment: z.string().optional(),
  })
  .refine((s) => (s.file === undefined) !== (s.source === undefined), 'expected exactly one of "file" or "source: process"')

export const topLevelSchema = z.strictObject({
  defaults: z
    .strictObject({
      interval: duration.prefault('30s'),
      timeout: duration.prefault('5s'),
    })
    .prefault({}),
  /** Probes running at once at most; the rest wait their turn. */
  concurrency: z.int().min(1).max(1000).default(16),
  environment: z.string().min(1).default('production'),
  services: z.array(z.unknown()).default([]),
  env: z.array(envSource).default([]),
  /** The container engine (Docker, or Podman's Docker-compatible API). */
  docker: z.strictObject({ host: z.string().min(1).optional() }).prefault({}),
  /** Links out from the page and the alerts: a Grafana dashboard, the runbook the alerts point to. */
  links: z
    .strictObject({
      grafana: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional(),
      runbooks: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional(),
    })
    .prefault({}),
  gates: z
    .strictObject({
      min_ready_ratio: z.number().min(0).max(1).default(1),
      /** Env finding kinds that fail the verdict wherever they are; default by environment (see gateDefaults). */
      env: z.array(z.enum(ENV_FINDINGS)).optional(),
      /** Migration finding kinds that fail the verdict wherever they are. */
      migrations: z.array(z.enum(MIGRATION_FINDINGS)).optional(),
    })
    .prefault({}),
})

export type TopLevel = z.infer<typeof topLevelSchema>
export type EnvSourceConfig = TopLevel['env'][number]
