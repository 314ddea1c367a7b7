// The mysql kind's settings: the URL (mysql:// or mariadb://, a database name
// as its path at most), the shared `tls:` block, and the expectations. TLS is
// asked for with `tls:` (even `tls: {}`), never by a URL parameter: a URL
// whose `ssl-mode`/`ssl`/`sslaccept` parameter asks for TLS is refused at
// load rather than silently probed in plaintext.
import { z } from 'zod'
import { expectations } from '../../src/settings/fields.js'
import { urlWith } from '../lib/target.js'
import { tlsSettings } from '../lib/tls.js'

/** URL parameters other clients read as "use TLS"; here `tls:` says it. */
const TLS_PARAMS = /^(ssl|tls)|^(use|require)[-_]?ssl$/i

const mysqlUrl = urlWith('mysql', 'mariadb').superRefine((text, ctx) => {
  const url = new URL(text) // urlWith parsed it already (and stops the chain when it cannot)
  if (!/^\/?[^/]*\/?$/.test(url.pathname)) {
    ctx.addIssue({ code: 'custom', message: 'expected at most a database name as the URL path, as in mysql://user:password@host:3306/database' })
  }
  const tlsParam = [...url.searchParams.keys()].find((key) => TLS_PARAMS.test(key))
  if (tlsParam) {
    ctx.addIssue({ code: 'custom', message: `expected TLS to be asked for with the service's tls: key (tls: {} verifies against the system CAs), not the URL parameter "${tlsParam}"` })
  }
})

/**
 * `users`, `app.users`, `` `odd.name` ``, `` app.`Order Items` `` → the parts
 * as written, backquotes removed (`` `` `` is one backquote); or a message
 * saying what is wrong.
 */
export function parseTableName(text: string): string[] | string {
  const parts: string[] = []
  const s = text.trim()
  let i = 0
  if (!s) return 'expected a table name, got an empty string'
  for (;;) {
    if (s[i] === '`') {
      let part = ''
      for (i++; ; i++) {
        if (i >= s.length) return `unterminated backquote in "${text}"`
        if (s[i] === '`') {
          if (s[i + 1] !== '`') break
          i++
        }
        part += s[i]
      }
      i++
      if (!part) return `empty quoted name in "${text}"`
      parts.push(part)
    } else {
      const m = /^[A-Za-z0-9_$\u0080-\uffff]+/.exec(s.slice(i))
      if (!m) return `expected a name (letters, digits, _ and $; or \`quoted\`) in "${text}"`
      parts.push(m[0])
      i += m[0].length
    }
    if (i === s.length) return parts.length <= 2 ? parts : `expected "table" or "database.table", got "${text}"`
    if (s[i] !== '.') return `unexpected "${s[i]}" in "${text}"`
    i++
  }
}

/** A name as SQL would need it written, for details: backquoted only when it must be. */
export function showIdent(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_$]*$/.test(name) ? name : `\`${name.replace(/`/g, '``')}\``
}

const tableName = z.string().superRefine((text, ctx) => {
  const parsed = parseTableName(text)
  if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed })
})

export const settings = {
  url: mysqlUrl,
  /** Present (even `{}`): the connection must be TLS, verified unless `insecure`. Absent: plaintext. */
  tls: tlsSettings.optional(),
  /** `max_latency` is connecting, logging in and `SELECT 1` (the checks not included). */
  expect: expectations({
    tables: z
      .array(tableName)
      .refine((list) => new Set(list).size === list.length, 'expected each table once (each is its own check)')
      .optional(),
    /** The server's `@@global.read_only` must be this: a replica that must be read-only, a primary that must be writable. */
    read_only: z.boolean().optional(),
    /** SQL whose first cell must be truthy, run read-only under a server-side time limit. */
    query: z.string().trim().min(1).optional(),
  }).prefault({}),
}

export type Service = z.infer<z.ZodObject<typeof settings>>
export type Expect = Service['expect']
