// From a compose project to groundtruth services: one per compose service,
// judged by its container (`container:` named as compose names it), with the
// protocol probe its image calls for and URLs that *refer* to variables
// (`${POSTGRES_PASSWORD}`), never carry their values.
import { existsSync, readFileSync } from 'node:fs'
import { relative, resolve } from 'node:path'
import { parse as parseDotenv } from 'dotenv'
import { isCredentialName } from '../env/names.js'
import { asMapping, type ComposeProject, type ComposeService } from './compose.js'
import { toTemplate } from './interpolate.js'

export interface InferredService {
  /** The service as groundtruth's config writes it. */
  config: Record<string, unknown>
  /** What was inferred and why, one line each. */
  why: string[]
  /** What could not be inferred, or needs a person: printed and written as comments. */
  notes: string[]
}

export interface Inference {
  project: string
  projectFrom: string
  services: InferredService[]
  env: Array<{ file: string; example?: string }>
  environment?: { value: string; from: string }
  /** Project-wide things it could not do. */
  notes: string[]
  /**
   * Values for the variables the config refers to that are not in the
   * environment (secrets written in the compose file itself): for discovery in
   * memory only, never written.
   */
  fallbackEnv: Record<string, string>
}

export interface InferOptions {
  /** The directory the config is written to: relative paths start there. */
  outDir: string
  /** Write env file paths absolute (discovery: no file to be relative to). */
  absolutePaths?: boolean
  /** Probe kinds available: mongodb, mysql and nats are used when registered. */
  kinds: ReadonlySet<string>
}

type Kind = 'postgres' | 'redis' | 'rabbitmq' | 'elasticsearch' | 'minio' | 'mongodb' | 'mysql' | 'nats' | 'ollama' | 'vllm'

const IMAGES: Array<[Kind, RegExp, number]> = [
  ['postgres', /^(postgres|postgresql|postgis|timescaledb(-ha)?|pgvector|supabase-postgres)$|postgres/, 5432],
  ['redis', /^(redis|redis-stack|redis-stack-server|valkey|keydb|dragonfly)$/, 6379],
  ['rabbitmq', /^rabbitmq$/, 5672],
  ['elasticsearch', /^elasticsearch$/, 9200],
  ['minio', /^minio$/, 9000],
  ['mongodb', /^(mongo|mongodb|mongodb-community-server|mongodb-enterprise-server)$/, 27017],
  ['mysql', /^(mysql|mariadb|mysql-server)$/, 3306],
  ['nats', /^nats$/, 4222],
  ['ollama', /^ollama$/, 11434],
  ['vllm', /^vllm-openai$/, 8000],
]

const INFRASTRUCTURE = new Set<Kind>(['postgres', 'redis', 'rabbitmq', 'elasticsearch', 'minio', 'mongodb', 'mysql', 'nats'])

/** The image's repository name without registry, owner, tag or digest: `docker.elastic.co/elasticsearch/elasticsearch:8.11.0` → `elasticsearch`. */
export function imageName(image: string): string {
  const path = image.split('@')[0]!
  const last = path.split('/').at(-1)!
  return last.split(':')[0]!.toLowerCase()
}

export function imageKind(image: string | undefined): [Kind, number] | undefined {
  if (!image) return undefined
  const name = imageName(image)
  const hit = IMAGES.find(([, re]) => re.test(name))
  return hit ? [hit[0], hit[2]] : undefined
}

/** A groundtruth service name from a compose one: [a-z0-9_-]. */
export function serviceName(compose: string): string {
  return compose.toLowerCase().replace(/[^a-z0-9_-]/g, '-')
}

export interface PortMapping {
  container: number
  host?: number
  hostIp?: string
}

/** Compose `ports:` entries, short (`[ip:][host:]container[/proto]`, ranges) and long syntax. */
export function parsePorts(ports: ReadonlyArray<string | number | { target: number | string; published?: number | string; host_ip?: string }> = []): PortMapping[] {
  const out: PortMapping[] = []
  for (const entry of ports) {
    if (typeof entry === 'object') {
      const published = entry.published === undefined ? undefined : String(entry.published)
      pushRange(out, String(entry.target), published, entry.host_ip)
      continue
    }
    let text = String(entry).replace(/\/(tcp|udp|sctp)$/, '')
    let ip: string | undefined
    const bracket = /^\[([^\]]+)\]:/.exec(text)
    if (bracket) {
      ip = bracket[1]
      text = text.slice(bracket[0].length)
    }
    const parts = text.split(':')
    if (parts.length === 3) ip = parts.shift()
    const [a, b] = parts
    if (b === undefined) pushRange(out, a!, undefined, ip)
    else pushRange(out, b, a, ip)
  }
  return out
}

function pushRange(out: PortMapping[], container: string, host: string | undefined, hostIp: string | undefined): void {
  const [c1, c2 = c1] = container.split('-').map(Number)
  const [h1, h2] = host ? host.split('-').map(Number) : []
  if (!Number.isInteger(c1)) return
  for (let c = c1!; c <= c2!; c++) {
    // A host range for one container port means "any of these": the first is a guess, said so by the caller.
    const h = h1 === undefined || !Number.isInteger(h1) || host === '' ? undefined : h2 !== undefined && c2 !== c1 ? h1 + (c - c1!) : h1
    out.push({ container: c, ...(h !== undefined ? { host: h } : {}), ...(hostIp ? { hostIp } : {}) })
  }
}

/** One variable of a container's environment, as the config can write it. */
interface EnvValue {
  value: string | undefined
  /** The env_file it came from (its variables must be loaded for the reference to resolve). */
  file?: string
  /** `${VAR:-default}` form; undefined for a literal. */
  template?: string
  /** The same without defaults, for secrets. */
  bare?: string
  refs: string[]
}

export function inferProject(compose: ComposeProject, opts: InferOptions): Inference {
  const fallbackEnv: Record<string, string> = {}
  const notes: string[] = []
  const names = new Map<string, string>()
  for (const s of compose.services) {
    let name = serviceName(s.name)
    for (let n = 2; [...names.values()].includes(name); n++) name = `${serviceName(s.name)}-${n}`
    names.set(s.name, name)
  }
  for (const skipped of compose.skipped) {
    notes.push(`service ${skipped.name} left out: only in profile ${skipped.profiles.join(', ')} (set COMPOSE_PROFILES to include it)`)
  }
  for (const name of compose.required) notes.push(`${name} is required by the compose file (\${${name}:?}) and is not set`)

  const path = (abs: string) => (opts.absolutePaths ? abs : relative(opts.outDir, abs) || '.')
  const sources = new Map<string, { file: string; example?: string }>()
  const addSource = (abs: string) => {
    if (sources.has(abs)) return
    const example = `${abs}.example`
    sources.set(abs, { file: path(abs), ...(existsSync(example) ? { example: path(example) } : {}) })
  }
  const dotenvPath = resolve(compose.dir, '.env')
  if (compose.dotenv || existsSync(`${dotenvPath}.example`)) addSource(dotenvPath)

  const services = compose.services.map((s) => inferService(s, compose, names, fallbackEnv, addSource, opts.kinds))
  // needs_env must name variables an env source audits, or the config would not validate.
  const audited = new Set<string>()
  for (const abs of sources.keys()) for (const f of [abs, `${abs}.example`]) for (const k of Object.keys(readEnvFile(f) ?? {})) audited.add(k)
  for (const s of services) {
    const wanted = (s.config.needs_env as string[] | undefined) ?? []
    const kept = wanted.filter((n) => audited.has(n))
    if (kept.length > 0) {
      s.config.needs_env = kept
      s.why.push(`needs_env ${kept.join(', ')}: credentials its environment refers to`)
    } else delete s.config.needs_env
  }

  for (const name of compose.unset) {
    if (services.some((s) => JSON.stringify(s.config).includes(`\${${name}`))) {
      notes.push(`${name} is not set (environment or .env): the config refers to it, so set it before groundtruth runs`)
    }
  }
  const envVar = ['ENVIRONMENT', 'APP_ENV', 'NODE_ENV', 'PYTHON_ENV', 'RAILS_ENV'].find((n) => /^[a-z][a-z0-9_-]{0,30}$/i.test(compose.dotenv?.[n] ?? ''))
  return {
    project: compose.project,
    projectFrom: compose.projectFrom,
    services,
    env: [...sources.values()],
    ...(envVar ? { environment: { value: compose.dotenv![envVar]!, from: `${envVar} in .env` } } : {}),
    notes,
    fallbackEnv,
  }
}

function readEnvFile(path: string): Record<string, string> | undefined {
  try {
    return parseDotenv(readFileSync(path))
  } catch {
    return undefined
  }
}

function inferService(
  s: ComposeService,
  compose: ComposeProject,
  names: Map<string, string>,
  fallbackEnv: Record<string, string>,
  addSource: (abs: string) => void,
  kinds: ReadonlySet<string>,
): InferredService {
  const name = names.get(s.name)!
  const why: string[] = []
  const notes: string[] = []
  const spec = s.spec
  const container = spec.container_name ?? `${compose.project}-${s.name}-1`
  why.push(spec.container_name ? `container ${container} (container_name)` : `container ${container} (project "${compose.project}" from ${compose.projectFrom})`)
  const replicas = Number(spec.deploy?.replicas ?? spec.scale ?? 1)
  if (replicas > 1) notes.push(`${replicas} replicas: the container judged is the first, ${container}`)
  if (name !== s.name) why.push(`named ${name}: groundtruth names are [a-z0-9_-]`)

  // The container's environment: env_file entries, then `environment:` over them.
  const env = new Map<string, EnvValue>()
  const files = spec.env_file === undefined ? [] : Array.isArray(spec.env_file) ? spec.env_file : [spec.env_file]
  for (const f of files) {
    const rel = typeof f === 'string' ? f : f.path
    const abs = resolve(compose.dir, rel)
    addSource(abs)
    for (const [k, v] of Object.entries(readEnvFile(abs) ?? {})) env.set(k, { value: v, template: `\${${k}}`, bare: `\${${k}}`, refs: [k], file: rel })
  }
  for (const [k, raw] of Object.entries(asMapping(s.raw.environment))) {
    if (raw === null || raw === undefined) {
      env.set(k, { value: compose.env[k], template: `\${${k}}`, bare: `\${${k}}`, refs: [k] })
    } else if (typeof raw === 'string') {
      const r = compose.interpolate(raw)
      env.set(k, r.refs.length > 0 && r.parts ? { value: r.value, template: toTemplate(r.parts, true), bare: toTemplate(r.parts, false), refs: r.refs } : { value: r.value, refs: [] })
    } else env.set(k, { value: String(raw), refs: [] })
  }

  /** A piece of a URL from the environment: a reference when it came from one or is a secret, else the literal. */
  const piece = (keys: string[], o: { secret?: boolean; fallback?: string; url?: boolean } = {}): string | undefined => {
    const key = keys.find((k) => env.has(k))
    if (key === undefined) return o.fallback
    const v = env.get(key)!
    const secret = o.secret || isCredentialName(key)
    if (v.template !== undefined) {
      const written = secret ? v.bare! : v.template
      if (secret && written !== v.template && v.value !== undefined) {
        notes.push(`the default of ${key} in the compose file is a secret: not copied; the config refers to ${written}`)
        for (const ref of v.refs) if (compose.env[ref] === undefined) fallbackEnv[ref] = v.value
      }
      if (v.file !== undefined && compose.env[key] === undefined && v.value !== undefined) {
        fallbackEnv[key] = v.value
        notes.push(`${key} comes from env_file ${v.file}: load that file too before groundtruth runs`)
      }
      why.push(`${key} from ${v.file !== undefined ? `env_file ${v.file}` : v.refs.join(', ')}`)
      return written
    }
    if (secret) {
      notes.push(`${key} is written in the compose file itself: not copied; the config refers to \${${key}}, so export it (or move it to .env) before groundtruth runs`)
      if (v.value !== undefined) fallbackEnv[key] = v.value
      return `\${${key}}`
    }
    return o.url === false ? v.value : encodeURIComponent(v.value ?? '')
  }

  const ports = parsePorts(spec.ports)
  const hostMode = spec.network_mode === 'host'
  const where = (port: number): string => {
    if (hostMode) return `127.0.0.1:${port}`
    const m = ports.find((p) => p.container === port)
    if (m?.host !== undefined) {
      why.push(`port ${port} published as ${m.host}`)
      const ip = m.hostIp && !['0.0.0.0', '::', ''].includes(m.hostIp) ? m.hostIp : '127.0.0.1'
      return `${ip.includes(':') ? `[${ip}]` : ip}:${m.host}`
    }
    notes.push(
      m
        ? `port ${port} is published on a random host port: the address is the compose network's (${s.name}:${port}); publish it as "HOST:${port}" or run groundtruth in the compose network`
        : `port ${port} is not published: the address is the compose network's (${s.name}:${port}), reachable when groundtruth runs in that network`,
    )
    return `${s.name}:${port}`
  }

  const config: Record<string, unknown> = { name, group: 'backend', probe: 'container' }
  const kind = imageKind(spec.image)
  if (kind) {
    why.unshift(`image ${spec.image}: ${kind[0]}`)
    config.group = INFRASTRUCTURE.has(kind[0]) ? 'infrastructure' : 'ai'
    const hostPort = where(kind[1])
    Object.assign(config, protocolProbe(kind[0], hostPort, piece, s, compose, notes, fallbackEnv, kinds))
  } else {
    why.unshift(spec.image ? `image ${spec.image}: an application` : `built from source (build:): an application`)
    Object.assign(config, appProbe(spec, ports, where, why, notes, name))
    const needs = new Set<string>()
    for (const v of env.values()) if (v.file === undefined) for (const ref of v.refs) if (isCredentialName(ref)) needs.add(ref)
    if (needs.size > 0) config.needs_env = [...needs].sort()
  }
  config.container = container
  const deps = spec.depends_on === undefined ? [] : Array.isArray(spec.depends_on) ? spec.depends_on : Object.keys(spec.depends_on)
  const kept = deps.filter((d) => names.has(d)).map((d) => names.get(d)!)
  for (const d of deps) if (!names.has(d)) notes.push(`depends_on ${d}: not a service of this config (left out by its profile, or undefined)`)
  if (kept.length > 0) config.depends_on = kept
  return { config, why, notes }
}

type Piece = (keys: string[], o?: { secret?: boolean; fallback?: string; url?: boolean }) => string | undefined

function protocolProbe(
  kind: Kind,
  at: string,
  piece: Piece,
  s: ComposeService,
  compose: ComposeProject,
  notes: string[],
  fallbackEnv: Record<string, string>,
  kinds: ReadonlySet<string>,
): Record<string, unknown> {
  const auth = (user: string | undefined, password: string | undefined) => (user || password ? `${user ?? ''}${password ? `:${password}` : ''}@` : '')
  switch (kind) {
    case 'postgres': {
      const user = piece(['POSTGRES_USER', 'POSTGRESQL_USERNAME'], { fallback: 'postgres' })
      const password = piece(['POSTGRES_PASSWORD', 'POSTGRESQL_PASSWORD'], { secret: true })
      if (!password && piece(['POSTGRES_HOST_AUTH_METHOD'], { url: false }) !== 'trust') notes.push('no POSTGRES_PASSWORD in its environment (a _FILE secret?): the URL has no password; add one')
      const db = piece(['POSTGRES_DB', 'POSTGRESQL_DATABASE'], { fallback: user })
      return { probe: 'postgres', url: `postgres://${auth(user, password)}${at}/${db}` }
    }
    case 'redis': {
      let password = requirePass(s, compose, notes, fallbackEnv)
      password ??= piece(['REDIS_PASSWORD'], { secret: true })
      return { probe: 'redis', url: `redis://${password ? `:${password}@` : ''}${at}/0` }
    }
    case 'rabbitmq': {
      const user = piece(['RABBITMQ_DEFAULT_USER'], { fallback: 'guest' })
      const password = piece(['RABBITMQ_DEFAULT_PASS'], { secret: true, fallback: 'guest' })
      const vhost = piece(['RABBITMQ_DEFAULT_VHOST'], { fallback: '/' })
      if (user === 'guest') notes.push('RabbitMQ\'s guest user may only log in from localhost: through a published port it is refused; set RABBITMQ_DEFAULT_USER')
      return { probe: 'rabbitmq', url: `amqp://${auth(user, password)}${at}${vhost === '/' ? '' : `/${vhost}`}` }
    }
    case 'elasticsearch': {
      const security = piece(['xpack.security.enabled'], { url: false })
      if (security === 'false') return { probe: 'elasticsearch', url: `http://${at}` }
      const password = piece(['ELASTIC_PASSWORD'], { secret: true })
      notes.push('Elasticsearch security is on (the default in 8.x): if it serves HTTPS, change the URL to https:// and add tls.ca_file')
      return { probe: 'elasticsearch', url: `http://${password ? `elastic:${password}@` : ''}${at}` }
    }
    case 'minio': {
      const access = piece(['MINIO_ROOT_USER', 'MINIO_ACCESS_KEY'], { url: false })
      const secret = piece(['MINIO_ROOT_PASSWORD', 'MINIO_SECRET_KEY'], { secret: true, url: false })
      if (!access || !secret) notes.push('no MINIO_ROOT_USER and MINIO_ROOT_PASSWORD in its environment: health only, no bucket checks')
      return { probe: 'minio', url: `http://${at}`, ...(access && secret ? { access_key: access, secret_key: secret } : {}) }
    }
    case 'mongodb':
    case 'mysql':
    case 'nats': {
      const url = kind === 'mongodb' ? mongoUrl(at, piece) : kind === 'mysql' ? mysqlUrl(at, piece) : `nats://${at}`
      if (kinds.has(kind)) return { probe: kind, url }
      notes.push(`no ${kind} probe kind yet: a tcp probe on its port (when it lands: probe: ${kind}, url: ${url})`)
      return { probe: 'tcp', address: at }
    }
    case 'ollama':
      return { probe: 'http', url: `http://${at}/`, expect: { body_contains: 'Ollama is running' } }
    case 'vllm':
      return { probe: 'http', url: `http://${at}/health` }
  }
}

function mongoUrl(at: string, piece: Piece): string {
  const user = piece(['MONGO_INITDB_ROOT_USERNAME', 'MONGODB_ROOT_USER'])
  const password = piece(['MONGO_INITDB_ROOT_PASSWORD', 'MONGODB_ROOT_PASSWORD'], { secret: true })
  return `mongodb://${user ? `${user}${password ? `:${password}` : ''}@` : ''}${at}/${user ? '?authSource=admin' : ''}`
}

function mysqlUrl(at: string, piece: Piece): string {
  const user = piece(['MYSQL_USER', 'MARIADB_USER'], { fallback: 'root' })
  const password = user === 'root' ? piece(['MYSQL_ROOT_PASSWORD', 'MARIADB_ROOT_PASSWORD'], { secret: true }) : piece(['MYSQL_PASSWORD', 'MARIADB_PASSWORD'], { secret: true })
  const db = piece(['MYSQL_DATABASE', 'MARIADB_DATABASE'], { fallback: '' })
  return `mysql://${user}${password ? `:${password}` : ''}@${at}/${db}`
}

/** `redis-server --requirepass X` in the command: X as a reference. */
function requirePass(s: ComposeService, compose: ComposeProject, notes: string[], fallbackEnv: Record<string, string>): string | undefined {
  const raw = s.raw.command
  const words = Array.isArray(raw) ? raw.map(String) : typeof raw === 'string' ? raw.split(/\s+/) : []
  const at = words.indexOf('--requirepass')
  const arg = at >= 0 ? words[at + 1]?.replace(/^["']|["']$/g, '') : undefined
  if (arg === undefined) return undefined
  const r = compose.interpolate(arg)
  const bare = toTemplate(r.parts, false)
  if (r.refs.length > 0 && bare !== undefined) {
    if (bare !== toTemplate(r.parts, true)) {
      notes.push(`the default of the --requirepass password in the compose file is a secret: not copied; the config refers to ${bare}`)
      for (const ref of r.refs) if (compose.env[ref] === undefined) fallbackEnv[ref] = r.value
    }
    return bare
  }
  notes.push('the --requirepass password is written in the compose file itself: not copied; the config refers to ${REDIS_PASSWORD}, so export it (or put it in .env) before groundtruth runs')
  fallbackEnv.REDIS_PASSWORD = r.value
  return '${REDIS_PASSWORD}'
}

const FRONTEND = /(^|[-_.])(web|www|frontend|front|ui|client|portal|dashboard|site|nginx|next)([-_.]|$)/

function appProbe(
  spec: ComposeService['spec'],
  ports: PortMapping[],
  where: (port: number) => string,
  why: string[],
  notes: string[],
  name: string,
): Record<string, unknown> {
  const group = FRONTEND.test(name) || FRONTEND.test(imageName(spec.image ?? '')) ? 'frontend' : 'backend'
  const hc = spec.healthcheck
  const test = hc && !hc.disable ? (Array.isArray(hc.test) ? hc.test.filter((w) => !['CMD', 'CMD-SHELL'].includes(w)).join(' ') : (hc.test ?? '')) : ''
  const found = /https?:\/\/[^\s'"`)]+/.exec(test)?.[0]
  if (found && !test.startsWith('NONE')) {
    let url: URL | undefined
    try {
      url = new URL(found)
    } catch {
      url = undefined
    }
    if (url) {
      const local = ['localhost', '127.0.0.1', '0.0.0.0', '[::1]', '[::]'].includes(url.hostname)
      const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80))
      const at = local ? where(port) : `${url.hostname}:${port}`
      why.push(`http probe from its healthcheck (${url.pathname}${url.search ? '?…' : ''})`)
      if (url.username || url.password) notes.push('the healthcheck URL carries credentials: left out')
      return { group, probe: 'http', url: `${url.protocol}//${at}${url.pathname}${url.search}` }
    }
  }
  const published = ports.find((p) => p.host !== undefined) ?? ports[0]
  const exposed = spec.expose?.map(Number).find(Number.isInteger)
  const port = published?.container ?? exposed
  if (port !== undefined) {
    why.push(`http probe on port ${port}: ${published ? 'published' : 'exposed'}, no healthcheck URL`)
    notes.push('no healthcheck URL in the compose file: probing / (any 2xx); point url at its health endpoint')
    return { group, probe: 'http', url: `http://${where(port)}/` }
  }
  why.push('no port and no healthcheck URL: a worker, judged by its container alone')
  return { group: 'workers', probe: 'container' }
}
