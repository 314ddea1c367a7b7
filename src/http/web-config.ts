// `--web.config.file` (SPEC §4b): the Prometheus exporter-toolkit web config
// format, so a file written for node_exporter or Prometheus works unchanged:
// `tls_server_config`, `basic_auth_users` (bcrypt hashes),
// `http_server_config.headers` and `rate_limit`. Parsed strictly; a problem
// names the file, the line and the key path, never a value (a hash or a key
// is a secret). Relative paths start at the web config file's directory.
import { readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { LineCounter, parseDocument } from 'yaml'
import { z } from 'zod'
import { ConfigError, formatPath, type ConfigProblem } from '../config/errors.js'
import { parseDuration } from '../duration.js'
import { positionOf } from '../config/position.js'

export const CLIENT_AUTH_TYPES = ['NoClientCert', 'RequestClientCert', 'RequireAnyClientCert', 'VerifyClientCertIfGiven', 'RequireAndVerifyClientCert'] as const
export type ClientAuthType = (typeof CLIENT_AUTH_TYPES)[number]

const TLS_VERSIONS = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' } as const
type TlsVersionName = keyof typeof TLS_VERSIONS
export type NodeTlsVersion = (typeof TLS_VERSIONS)[TlsVersionName]

/** The response headers the toolkit lets a web config set, and the values it accepts for some. */
export const ALLOWED_HEADERS = ['Content-Security-Policy', 'X-Frame-Options', 'X-Content-Type-Options', 'X-XSS-Protection', 'Strict-Transport-Security'] as const
const HEADER_VALUES: Partial<Record<(typeof ALLOWED_HEADERS)[number], string[]>> = {
  'X-Frame-Options': ['deny', 'sameorigin'],
  'X-Content-Type-Options': ['nosniff'],
}

/** A bcrypt hash as htpasswd, Go and bcryptjs write it: `$2a$`, `$2b$` or `$2y$`, a cost, 53 characters. */
const BCRYPT = /^\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/

const versionName = z.enum(Object.keys(TLS_VERSIONS) as [TlsVersionName, ...TlsVersionName[]], { error: `expected one of ${Object.keys(TLS_VERSIONS).join(', ')}` })
const text = z.string({ error: 'expected a string' })

const schema = z.strictObject({
  tls_server_config: z
    .strictObject({
      cert: text.optional(),
      key: text.optional(),
      client_ca: text.optional(),
      cert_file: text.optional(),
      key_file: text.optional(),
      client_auth_type: z.enum(CLIENT_AUTH_TYPES, { error: `expected one of ${CLIENT_AUTH_TYPES.join(', ')}` }).default('NoClientCert'),
      client_ca_file: text.optional(),
      client_allowed_sans: z.array(text).optional(),
      min_version: versionName.default('TLS12'),
      max_version: versionName.default('TLS13'),
      cipher_suites: z.array(text).optional(),
      prefer_server_cipher_suites: z.boolean().optional(),
      curve_preferences: z.array(text).optional(),
    })
    .nullish(),
  http_server_config: z
    .strictObject({
      http2: z.boolean().optional(),
      headers: z.record(z.string(), text.nullish()).optional(),
    })
    .nullish(),
  basic_auth_users: z.record(z.string(), text.nullish()).nullish(),
  rate_limit: z
    .strictObject({
      interval: z.union([text, z.number()]).optional(),
      burst: z.number().int().min(0).optional(),
    })
    .nullish(),
})

export interface WebTls {
  cert: Buffer
  key: Buffer
  /** The CA client certificates are verified against. */
  clientCa?: Buffer
  clientAuth: ClientAuthType
  /** A verified client certificate must carry one of these SANs (DNS, IP, e-mail or URI). */
  clientAllowedSans: string[]
  minVersion: NodeTlsVersion
  maxVersion: NodeTlsVersion
}

export interface WebConfig {
  file: string
  tls?: WebTls
  /** user → bcrypt hash; empty: no basic auth. */
  users: Map<string, string>
  /** Added to every response. */
  headers: Record<string, string>
  /** Token bucket: one request per `intervalMs`, bursts of `burst`. */
  rateLimit?: { intervalMs: number; burst: number }
  /** Keys accepted for compatibility but without effect here, for a log line. */
  notes: string[]
}

export async function loadWebConfig(file: string): Promise<WebConfig> {
  let source: string
  try {
    source = await readFile(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new ConfigError(file, [{ path: '', message: code === 'ENOENT' ? 'web config file not found' : `cannot read the web config file (${code ?? 'error'})` }])
  }
  return parseWebConfig(source, file)
}

export function parseWebConfig(source: string, file: string): WebConfig {
  const lines = new LineCounter()
  const doc = parseDocument(source, { lineCounter: lines, uniqueKeys: true, prettyErrors: false })
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => {
        const at = lines.linePos(e.pos[0])
        return { path: '', message: `invalid YAML: ${e.message.split('\n')[0]}`, line: at.line, column: at.col }
      }),
    )
  }
  const problems: ConfigProblem[] = []
  const report = (path: PropertyKey[], message: string) => problems.push({ path: formatPath(path), message, ...positionOf(doc, lines, path) })
  const raw = doc.toJS() ?? {}
  const parsed = schema.safeParse(raw)
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') for (const key of issue.keys) report([...issue.path, key], 'unknown key')
      else if (issue.code === 'invalid_type' && issue.path.length === 0) report([], 'expected a mapping')
      else if (issue.code === 'invalid_type') report(issue.path, `expected ${issue.expected === 'object' || issue.expected === 'record' ? 'a mapping' : issue.expected}`)
      // zod's own messages never quote the value; ours do not either.
      else report(issue.path, issue.message)
    }
    throw new ConfigError(file, problems)
  }
  const c = parsed.data
  const dir = dirname(file)
  const notes: string[] = []

  const readPem = (key: string, path: string): Buffer | undefined => {
    try {
      return readFileSync(resolve(dir, path))
    } catch (err) {
      report(['tls_server_config', key], `cannot read the file (${(err as NodeJS.ErrnoException).code ?? 'error'})`)
      return undefined
    }
  }
  const pem = (inline: string | undefined, fileKey: string, path: string | undefined, inlineKey: string): Buffer | undefined => {
    if (inline !== undefined && path !== undefined) {
      report(['tls_server_config', inlineKey], `set either ${inlineKey} or ${fileKey}, not both`)
      return undefined
    }
    if (inline !== undefined) return Buffer.from(inline)
    return path === undefined ? undefined : readPem(fileKey, path)
  }

  let tls: WebTls | undefined
  const t = c.tls_server_config
  if (t) {
    const cert = pem(t.cert, 'cert_file', t.cert_file, 'cert')
    const key = pem(t.key, 'key_file', t.key_file, 'key')
    const clientCa = pem(t.client_ca, 'client_ca_file', t.client_ca_file, 'client_ca')
    if (t.cert === undefined && t.cert_file === undefined) report(['tls_server_config', 'cert_file'], 'missing; expected the server certificate (cert_file or cert)')
    if (t.key === undefined && t.key_file === undefined) report(['tls_server_config', 'key_file'], 'missing; expected the server key (key_file or key)')
    const hasCa = t.client_ca !== undefined || t.client_ca_file !== undefined
    if (hasCa && t.client_auth_type === 'NoClientCert') report(['tls_server_config', 'client_auth_type'], 'client_ca_file is set but client_auth_type is NoClientCert; expected RequireAndVerifyClientCert (or VerifyClientCertIfGiven)')
    if (!hasCa && (t.client_auth_type === 'VerifyClientCertIfGiven' || t.client_auth_type === 'RequireAndVerifyClientCert')) report(['tls_server_config', 'client_ca_file'], `missing; expected the CA that signs client certificates (client_auth_type ${t.client_auth_type} verifies them)`)
    if (t.client_allowed_sans?.length && t.client_auth_type !== 'RequireAndVerifyClientCert' && t.client_auth_type !== 'RequireAnyClientCert') report(['tls_server_config', 'client_allowed_sans'], 'expected client_auth_type RequireAndVerifyClientCert or RequireAnyClientCert (the others let a client connect without a certificate)')
    const order = Object.keys(TLS_VERSIONS)
    if (order.indexOf(t.min_version) > order.indexOf(t.max_version)) report(['tls_server_config', 'min_version'], 'expected min_version not above max_version')
    if (t.cipher_suites?.length) notes.push('tls_server_config.cipher_suites is ignored: Node uses its OpenSSL defaults (TLS 1.3 suites are not configurable in Go either)')
    if (t.prefer_server_cipher_suites !== undefined) notes.push('tls_server_config.prefer_server_cipher_suites is ignored: Node prefers the server order')
    if (t.curve_preferences?.length) notes.push('tls_server_config.curve_preferences is ignored: Node uses its OpenSSL defaults')
    if (cert && key) {
      tls = {
        cert,
        key,
        clientCa,
        clientAuth: t.client_auth_type,
        clientAllowedSans: t.client_allowed_sans ?? [],
        minVersion: TLS_VERSIONS[t.min_version],
        maxVersion: TLS_VERSIONS[t.max_version],
      }
    }
  }

  if (c.http_server_config?.http2 !== undefined) notes.push('http_server_config.http2 is ignored: groundtruth serves HTTP/1.1')
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(c.http_server_config?.headers ?? {})) {
    const allowed = ALLOWED_HEADERS.find((h) => h.toLowerCase() === name.toLowerCase())
    if (!allowed) {
      report(['http_server_config', 'headers', name], `header not allowed; expected one of ${ALLOWED_HEADERS.join(', ')}`)
      continue
    }
    if (value === undefined || value === null || value === '') continue
    const values = HEADER_VALUES[allowed]
    if (values && !values.includes(value.toLowerCase())) {
      report(['http_server_config', 'headers', name], `invalid value; expected ${values.join(' or ')}`)
      continue
    }
    headers[allowed] = value
  }

  const users = new Map<string, string>()
  for (const [user, hash] of Object.entries(c.basic_auth_users ?? {})) {
    if (user === '' || user.includes(':')) report(['basic_auth_users', user], 'expected a user name without ":"')
    else if (typeof hash !== 'string' || !BCRYPT.test(hash)) report(['basic_auth_users', user], 'expected a bcrypt hash ($2y$10$..., as htpasswd -nBC 10 writes it); the value is not shown')
    else users.set(user, hash)
  }

  let rateLimit: WebConfig['rateLimit']
  if (c.rate_limit) {
    const interval = c.rate_limit.interval
    const intervalMs = interval === undefined ? 0 : typeof interval === 'number' ? interval * 1000 : parseDuration(interval)
    if (intervalMs === undefined) report(['rate_limit', 'interval'], 'expected a duration such as "100ms" or "1s"')
    else if (intervalMs > 0) rateLimit = { intervalMs, burst: c.rate_limit.burst ?? 0 }
  }

  if (problems.length > 0) throw new ConfigError(file, problems)
  return { file, tls, users, headers, rateLimit, notes }
}

