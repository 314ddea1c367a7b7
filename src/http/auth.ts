// Basic auth against bcrypt hashes (`basic_auth_users`), as the exporter
// toolkit does it: the user is looked up without an early exit, an unknown
// user still costs one bcrypt comparison, and a successful verification is
// remembered briefly (bcrypt is slow on purpose; Prometheus scrapes every
// 15 s). Failures are never remembered. No credential is ever logged.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import bcrypt from 'bcryptjs'

/** How long a successful verification is remembered. */
export const AUTH_CACHE_MS = 60_000
const CACHE_MAX = 1024

export interface BasicAuth {
  /** True when the `Authorization` header carries a configured user and its password. */
  verify(authorization: string | undefined): Promise<boolean>
}

export interface BasicAuthOptions {
  cacheMs?: number
  now?: () => number
  /** The bcrypt comparison (tests count its calls). */
  compare?: (password: string, hash: string) => Promise<boolean>
}

export function basicAuth(users: Map<string, string>, options: BasicAuthOptions = {}): BasicAuth {
  const cacheMs = options.cacheMs ?? AUTH_CACHE_MS
  const now = options.now ?? Date.now
  const compare = options.compare ?? ((password: string, hash: string) => bcrypt.compare(password, hash))
  const entries = [...users].map(([user, hash]) => ({ digest: sha256(user), hash }))
  // Compared against when the user is unknown, so that costs what a known user costs.
  const cost = Number(entries[0]?.hash.slice(4, 6) ?? 10)
  const dummy = bcrypt.hashSync(randomBytes(16).toString('hex'), cost)
  const cacheKey = randomBytes(32)
  const cache = new Map<string, number>()

  return {
    async verify(authorization) {
      const credentials = parseBasic(authorization)
      if (!credentials) return false
      const { user, password } = credentials
      const digest = sha256(user)
      let hash: string | undefined
      for (const e of entries) {
        // No early exit: every configured user is compared.
        if (timingSafeEqual(e.digest, digest)) hash ??= e.hash
      }
      const key = createHmac('sha256', cacheKey).update(`${user}\0${hash ?? ''}\0${password}`).digest('base64')
      const until = cache.get(key)
      if (hash !== undefined && until !== undefined && until > now()) return true
      const ok = await compare(password, hash ?? dummy)
      if (!ok || hash === undefined) return false
      if (cache.size >= CACHE_MAX) {
        for (const [k, t] of cache) if (t <= now()) cache.delete(k)
        if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!)
      }
      cache.set(key, now() + cacheMs)
      return true
    },
  }
}

function parseBasic(header: string | undefined): { user: string; password: string } | undefined {
  const m = /^Basic[ ]+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header ?? '')
  if (!m) return undefined
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon < 0) return undefined
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest()
}
