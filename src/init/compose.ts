// Reading a compose file as `docker compose` does: YAML anchors and merge
// keys, `.env` beside the file for interpolation (the process environment
// wins), `extends` (same file or another), `profiles` (COMPOSE_PROFILES), and
// the keys the compose specification knows. A problem is reported with the
// file, the key path and what was expected, never with a value (values may be
// secrets).
import { readFileSync } from 'node:fs'
import { basename, dirname, resolve } from 'node:path'
import { parse as parseDotenv } from 'dotenv'
import { LineCounter, parseDocument } from 'yaml'
import { z } from 'zod'
import { ConfigError, formatPath, type ConfigProblem } from '../config/errors.js'
import { interpolate, type Interpolated } from './interpolate.js'
import { positionOf } from '../config/position.js'

type Env = Record<string, string | undefined>

/** The file names compose looks for, in its order of preference. */
export const COMPOSE_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'] as const

const TOP_KEYS = new Set(['version', 'name', 'services', 'networks', 'volumes', 'configs', 'secrets', 'include', 'models'])

const SERVICE_KEYS = new Set(
  (
    'annotations attach blkio_config build cap_add cap_drop cgroup cgroup_parent command configs container_name cpu_count cpu_percent ' +
    'cpu_period cpu_quota cpu_rt_period cpu_rt_runtime cpu_shares cpus cpuset credential_spec depends_on deploy develop ' +
    'device_cgroup_rules devices dns dns_opt dns_search domainname driver_opts entrypoint env_file environment expose extends ' +
    'external_links extra_hosts gpus group_add healthcheck hostname image init ipc isolation labels label_file links logging ' +
    'mac_address mem_limit mem_reservation mem_swappiness memswap_limit models network_mode networks oom_kill_disable oom_score_adj ' +
    'pid pids_limit platform ports post_start pre_stop privileged profiles provider pull_policy pull_refresh_after read_only restart ' +
    'runtime scale secrets security_opt shm_size stdin_open stop_grace_period stop_signal storage_opt sysctls tmpfs tty ulimits ' +
    'use_api_socket user userns_mode uts volumes volumes_from working_dir'
  ).split(' '),
)

const HEALTHCHECK_KEYS = new Set(['test', 'interval', 'timeout', 'retries', 'start_period', 'start_interval', 'disable'])

const stringList = z.array(z.union([z.string(), z.number()]).transform(String))
const stringOrList = z.union([z.string(), stringList])
const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()])

const serviceSchema = z.looseObject({
  image: z.string().optional(),
  build: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
  container_name: z.string().optional(),
  command: z.union([stringOrList, z.null()]).optional(),
  entrypoint: z.union([stringOrList, z.null()]).optional(),
  environment: z.union([z.record(z.string(), scalar), z.array(z.string())]).optional(),
  env_file: z
    .union([z.string(), z.array(z.union([z.string(), z.looseObject({ path: z.string(), required: z.boolean().optional() })]))])
    .optional(),
  ports: z.array(z.union([z.string(), z.number(), z.looseObject({ target: z.union([z.number(), z.string()]), published: z.union([z.number(), z.string()]).optional(), host_ip: z.string().optional(), protocol: z.string().optional() })])).optional(),
  expose: z.array(z.union([z.string(), z.number()])).optional(),
  depends_on: z.union([z.array(z.string()), z.record(z.string(), z.unknown())]).optional(),
  healthcheck: z
    .looseObject({ test: z.union([z.string(), z.array(z.string())]).optional(), disable: z.boolean().optional() })
    .optional(),
  profiles: z.array(z.string()).optional(),
  network_mode: z.string().optional(),
  scale: z.union([z.number(), z.string()]).optional(),
  deploy: z.looseObject({ replicas: z.union([z.number(), z.string()]).optional() }).nullish(),
})

export type ComposeServiceRaw = z.infer<typeof serviceSchema>

export interface ComposeService {
  name: string
  /** The service as compose resolves it (interpolated, extends merged). */
  spec: ComposeServiceRaw
  /** The same strings before interpolation, for writing references instead of values. */
  raw: Record<string, unknown>
}

export interface ComposeProject {
  file: string
  dir: string
  /** The project name, normalised as compose v2 does. */
  project: string
  /** Where the project name came from. */
  projectFrom: string
  services: ComposeService[]
  /** Services left out because none of their profiles is active. */
  skipped: Array<{ name: string; profiles: string[] }>
  /** The variables interpolation saw: the `.env` beside the file under the process environment. */
  env: Env
  /** The `.env` beside the compose file, when there is one. */
  dotenv?: Record<string, string>
  /** Interpolates one raw string as compose would. */
  interpolate(text: string): Interpolated
  /** Variables used without value nor default, and `${VAR:?}` ones unset. */
  unset: string[]
  required: string[]
}

/** The compose file in `dir` that compose itself would pick, if any. */
export function findComposeFile(dir: string, exists: (path: string) => boolean): string | undefined {
  return COMPOSE_FILES.map((f) => resolve(dir, f)).find(exists)
}

export function readComposeFile(file: string, processEnv: Env): ComposeProject {
  const dir = dirname(file)
  const dotenv = readDotenv(resolve(dir, '.env'))
  const env: Env = { ...dotenv, ...processEnv }
  const top = parseYaml(file)
  const problems: ConfigProblem[] = []
  const report = (path: PropertyKey[], message: string) => problems.push({ path: formatPath(path), message, ...top.position(path) })

  const root = top.value
  if (root === null || typeof root !== 'object' || Array.isArray(root)) {
    throw new ConfigError(file, [{ path: '', message: 'expected a compose file: a mapping with "services"' }])
  }
  for (const key of Object.keys(root)) if (!TOP_KEYS.has(key) && !key.startsWith('x-')) report([key], `unknown compose top-level key; expected one of ${[...TOP_KEYS].join(', ')} or an x- extension`)
  const rawServices = (root as Record<string, unknown>).services
  if (rawServices === null || typeof rawServices !== 'object' || Array.isArray(rawServices)) {
    report(['services'], 'expected a mapping of service names to services')
    throw new ConfigError(file, problems)
  }
  if ('include' in root) report(['include'], 'include is not supported by groundtruth init; merge the included files with `docker compose config > compose.resolved.yml` and pass --from compose.resolved.yml')

  const unset = new Set<string>()
  const required = new Set<string>()
  const interp = (text: string) => {
    const r = interpolate(text, env)
    r.unset.forEach((n) => unset.add(n))
    r.required.forEach((n) => required.add(n))
    return r
  }

  const byName = rawServices as Record<string, unknown>
  const resolvedRaw = new Map<string, Record<string, unknown>>()
  const extendsFiles = new Map<string, Record<string, unknown>>()
  for (const name of Object.keys(byName)) {
    const raw = resolveExtends(name, byName, [name], ['services', name], file, extendsFiles, interp, report, new Set())
    if (raw) resolvedRaw.set(name, raw)
  }

  const services: ComposeService[] = []
  for (const [name, raw] of resolvedRaw) {
    const path = ['services', name]
    checkServiceKeys(raw, path, report)
    const resolved = mapStrings(raw, (s) => interp(s).value)
    const parsed = serviceSchema.safeParse(resolved)
    if (!parsed.success) {
      for (const issue of parsed.error.issues) report([...path, ...issue.path], `expected ${describeIssue(issue)}`)
      continue
    }
    services.push({ name, spec: parsed.data, raw })
  }
  const name = interpolateTop(root as Record<string, unknown>, interp)
  if (problems.length > 0) throw new ConfigError(file, problems)

  const activeProfiles = new Set((env.COMPOSE_PROFILES ?? '').split(',').map((p) => p.trim()).filter(Boolean))
  const enabled = (s: ComposeService) => !s.spec.profiles?.length || activeProfiles.has('*') || s.spec.profiles.some((p) => activeProfiles.has(p))
  const { project, from } = projectName(name, env, dir)
  return {
    file,
    dir,
    project,
    projectFrom: from,
    services: services.filter(enabled),
    skipped: services.filter((s) => !enabled(s)).map((s) => ({ name: s.name, profiles: s.spec.profiles! })),
    env,
    dotenv,
    interpolate: (text) => interpolate(text, env),
    unset: [...unset].sort(),
    required: [...required].sort(),
  }
}

function interpolateTop(root: Record<string, unknown>, interp: (s: string) => Interpolated): string | undefined {
  return typeof root.name === 'string' ? interp(root.name).value : undefined
}

/**
 * Compose v2's project name: `name:`, else COMPOSE_PROJECT_NAME, else the
 * directory's name; lower-cased, keeping [a-z0-9_-], leading "_" and "-" dropped.
 */
export function projectName(name: string | undefined, env: Env, dir: string): { project: string; from: string } {
  const [value, from] = name ? [name, 'the compose file\'s name:'] : env.COMPOSE_PROJECT_NAME ? [env.COMPOSE_PROJECT_NAME, 'COMPOSE_PROJECT_NAME'] : [basename(dir), 'the directory name']
  return { project: normaliseProjectName(value), from }
}

export function normaliseProjectName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '')
    .replace(/^[_-]+/, '')
}

function readDotenv(path: string): Record<string, string> | undefined {
  try {
    return parseDotenv(readFileSync(path))
  } catch {
    return undefined
  }
}

interface ParsedYaml {
  value: unknown
  position(path: PropertyKey[]): { line?: number; column?: number }
}

function parseYaml(file: string): ParsedYaml {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new ConfigError(file, [{ path: '', message: code === 'ENOENT' ? 'file not found' : `cannot read the file (${code ?? 'error'})` }])
  }
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, merge: true, uniqueKeys: true, prettyErrors: false })
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => {
        const at = lines.linePos(e.pos[0])
        return { path: '', message: `invalid YAML: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+.*$/, '')}`, line: at.line, column: at.col }
      }),
    )
  }
  let value: unknown
  try {
    value = doc.toJS({ maxAliasCount: 10_000 })
  } catch (err) {
    throw new ConfigError(file, [{ path: '', message: `invalid YAML: ${(err as Error).message.split('\n')[0]}` }])
  }
  return { value, position: (path) => positionOf(doc, lines, path) }
}

function checkServiceKeys(raw: Record<string, unknown>, path: PropertyKey[], report: (path: PropertyKey[], message: string) => void): void {
  for (const key of Object.keys(raw)) {
    if (!SERVICE_KEYS.has(key) && !key.startsWith('x-')) report([...path, key], 'unknown compose service key')
  }
  const hc = raw.healthcheck
  if (hc && typeof hc === 'object' && !Array.isArray(hc)) {
    for (const key of Object.keys(hc)) if (!HEALTHCHECK_KEYS.has(key)) report([...path, 'healthcheck', key], `unknown healthcheck key; expected one of ${[...HEALTHCHECK_KEYS].join(', ')}`)
  }
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type') return issue.expected
  if (issue.code === 'invalid_union') return 'a value of another type (see the compose specification)'
  return issue.message
}

/** A service with its `extends` chain merged in, before interpolation (compose merges first). */
function resolveExtends(
  name: string,
  services: Record<string, unknown>,
  chain: string[],
  path: PropertyKey[],
  file: string,
  files: Map<string, Record<string, unknown>>,
  interp: (s: string) => Interpolated,
  report: (path: PropertyKey[], message: string) => void,
  seen: Set<string>,
): Record<string, unknown> | undefined {
  const raw = services[name]
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    // `db:` with nothing under it is a service of defaults in compose.
    if (raw === null) return {}
    report(path, 'expected a mapping (the service\'s definition)')
    return undefined
  }
  const service = raw as Record<string, unknown>
  const ext = service.extends
  if (ext === undefined) return service
  const target = typeof ext === 'string' ? { service: ext } : ext
  if (!target || typeof target !== 'object' || typeof (target as { service?: unknown }).service !== 'string') {
    report([...path, 'extends'], 'expected a service name or { service, file }')
    return undefined
  }
  const { service: baseName, file: baseFile } = target as { service: string; file?: unknown }
  let pool = services
  let poolFile = file
  if (baseFile !== undefined) {
    if (typeof baseFile !== 'string') {
      report([...path, 'extends', 'file'], 'expected a file path')
      return undefined
    }
    poolFile = resolve(dirname(file), interp(baseFile).value)
    let other = files.get(poolFile)
    if (!other) {
      let doc: unknown
      try {
        doc = parseYaml(poolFile).value
      } catch (err) {
        report([...path, 'extends', 'file'], (err as ConfigError).problems.map((p) => p.message).join('; ') + ` (${poolFile})`)
        return undefined
      }
      other = ((doc as { services?: unknown } | null)?.services ?? {}) as Record<string, unknown>
      files.set(poolFile, other)
    }
    pool = other
  }
  const key = `${poolFile}#${baseName}`
  if (seen.has(key)) {
    report([...path, 'extends'], `extends cycle: ${[...chain, baseName].join(' -> ')}`)
    return undefined
  }
  if (!(baseName in pool)) {
    report([...path, 'extends', 'service'], `no service "${baseName}" to extend${baseFile !== undefined ? ` in ${poolFile}` : ''}`)
    return undefined
  }
  const base = resolveExtends(baseName, pool, [...chain, baseName], path, poolFile, files, interp, report, new Set([...seen, `${file}#${name}`, key]))
  if (!base) return undefined
  const { extends: _dropped, ...own } = service
  void _dropped
  // `depends_on` is not inherited (compose: "never shared with extends").
  const { depends_on: _deps, ...inherited } = base
  void _deps
  return mergeService(inherited, own)
}

const APPENDED = new Set(['ports', 'expose', 'env_file', 'dns', 'dns_search', 'tmpfs', 'cap_add', 'cap_drop', 'volumes', 'devices', 'extra_hosts', 'external_links', 'security_opt'])

/** Compose's merge: mappings merge key by key, some lists append, the rest is replaced. */
export function mergeService(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base }
  for (const [key, value] of Object.entries(over)) {
    const prev = out[key]
    if (key === 'environment' || key === 'labels') out[key] = { ...asMapping(prev), ...asMapping(value) }
    else if (APPENDED.has(key) && Array.isArray(prev) && Array.isArray(value)) out[key] = [...new Set([...prev, ...value])]
    else if (isPlainObject(prev) && isPlainObject(value) && key !== 'command' && key !== 'entrypoint') out[key] = mergeService(prev, value)
    else out[key] = value
  }
  return out
}

/** `environment` in either form, as a mapping (`- KEY` alone is KEY: null, passed from the host). */
export function asMapping(value: unknown): Record<string, unknown> {
  if (Array.isArray(value)) {
    return Object.fromEntries(
      value.map((entry) => {
        const text = String(entry)
        const eq = text.indexOf('=')
        return eq < 0 ? [text, null] : [text.slice(0, eq), text.slice(eq + 1)]
      }),
    )
  }
  return isPlainObject(value) ? value : {}
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function mapStrings(value: unknown, fn: (s: string) => string): unknown {
  if (typeof value === 'string') return fn(value)
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, fn))
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, fn)]))
  return value
}
