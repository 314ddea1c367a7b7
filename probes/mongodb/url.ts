// The mongodb:// and mongodb+srv:// connection string, read as the driver
// reads it (mongodb-connection-string-url: the same split of user info, host
// list and the rest, the same characters refused unencoded), checked at load
// so that a URL the driver would refuse is a config error naming the key, not
// a failed run. `new URL` cannot read it: a seed list (`h1:27017,h2:27017`) is
// no WHATWG host. Messages name what was expected, never the value.
import { z } from 'zod'
import type { SecretSet } from '../../src/redact.js'
import { SECRET_NAME } from '../../src/redact.js'
import { formatEndpoint, type Endpoint } from '../lib/target.js'

export const DEFAULT_PORT = 27017

export interface MongoUrl {
  /** mongodb+srv://: the one host is a DNS name whose SRV records list the servers. */
  srv: boolean
  /** The seed list; for SRV the one name (its port unused). */
  hosts: Endpoint[]
  username?: string
  password?: string
  /** The path's database, percent-decoded: the default of `collection:<name>` and of authSource. */
  database?: string
  /** The query options as written (keys compared without case, as the driver does). */
  options: URLSearchParams
}

// The driver's own split (mongodb-connection-string-url's HOSTS_REGEX).
const PARTS = /^(?<scheme>[^/]+):\/\/(?:(?<username>[^:@]*)(?::(?<password>[^@]*))?@)?(?<hosts>(?!:)[^/?@]*)(?<rest>.*)$/s
const UNENCODED = /[:/?#[\]@]/
/** Characters MongoDB refuses in a database name, and how a message says so. */
export const BAD_DB_NAME = /[/\\. "$*<>:|?\0]/
export const DB_NAME_RULE = 'without "/", "\\", ".", spaces, quotes, "$", "*", "<", ">", ":", "|" or "?", at most 63 characters'
const HOST = /^(?:\[(?<v6>[0-9a-f:.]+)\]|(?<name>[^:[\]\s]+))(?::(?<port>\d{1,5}))?$/i

// Written without "scheme://…@", which the redaction of every message would mask as user info.
const SHAPE = 'mongodb://host[:port][,host[:port]...][/database][?options] or mongodb+srv://name[/database][?options], any user:password@ before the hosts'

/** The URL's parts, or what is wrong with it (a message that never repeats the value). */
export function parseMongoUrl(text: string): MongoUrl | string {
  if (!text.startsWith('mongodb://') && !text.startsWith('mongodb+srv://')) return 'expected a URL starting with mongodb:// or mongodb+srv://'
  const parts = PARTS.exec(text)?.groups
  if (!parts?.hosts) return `expected ${SHAPE}`
  const { username, password, hosts, rest = '' } = parts
  const afterScheme = text.slice(text.indexOf('://') + 3)
  if ((!username || !password) && (afterScheme.startsWith('@') || afterScheme.startsWith(':'))) return 'expected a user before the ":" or "@" of the user info'
  if ((username && UNENCODED.test(username)) || (password && UNENCODED.test(password)) || /^[^/?]*@/.test(rest)) {
    return 'characters such as ":", "/", "?", "#", "[", "]" and "@" in a user or password must be percent-encoded (%3A, %2F, %3F, %23, %5B, %5D, %40)'
  }
  const user = decode(username)
  const pass = decode(password)
  if (user === null || pass === null) return 'expected the user and password to be valid percent-encoding'

  const srv = text.startsWith('mongodb+srv://')
  const seeds: Endpoint[] = []
  for (const host of hosts.split(',')) {
    const m = HOST.exec(host)?.groups
    const port = m?.port === undefined ? DEFAULT_PORT : Number(m.port)
    if (!m || port < 1 || port > 65535) return `expected each host as host, host:port or [ipv6]:port with a port from 1 to 65535 (${SHAPE})`
    if (srv && m.port !== undefined) return 'expected no port in a mongodb+srv:// URL: the SRV records give the ports'
    seeds.push({ host: (m.v6 ?? m.name)!, port })
  }
  if (srv && seeds.length !== 1) return 'expected one host name in a mongodb+srv:// URL: its SRV records list the servers'

  if (rest !== '' && !rest.startsWith('/') && !rest.startsWith('?')) return `expected ${SHAPE}`
  const query = rest.indexOf('?')
  const path = query < 0 ? rest : rest.slice(0, query)
  if (/#/.test(rest)) return 'expected no "#" in the URL'
  const database = decode(path.slice(1) || undefined)
  if (database === null) return 'expected the database to be valid percent-encoding'
  if (database !== undefined && (BAD_DB_NAME.test(database) || database.length > 63)) {
    return `expected a database name (after the hosts) ${DB_NAME_RULE}`
  }
  return {
    srv,
    hosts: seeds,
    ...(user !== undefined ? { username: user } : {}),
    ...(pass !== undefined ? { password: pass } : {}),
    ...(database !== undefined ? { database } : {}),
    options: new URLSearchParams(query < 0 ? '' : rest.slice(query + 1)),
  }
}

/** Parses a URL already validated by `mongoUrl` (a config's `url:`). */
export function parsedUrl(text: string): MongoUrl {
  const url = parseMongoUrl(text)
  if (typeof url === 'string') throw new Error(url)
  return url
}

/** The `url:` setting. */
export const mongoUrl = z.string({ error: 'expected a URL starting with mongodb:// or mongodb+srv://' }).superRefine((text, ctx) => {
  const url = parseMongoUrl(text)
  if (typeof url === 'string') ctx.addIssue({ code: 'custom', message: url })
})

/** A query option, its name compared without case as the driver does; the last one written wins. */
export function option(url: MongoUrl, name: string): string | undefined {
  let value: string | undefined
  for (const [key, v] of url.options) if (key.toLowerCase() === name.toLowerCase()) value = v
  return value
}

/** TLS as the URL asks for it: `tls=`/`ssl=`, on by default for SRV. */
export function urlWantsTls(url: MongoUrl): boolean | undefined {
  const said = option(url, 'tls') ?? option(url, 'ssl')
  if (said !== undefined) return said === 'true'
  return url.srv ? true : undefined
}

/**
 * Connect to the one server named, not to the replica set it may belong to:
 * one host, not SRV, and neither `directConnection` nor `replicaSet` or
 * `loadBalanced` written in the URL (what is written there wins).
 */
export function wantsDirect(url: MongoUrl): boolean {
  return !url.srv && url.hosts.length === 1 && ['directConnection', 'replicaSet', 'loadBalanced'].every((name) => option(url, name) === undefined)
}

/**
 * Where it points, without credentials or options: `host:port/db`, a seed
 * list comma-separated, an SRV name with its scheme (it has no port).
 */
export function targetOf(url: MongoUrl): string {
  const hosts = url.srv ? `mongodb+srv://${url.hosts[0]!.host}` : url.hosts.map(formatEndpoint).join(',')
  return url.database ? `${hosts}/${url.database}` : hosts
}

/** The password (as written and decoded) and query values whose names say they are credentials. */
export function addSecrets(text: string, into: SecretSet): void {
  const parts = PARTS.exec(text)?.groups
  if (parts?.password) {
    into.add(parts.password)
    into.add(decode(parts.password) ?? undefined)
  }
  const url = parseMongoUrl(text)
  if (typeof url === 'string') return
  for (const [key, value] of url.options) {
    if (!SECRET_NAME.test(key)) continue
    into.add(value)
    // authMechanismProperties=AWS_SESSION_TOKEN:abc,...: each value on its own too.
    for (const pair of value.split(',')) into.add(pair.slice(pair.indexOf(':') + 1))
  }
}

function decode(text: string | undefined): string | undefined | null {
  if (text === undefined || text === '') return undefined
  try {
    return decodeURIComponent(text)
  } catch {
    return null
  }
}
