// The one harness of the migration tests: throwaway databases on the
// machine's real PostgreSQL (127.0.0.1:5432, trust auth) and temp
// directories, all removed by `cleanup`; a tool's status read as the probe
// reads it (the tool's reader, then the shared comparison); and the
// assertions on a status.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import type { Test } from 'tap'
import { readMigration } from '../../probes/postgres/migrations/read.js'
import type { MigrationToolName } from '../../probes/postgres/migrations/index.js'
import type { MigrationSpec, MigrationStatus } from '../../probes/postgres/migrations/types.js'

export interface Scratch {
  /** A new, empty database with a unique name. */
  newDb(): Promise<string>
  /** Its URL, for the tools themselves (postgresql://, which SQLAlchemy also takes). */
  url(db: string): string
  /** A fresh connection for `fn`, ended after it. */
  withClient<T>(db: string, fn: (client: pg.Client) => Promise<T>): Promise<T>
  /** Setup SQL over one connection per database kept for the whole file (session settings persist). */
  sql(db: string, text: string, params?: unknown[]): Promise<pg.QueryResult>
  /** A new temp directory holding `files` (name → content). */
  newDir(files?: Record<string, string>): string
  /** The tool's status, over a fresh connection, as the probe reads it. */
  read(db: string, spec: MigrationSpec): Promise<MigrationStatus>
  /** Ends the connections, drops every database and removes every directory made here. */
  cleanup(): Promise<void>
}

export function scratch(prefix: string): Scratch {
  const base = `gt_mig_${prefix.replace(/\W/g, '_')}_${randomBytes(4).toString('hex')}`
  const databases: string[] = []
  const dirs: string[] = []
  const kept = new Map<string, pg.Client>()
  const url = (db: string) => `postgresql://postgres@127.0.0.1:5432/${db}`
  const withClient = async <T>(db: string, fn: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: url(db) })
    await client.connect()
    try {
      return await fn(client)
    } finally {
      await client.end()
    }
  }
  return {
    url,
    withClient,
    async newDb() {
      const name = `${base}_${databases.length}`
      await withClient('postgres', (c) => c.query(`CREATE DATABASE ${name}`))
      databases.push(name)
      return name
    },
    async sql(db, text, params = []) {
      let client = kept.get(db)
      if (!client) {
        client = new pg.Client({ connectionString: url(db) })
        kept.set(db, client)
        await client.connect()
      }
      return client.query(text, params)
    },
    newDir(files = {}) {
      const dir = mkdtempSync(join(tmpdir(), `gt-${prefix}-`))
      dirs.push(dir)
      for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body)
      return dir
    },
    read: (db, spec) => withClient(db, (c) => readMigration(c, spec)),
    async cleanup() {
      for (const client of kept.values()) await client.end()
      for (const db of databases) await withClient('postgres', (c) => c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`))
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
    },
  }
}

// ---------------------------------------------------------------- assertions

/** No pending, failed, unknown or edited names. */
export const none: MigrationStatus['names'] = { pending: [], failed: [], unknown: [], checksumMismatch: [] }

/** `none` with some lists filled in. */
export function names(some: Partial<MigrationStatus['names']>): MigrationStatus['names'] {
  return { ...none, ...some }
}

export type Expect = Omit<MigrationStatus, 'tool' | 'notes' | 'lastAppliedAt' | 'dirReadable'> & { lastApplied: boolean; dirReadable?: boolean }

/** The whole status, field by field, so that a failure names the field that is wrong (lastAppliedAt: its presence). */
export function expectStatus(t: Test, tool: MigrationToolName, s: MigrationStatus, e: Expect): void {
  t.equal(s.tool, tool)
  t.equal(s.applied, e.applied, 'applied')
  t.equal(s.available, e.available, 'available')
  t.equal(s.pending, e.pending, 'pending')
  t.equal(s.failed, e.failed, 'failed')
  t.equal(s.unknown, e.unknown, 'unknown')
  t.equal(s.checksumMismatch, e.checksumMismatch, 'checksumMismatch')
  t.equal(s.heads, e.heads, 'heads')
  t.equal(s.current, e.current, 'current')
  t.equal(s.lastAppliedAt !== undefined, e.lastApplied, 'lastAppliedAt presence')
  t.equal(s.dirReadable, e.dirReadable ?? true, 'dirReadable')
  t.same(s.names, e.names, 'names')
}

/** One tool's `read` (a directory and the history table's place) and its field-by-field `check`. */
export function toolOf(scratchDb: Scratch, tool: MigrationToolName) {
  return {
    read: (db: string, dir: string, where: { table?: string; schema?: string } = {}) => scratchDb.read(db, { tool, dir, ...where }),
    check: (t: Test, s: MigrationStatus, e: Expect) => expectStatus(t, tool, s, e),
  }
}

/** The status without its notes, for a t.strictSame of everything else (notes are matched on their own). */
export function withoutNotes(s: MigrationStatus): Omit<MigrationStatus, 'notes'> {
  const { notes: _notes, ...rest } = s
  return rest
}

/** Whole expected statuses of one tool: zero counts, no names, a readable directory, then `defaults`, then each case's fields. */
export function statusOf(tool: MigrationToolName, defaults: Partial<MigrationStatus>) {
  return (fields: Partial<MigrationStatus>): Omit<MigrationStatus, 'notes'> => ({
    tool,
    applied: 0,
    available: 0,
    pending: 0,
    failed: 0,
    unknown: 0,
    checksumMismatch: 0,
    heads: 0,
    names: none,
    dirReadable: true,
    ...defaults,
    ...fields,
  })
}
