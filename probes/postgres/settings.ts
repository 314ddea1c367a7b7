// The postgres kind's settings: the URL (with libpq's sslmode and
// sslrootcert, checked at load), the CA, the expectations and the migration
// histories to read.
import { readFileSync } from 'node:fs'
import { z } from 'zod'
import { expectations } from '../../src/settings/fields.js'
import { urlWith } from '../lib/target.js'
import { tlsSettings } from '../lib/tls.js'
import { migrationsSetting } from './migrations/read.js'
import { parseName } from './names.js'

export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'no-verify', 'verify-ca', 'verify-full'] as const
export type SslMode = (typeof SSL_MODES)[number]

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

export const settings = {
  url: postgresUrl,
  /** Only the CA: sslmode in the URL says whether and how much to verify. */
  tls: tlsSettings.pick({ ca_file: true }).optional(),
  /** `max_latency` is connecting, logging in and `SELECT 1` (the checks and migrations not included). */
  expect: expectations({
    schemas: unique(schemaName, 'schema').optional(),
    tables: unique(tableName, 'table').optional(),
    min_tables: z.int().nonnegative().optional(),
    /** SQL whose first cell must be truthy, run read-only. */
    query: z.string().trim().min(1).optional(),
  }).prefault({}),
  /** Migration history to compare with the code: `{ tool, dir, table?, schema? }` or a list. */
  migrations: migrationsSetting.optional(),
}

export type Service = z.infer<z.ZodObject<typeof settings>>
export type Expect = Service['expect']
