// What a connected run checks: the server's role from `hello`, databases
// (listDatabases nameOnly), collections (listCollections nameOnly per
// database) and the replica set's member health (replSetGetStatus). Each list
// command is filtered to the names expected, so its answer stays small. A
// command the server refuses fails its checks with the server's words; the
// reason is then `auth` (not authorized) or `error`, never `expectation`,
// which is kept for "not there".
import type { Db, Document, MongoClient } from 'mongodb'
import { z } from 'zod'
import type { CheckResult, Reason } from '../../src/probe.js'
import { expectations } from '../../src/settings/fields.js'
import { configured } from '../lib/checks.js'
import { BAD_DB_NAME, DB_NAME_RULE } from './url.js'

export const ROLES = ['primary', 'secondary', 'standalone', 'mongos'] as const
/** What `hello` says a server is; `other` is a member in none of the settled states (startup, recovering, removed). */
export type Role = (typeof ROLES)[number] | 'arbiter' | 'other'

const databaseName = z.string().min(1).max(63, `expected a database name ${DB_NAME_RULE}`).refine((name) => !BAD_DB_NAME.test(name), `expected a database name ${DB_NAME_RULE}`)
const collectionName = z
  .string()
  .min(1)
  .refine((name) => !name.startsWith('.') && !name.endsWith('.') && !name.includes('$'), 'expected "collection" (in the URL\'s database) or "database.collection", without "$"')

function unique<T extends z.ZodType<string>>(item: T, what: string) {
  return z.array(item).refine((list) => new Set(list).size === list.length, `expected each ${what} once (each is its own check)`)
}

export const mongoExpectations = expectations({
  /** The server's role → check `role`. */
  role: z.enum(ROLES).optional(),
  /** Databases that must exist → one `database:<name>` check each. */
  databases: unique(databaseName, 'database').optional(),
  /** `db.collection`, or `collection` in the URL's database → one `collection:<as written>` check each. */
  collections: unique(collectionName, 'collection').optional(),
  /** `true`, or the replica set's name: a replica-set member whose every member is healthy, with a primary → check `replset`. */
  replica_set: z.union([z.literal(true), z.string().min(1)]).optional(),
}).prefault({})

export type Expect = z.infer<typeof mongoExpectations>

export function checkNames(expect: Expect): string[] {
  return [
    ...configured(expect, ['role']),
    ...(expect.databases ?? []).map((name) => `database:${name}`),
    ...(expect.collections ?? []).map((name) => `collection:${name}`),
    ...configured(expect, ['replica_set']).map(() => 'replset'),
  ]
}

export function roleOf(hello: Document): Role {
  if (hello.msg === 'isdbgrid') return 'mongos'
  if (hello.arbiterOnly === true) return 'arbiter'
  const writable = hello.isWritablePrimary === true || hello.ismaster === true
  if (typeof hello.setName === 'string') return writable ? 'primary' : hello.secondary === true ? 'secondary' : 'other'
  return writable && hello.isreplicaset !== true ? 'standalone' : 'other'
}

/** How the run talks to the server, and how it tells a refused command from a lost connection. */
export interface Server {
  client: MongoClient
  /** The URL's database: where a collection without `db.` is looked for. */
  database?: string
  isServerError(err: unknown): err is Error & { code?: number; codeName?: string }
}

export interface Checked {
  checks: CheckResult[]
  /** The reason when a check failed because a command was refused (the worst one). */
  reason?: Reason
  info: Record<string, unknown>
}

export async function runChecks(server: Server, expect: Expect, hello: Document): Promise<Checked> {
  const role = roleOf(hello)
  const checks: CheckResult[] = []
  const info: Record<string, unknown> = {}
  const refused = new Set<Reason>()
  /** A refused command fails its checks with the server's words; anything else (a lost connection) fails the run. */
  const refusal = (err: unknown, command: string): string => {
    if (!server.isServerError(err)) throw err
    refused.add(err.code === 13 ? 'auth' : 'error')
    return `${command} refused: ${err.message}${err.code !== undefined ? ` (code ${err.code}${err.codeName ? ` ${err.codeName}` : ''})` : ''}`
  }

  if (expect.role !== undefined) checks.push({ name: 'role', ok: role === expect.role, detail: `${describeRole(role, hello)}, expected ${expect.role}` })

  if (expect.databases?.length) {
    const names = expect.databases
    try {
      const reply = await server.client.db('admin').command({ listDatabases: 1, nameOnly: true, filter: { name: { $in: names } } })
      const found = new Set(namesIn(reply.databases))
      for (const name of names) checks.push({ name: `database:${name}`, ok: found.has(name), detail: found.has(name) ? 'exists' : 'not found (a database exists once it holds a collection)' })
    } catch (err) {
      const detail = refusal(err, 'listDatabases')
      for (const name of names) checks.push({ name: `database:${name}`, ok: false, detail })
    }
  }

  if (expect.collections?.length) {
    // One listCollections per database; the checks in the order written.
    const results = new Map<string, CheckResult>()
    const byDb = new Map<string, { written: string; name: string }[]>()
    for (const written of expect.collections) {
      const dot = written.indexOf('.')
      const [db, name] = dot > 0 ? [written.slice(0, dot), written.slice(dot + 1)] : [server.database, written]
      if (db === undefined) results.set(written, { name: `collection:${written}`, ok: false, detail: 'no database to look in: write "database.collection", or put the database in the URL' })
      else byDb.set(db, [...(byDb.get(db) ?? []), { written, name }])
    }
    for (const [db, wanted] of byDb) {
      try {
        const found = new Set(await collectionsIn(server.client.db(db), wanted.map((w) => w.name)))
        for (const w of wanted) results.set(w.written, { name: `collection:${w.written}`, ok: found.has(w.name), detail: found.has(w.name) ? `exists in ${db}` : `not found in ${db}` })
      } catch (err) {
        const detail = refusal(err, `listCollections on ${db}`)
        for (const w of wanted) results.set(w.written, { name: `collection:${w.written}`, ok: false, detail })
      }
    }
    for (const written of expect.collections) checks.push(results.get(written)!)
  }

  if (expect.replica_set !== undefined) {
    const judged = await replicaSet(server, hello, role, expect.replica_set).catch((err: unknown) => ({ ok: false, detail: refusal(err, 'replSetGetStatus'), info: {} }))
    checks.push({ name: 'replset', ok: judged.ok, detail: judged.detail })
    Object.assign(info, judged.info)
  }

  return { checks, info, ...(refused.size ? { reason: refused.has('auth') ? 'auth' : 'error' } : {}) }
}

function describeRole(role: Role, hello: Document): string {
  const set = typeof hello.setName === 'string' ? ` of replica set ${hello.setName}` : ''
  switch (role) {
    case 'primary':
    case 'secondary':
    case 'arbiter':
      return `${role}${set}`
    case 'standalone':
      return 'standalone (not in a replica set)'
    case 'mongos':
      return 'mongos (a sharded cluster router)'
    case 'other':
      return `neither primary nor secondary${set} (starting up, recovering or removed)`
  }
}

async function collectionsIn(db: Db, names: string[]): Promise<string[]> {
  const reply = await db.command({ listCollections: 1, nameOnly: true, authorizedCollections: true, filter: { name: { $in: names } }, cursor: { batchSize: names.length } })
  const cursor = reply.cursor as { firstBatch?: unknown } | undefined
  return namesIn(cursor?.firstBatch)
}

function namesIn(list: unknown): string[] {
  return Array.isArray(list) ? list.flatMap((d: unknown) => (d && typeof d === 'object' && typeof (d as { name?: unknown }).name === 'string' ? [(d as { name: string }).name] : [])) : []
}

interface Member {
  name?: unknown
  health?: unknown
  state?: unknown
  stateStr?: unknown
}

async function replicaSet(server: Server, hello: Document, role: Role, wanted: true | string): Promise<{ ok: boolean; detail: string; info: Record<string, unknown> }> {
  if (role === 'mongos') return { ok: false, detail: 'a mongos router, not a replica-set member: probe a member of each shard', info: {} }
  const setName = typeof hello.setName === 'string' ? hello.setName : undefined
  if (setName === undefined) return { ok: false, detail: `not a replica-set member (${role === 'standalone' ? 'a standalone server' : 'no replica set configured yet'})`, info: {} }
  if (wanted !== true && wanted !== setName) return { ok: false, detail: `replica set ${setName}, expected ${wanted}`, info: { replica_set: setName } }

  const status = await server.client.db('admin').command({ replSetGetStatus: 1 })
  const members: Member[] = Array.isArray(status.members) ? (status.members as Member[]) : []
  const unhealthy = members.filter((m) => m.health !== 1)
  const primary = members.find((m) => m.state === 1 || m.stateStr === 'PRIMARY')
  const label = (m: Member) => `${String(m.name ?? '?')}${typeof m.stateStr === 'string' ? ` ${m.stateStr}` : ''}`
  const health = unhealthy.length ? `${unhealthy.length} unhealthy (${unhealthy.map(label).join(', ')})` : 'all healthy'
  const info = {
    replica_set: setName,
    replset_members: members.length,
    replset_unhealthy: unhealthy.length,
    ...(primary ? { replset_primary: String(primary.name) } : {}),
  }
  return {
    ok: members.length > 0 && unhealthy.length === 0 && primary !== undefined,
    detail: `${setName}: ${members.length} member${members.length === 1 ? '' : 's'}, ${health}, ${primary ? `primary ${String(primary.name)}` : 'no primary'}`,
    info,
  }
}
