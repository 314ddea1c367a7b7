// Throwaway databases on the machine's real PostgreSQL (127.0.0.1:5432,
// trust auth) and temp directories, all removed by `cleanup`.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'

export interface Scratch {
  /** A new, empty database with a unique name. */
  newDb(): Promise<string>
  url(db: string): string
  withClient<T>(db: string, fn: (client: pg.Client) => Promise<T>): Promise<T>
  /** A new temp directory holding `files` (name → content). */
  newDir(files?: Record<string, string>): string
  /** Drops every database and removes every directory made here. */
  cleanup(): Promise<void>
}

export function scratch(prefix: string): Scratch {
  const base = `gt_mig_${prefix}_${randomBytes(4).toString('hex')}`
  const databases: string[] = []
  const dirs: string[] = []
  const url = (db: string) => `postgres://postgres@127.0.0.1:5432/${db}`
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
    newDir(files = {}) {
      const dir = mkdtempSync(join(tmpdir(), `gt-${prefix}-`))
      dirs.push(dir)
      for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body)
      return dir
    },
    async cleanup() {
      for (const db of databases) await withClient('postgres', (c) => c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`))
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
    },
  }
}
