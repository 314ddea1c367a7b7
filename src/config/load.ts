// Reads, expands and validates a configuration. Every problem found is
// reported at once with the file, the key path and, when the YAML is at
// hand, the line; nothing is started from a config that has a problem.
import { constants, existsSync, type Stats } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { isAlias, isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml'
import { z } from 'zod'
import { bindProbe, type BaseService, type BoundProbe, type ProbeKind, type ProbeKinds } from '../probe.js'
import { withContainer } from '../companion.js'
import { auditedNames } from '../env/audited.js'
import { readDotenvFile } from '../env/dotenv-file.js'
import { environmentKind } from '../env/environment.js'
import { SecretSet } from '../redact.js'
import { defaultDockerHost, type ContainerSetting } from '../settings/container.js'
import { defaultEnvGate, MIGRATION_FINDINGS, type EnvFindingKind, type MigrationFindingKind } from '../settings/findings.js'
import { ConfigError, formatPath, type ConfigProblem } from './errors.js'
import { expandEnv } from './expand.js'
import { baseServiceShape, MAX_NAME_LENGTH, SERVICE_NAME, topLevelSchema, type EnvSourceConfig } from './schema.js'
import { positionOf } from './position.js'

/** A validated service: the common keys, its probe kind's settings, and the kind bound to them. */
export type ServiceConfig = BaseService & Record<string, unknown> & { readonly bound: BoundProbe }

export interface Config {
  file: string
  environment: string
  concurrency: number
  defaults: { interval: number; timeout: number }
  services: ServiceConfig[]
  env: EnvSourceConfig[]
  /** The verdict's gates, defaults resolved (SPEC "The verdict"). */
  gates: { min_ready_ratio: number; env: EnvFindingKind[]; migrations: MigrationFindingKind[] }
  /** Every secret value the config holds, to mask wherever text leaves the process. */
  secrets: SecretSet
  /** Links out: the Grafana dashboard for the page, the runbook base for the alerts. */
  links: { grafana?: string; runbooks?: string }
  /** The probe kinds it was validated against (their collectors are registered even before a service uses them). */
  kinds: ProbeKinds
}

type Env = Record<string, string | undefined>

/** Largest config file read: far beyond any real one, small enough to parse without exhausting memory. */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024
/** Aliases (`*name`) in one file at most. */
export const MAX_ALIASES = 100
/** yaml's `maxAliasCount` (its default): a "billion laughs" of aliases within aliases stops here. */
const MAX_ALIAS_EXPANSION = 100
/** Mappings and lists nested in one another at most: real configs use a handful. */
export const MAX_DEPTH = 32
/** Structure problems listed at most: one deep or alias-ridden file must not produce a flood. */
const MAX_STRUCTURE_PROBLEMS = 10

const EMPTY = 'the file holds no configuration (it is empty, blank, only comments or null); expected a mapping with at least "services:"'

/**
 * Loads a config file. `kinds` is the probe registry it is validated against:
 * the config layer knows the probe interface, never a probe.
 */
export async function loadConfig(file: string, kinds: ProbeKinds, env: Env = process.env): Promise<Config> {
  const text = await readConfigFile(file)
  return parseConfig(text, file, kinds, await withDotenvBeside(file, env))
}

/**
 * The variables `${VAR}` reads: the process environment first, then the
 * `.env` in the config file's directory (the process wins, as with dotenv).
 * No `.env` there is fine; one that cannot be read is a config error.
 */
export async function withDotenvBeside(file: string, env: Env): Promise<Env> {
  const path = join(dirname(file), '.env')
  if (!existsSync(path)) return env
  const read = await readDotenvFile(path)
  if (!read.ok) throw new ConfigError(file, [{ path: '', message: `the .env beside it (${path}) cannot be read: ${read.error}; expected a readable dotenv file or none` }])
  return { ...read.values, ...env }
}

/**
 * The file's text, refused before it can hurt: a FIFO or device (opened
 * without blocking, so a FIFO with no writer cannot hang a reload), a
 * directory, or a file larger than MAX_CONFIG_BYTES (never read past it).
 */
async function readConfigFile(file: string): Promise<string> {
  const refuse = (message: string) => new ConfigError(file, [{ path: '', message }])
  const tooLarge = refuse(`the file is larger than ${MAX_CONFIG_BYTES / 1024 / 1024} MiB; expected a config of at most ${MAX_CONFIG_BYTES} bytes`)
  let handle: FileHandle | undefined
  try {
    handle = await open(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0))
    const info = await handle.stat()
    if (!info.isFile()) throw refuse(`not a regular file (${fileKind(info)}); expected a YAML file`)
    if (info.size > MAX_CONFIG_BYTES) throw tooLarge
    const buffer = Buffer.allocUnsafe(MAX_CONFIG_BYTES + 1)
    let length = 0
    // Read to the end, but never past the limit: the file may grow after the stat.
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length)
      if (bytesRead === 0) break
      length += bytesRead
    }
    if (length > MAX_CONFIG_BYTES) throw tooLarge
    return buffer.toString('utf8', 0, length)
  } catch (err) {
    if (err instanceof ConfigError) throw err
    const code = (err as NodeJS.ErrnoException).code
    throw refuse(code === 'ENOENT' ? 'file not found' : `cannot read the file (${code ?? 'error'})`)
  } finally {
    await handle?.close()
  }
}

function fileKind(info: Stats): string {
  if (info.isDirectory()) return 'a directory'
  if (info.isFIFO()) return 'a named pipe'
  if (info.isSocket()) return 'a socket'
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device'
  return 'not a file'
}

export function parseConfig(text: string, file: string, kinds: ProbeKinds, env: Env = process.env): Config {
  if (Buffer.byteLength(text, 'utf8') > MAX_CONFIG_BYTES) {
    throw new ConfigError(file, [{ path: '', message: `the file is larger than ${MAX_CONFIG_BYTES / 1024 / 1024} MiB; expected a config of at most ${MAX_CONFIG_BYTES} bytes` }])
  }
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false })
  // Depth and aliases are judged on the syntax tree, which exists even when
  // the parser ran out of stack: the problem is then told by its key path.
  const structure = structureProblems(doc, lines)
  const yamlErrors = doc.errors.filter((e) => !(structure.length > 0 && e.code === 'RESOURCE_EXHAUSTION'))
  if (yamlErrors.length > 0 || structure.length > 0) {
    throw new ConfigError(file, [
      // `linePos` is only filled in with prettyErrors, so the position comes from the offset.
      ...yamlErrors.map((e) => {
        const at = lines.linePos(e.pos[0])
        return { path: '', message: `invalid YAML: ${e.message.split('\n')[0]}`, line: at.line, column: at.col }
      }),
      ...structure,
    ])
  }
  // An empty document is a mistake (a truncated file, the wrong path), never a config with nothing to do.
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) throw new ConfigError(file, [{ path: '', message: EMPTY }])
  let raw: unknown
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_EXPANSION })
  } catch (err) {
    if (!(err instanceof ReferenceError)) throw err
    // yaml refuses aliases that expand too far, or that name no anchor.
    throw new ConfigError(file, [{ path: '', message: 'the aliases (*name) nest too deeply into one another (a YAML alias bomb); expected aliases that expand to a config of reasonable size' }])
  }
  const locate = (p: ConfigProblem, path: PropertyKey[]): ConfigProblem => ({ ...p, ...positionOf(doc, lines, path) })
  return validateConfig(raw, file, kinds, env, locate)
}

/** Nesting beyond MAX_DEPTH, more than MAX_ALIASES aliases, and aliases without an anchor before them, each by key path. */
function structureProblems(doc: Document, lines: LineCounter): ConfigProblem[] {
  const problems: ConfigProblem[] = []
  const report = (node: { range?: readonly number[] | null }, path: PropertyKey[], message: string) => {
    if (problems.length >= MAX_STRUCTURE_PROBLEMS) return
    const at = node.range ? lines.linePos(node.range[0]!) : undefined
    problems.push({ path: formatPath(path), message, ...(at ? { line: at.line, column: at.col } : {}) })
  }
  let aliases = 0
  // Iterative, in document order: a deep file must not exhaust the stack here either.
  const stack: { node: unknown; path: PropertyKey[] }[] = [{ node: doc.contents, path: [] }]
  while (stack.length > 0 && problems.length < MAX_STRUCTURE_PROBLEMS) {
    const { node, path } = stack.pop()!
    if (isAlias(node)) {
      aliases++
      if (aliases === MAX_ALIASES + 1) report(node, path, `more than ${MAX_ALIASES} aliases (*name) in the file; expected at most ${MAX_ALIASES}`)
      if (node.resolve(doc) === undefined) report(node, path, `the alias *${node.source} names no anchor; expected an anchor &${node.source} before it in the file`)
      continue
    }
    if (!isMap(node) && !isSeq(node)) continue
    if (path.length >= MAX_DEPTH) {
      report(node, path, `nested more than ${MAX_DEPTH} levels deep; expected at most ${MAX_DEPTH} levels of mappings and lists`)
      continue
    }
    const children: { node: unknown; path: PropertyKey[] }[] = []
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : isAlias(pair.key) ? `*${pair.key.source}` : '?'
        // A complex key (`? [...]`) is a node too, walked under its own name.
        if (isNode(pair.key) && !isScalar(pair.key)) children.push({ node: pair.key, path: [...path, key] })
        children.push({ node: pair.value, path: [...path, key] })
      }
    } else {
      node.items.forEach((item, i) => children.push({ node: item, path: [...path, i] }))
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!)
  }
  return problems
}

/**
 * Validates an already-parsed config object (from YAML or from discovery).
 * `locate` adds file positions when the caller has them.
 */
export function validateConfig(
  raw: unknown,
  file: string,
  kinds: ProbeKinds,
  env: Env = process.env,
  locate: (p: ConfigProblem, path: PropertyKey[]) => ConfigProblem = (p) => p,
): Config {
  const problems: ConfigProblem[] = []
  const report = (path: PropertyKey[], message: string) => problems.push(locate({ path: formatPath(path), message }, path))

  const expanded = expandEnv(raw, env)
  // Unset variables are reported by the key that uses them.
  for (const p of expanded.problems) problems.push(locate(p, pathFromString(p.path)))
  // Messages echo bad values ("got ...", "unknown probe kind ..."), and a bad value
  // may have come from the environment: mask those before the error leaves.
  const fail = () => {
    const mask = new SecretSet()
    for (const value of expanded.substituted) if (looksSecret(value)) mask.add(value)
    return new ConfigError(file, problems.map((p) => ({ ...p, message: mask.redact(p.message) })))
  }

  const top = topLevelSchema.safeParse(expanded.value, { reportInput: true })
  if (!top.success) zodProblems(top.error, [], report)
  // A typo elsewhere in the file must not hide the services' problems: check
  // them against whatever of the top level is usable.
  const rawTop = (expanded.value ?? {}) as { services?: unknown; defaults?: unknown }
  const rawServices = top.success ? top.data.services : Array.isArray(rawTop.services) ? (rawTop.services as unknown[]) : []
  const defaults = top.success ? top.data.defaults : topLevelSchema.shape.defaults.safeParse(rawTop.defaults).data

  const secrets = new SecretSet()
  const services: ServiceConfig[] = []
  const dockerHost = (top.success ? top.data.docker.host : undefined) ?? defaultDockerHost(env)
  // Positions in the file, which differ from `services` when an entry failed validation.
  const indexOf = new Map<ServiceConfig, number>()
  rawServices.forEach((rawService, i) => {
    const service = validateService(rawService, ['services', i], kinds, defaults, report, secrets, dockerHost)
    if (!service) return
    if (service.interval !== undefined && service.timeout > service.interval) {
      report(['services', i, 'timeout'], `expected a timeout no longer than the interval (${service.interval / 1000}s), so runs cannot pile up`)
    }
    services.push(service)
    indexOf.set(service, i)
  })

  checkNamesAndDependencies(services, rawServices, indexOf, report)
  if (top.success) checkNeededVariables(services, indexOf, auditedNames(top.data.env, dirname(file)), report)
  if (problems.length > 0 || !top.success) throw fail()
  // Values that came from the environment may be credentials however they are used.
  for (const value of expanded.substituted) if (looksSecret(value)) secrets.add(value)

  return {
    file,
    environment: top.data.environment,
    concurrency: top.data.concurrency,
    defaults: top.data.defaults,
    services,
    env: top.data.env,
    gates: {
      min_ready_ratio: top.data.gates.min_ready_ratio,
      env: top.data.gates.env ?? defaultEnvGate(environmentKind(top.data.environment) === 'production'),
      migrations: top.data.gates.migrations ?? [...MIGRATION_FINDINGS],
    },
    secrets,
    kinds,
    links: top.data.links,
  }
}

function validateService(
  raw: unknown,
  path: PropertyKey[],
  kinds: ProbeKinds,
  defaults: { interval: number; timeout: number } | undefined,
  report: (path: PropertyKey[], message: string) => void,
  secrets: SecretSet,
  dockerHost: string,
): ServiceConfig | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    report(path, 'expected a mapping with at least "name" and "probe"')
    return undefined
  }
  const probe = (raw as Record<string, unknown>).probe
  const kind = typeof probe === 'string' ? kinds.get(probe) : undefined
  if (!kind) {
    const known = [...kinds.keys()].join(', ')
    // A kind's name is shown when it looks like one (`mysql`); anything else may be a misplaced secret.
    const shown = typeof probe === 'string' && /^[a-z][a-z0-9_-]{0,31}$/.test(probe) ? ` "${probe}"` : ''
    report([...path, 'probe'], probe === undefined ? `missing; expected one of: ${known}` : `unknown probe kind${shown}; expected one of: ${known}`)
    return undefined
  }
  const parsed = serviceSchema(kind).safeParse(raw, { reportInput: true })
  if (!parsed.success) {
    zodProblems(parsed.error, path, report)
    return undefined
  }
  // The schema is the kind's own settings over the common keys, so the data is the kind's settings type.
  const settings = parsed.data as Parameters<typeof kind.run>[0]
  if (defaults) {
    settings.timeout ??= defaults.timeout
    if (settings.schedule === undefined) settings.interval ??= defaults.interval
  }
  kind.secrets?.(settings, secrets)
  const box = settings.container as ContainerSetting | undefined
  if (box) settings.container = { ...box, host: dockerHost }
  // `container:` on any service: its container is judged with it, by the container kind when one is registered.
  const containerKind = kinds.get('container')
  const own = bindProbe(kind, settings)
  if (box && kind !== containerKind && !containerKind) {
    report([...path, 'container'], 'the container probe kind is not registered, so a container cannot be judged')
    return undefined
  }
  const bound = box && containerKind && kind !== containerKind ? withContainer(own, bindProbe(containerKind, settings)) : own
  return Object.assign(settings, { bound })
}

/**
 * A kind's service schema (the common keys and the kind's own), built once
 * per kind: zod compiles a parser for each schema object at its first parse,
 * and building one per service made a config of 10,000 services take 2.3 s
 * (the event loop blocked, at start and at every reload) and 200 MB of heap.
 */
const SCHEMAS = new WeakMap<ProbeKind, ReturnType<typeof buildServiceSchema>>()

export function serviceSchema(kind: ProbeKind): ReturnType<typeof buildServiceSchema> {
  let schema = SCHEMAS.get(kind)
  if (!schema) SCHEMAS.set(kind, (schema = buildServiceSchema(kind)))
  return schema
}

function buildServiceSchema(kind: ProbeKind) {
  return z
    .strictObject({ ...baseServiceShape, ...kind.settings })
    .refine((s) => !(s.interval !== undefined && s.schedule !== undefined), { message: 'expected either "interval" or "schedule", not both', path: ['schedule'] })
}

/** Every `needs_env` variable must be audited by some env source, or nothing would ever judge it. */
function checkNeededVariables(
  services: ServiceConfig[],
  indexOf: Map<ServiceConfig, number>,
  audited: ReturnType<typeof auditedNames>,
  report: (path: PropertyKey[], message: string) => void,
): void {
  for (const s of services) {
    s.needs_env.forEach((name, j) => {
      if (audited.some((a) => a.names.has(name))) return
      const sources = audited.length ? `the env sources (${audited.map((a) => a.source).join(', ')}) do not list it` : 'there is no `env:` source'
      report(['services', indexOf.get(s)!, 'needs_env', j], `${name} is audited by no env source: ${sources}; expected it in a source's \`required\`, its example file or its env file`)
    })
  }
}

function checkNamesAndDependencies(
  services: ServiceConfig[],
  raw: unknown[],
  // Recorded, not looked up by name: a duplicate name would point at the first entry.
  indexOf: Map<ServiceConfig, number>,
  report: (path: PropertyKey[], message: string) => void,
): void {
  const firstByName = new Map<string, number>()
  raw.forEach((r, i) => {
    const name = (r as { name?: unknown } | null)?.name
    if (typeof name !== 'string') return
    const first = firstByName.get(name)
    if (first === undefined) firstByName.set(name, i)
    else report(['services', i, 'name'], `duplicate service name${shownName(name)} (first defined at services[${first}]); expected unique names`)
  })

  const byName = new Map(services.map((s) => [s.name, s]))
  for (const s of services) {
    s.depends_on.forEach((dep, j) => {
      const at = ['services', indexOf.get(s)!, 'depends_on', j]
      if (dep === s.name) report(at, `a service cannot depend on itself`)
      else if (!byName.has(dep) && !firstByName.has(dep)) report(at, `unknown service${shownName(dep)}; expected one of: ${[...firstByName.keys()].filter(isName).join(', ')}`)
    })
  }

  const cycle = findCycle(services, byName)
  if (cycle) {
    const from = byName.get(cycle[0]!)!
    const j = from.depends_on.indexOf(cycle[1]!)
    report(['services', indexOf.get(from)!, 'depends_on', j], `dependency cycle: ${cycle.join(' -> ')}; expected depends_on to form no loop`)
  }
}

/** The first dependency cycle found, as names from a service back to itself. */
export function findCycle(services: ServiceConfig[], byName: Map<string, ServiceConfig>): string[] | undefined {
  const done = new Set<string>()
  const onPath: string[] = []
  const visit = (name: string): string[] | undefined => {
    const at = onPath.indexOf(name)
    if (at >= 0) return [...onPath.slice(at), name]
    if (done.has(name)) return undefined
    onPath.push(name)
    for (const dep of byName.get(name)?.depends_on ?? []) {
      if (dep === name) continue // reported as self-dependency
      const cycle = visit(dep)
      if (cycle) return cycle
    }
    onPath.pop()
    done.add(name)
    return undefined
  }
  for (const s of services) {
    const cycle = visit(s.name)
    if (cycle) return cycle
  }
  return undefined
}

/** A service name may be shown (it is a label everywhere); any other value never is, it may be a misplaced secret. */
function isName(value: string): boolean {
  return value.length <= MAX_NAME_LENGTH && SERVICE_NAME.test(value)
}

function shownName(value: string): string {
  return isName(value) ? ` "${value}"` : ' (not a valid service name)'
}

function zodProblems(error: z.ZodError, prefix: PropertyKey[], report: (path: PropertyKey[], message: string) => void): void {
  for (const issue of error.issues) {
    const path = [...prefix, ...issue.path]
    // Safety net for every kind's messages: the value at fault is never echoed.
    const message = typeof issue.input === 'string' && issue.input !== '' ? withoutValue(issue.message, issue.input) : issue.message
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) report([...path, key], 'unknown key')
    } else if (issue.code === 'invalid_key' && issue.issues.length > 0) {
      // A record's key (a header name ...) told by what its own schema expected.
      for (const inner of issue.issues) report(path, inner.message)
    } else if (issue.code === 'invalid_type' && issue.input === undefined) {
      report(path, `missing; expected ${issue.expected}`)
    } else if (issue.code === 'invalid_union' && 'errors' in issue) {
      report(path, message === 'Invalid input' ? describeUnion(issue) : message)
    } else {
      report(path, message)
    }
  }
}

function withoutValue(message: string, value: string): string {
  let out = message
  for (const quoted of new Set([JSON.stringify(value), `"${value}"`])) {
    out = out.split(`, got ${quoted}`).join('').split(` got ${quoted}`).join('').split(quoted).join('the value')
  }
  if (value.length >= 4) out = out.split(value).join('***')
  return out
}

function describeUnion(issue: z.core.$ZodIssueInvalidUnion): string {
  const expected = issue.errors.flatMap((branch) => branch.filter((i) => i.code === 'invalid_type').map((i) => (i as z.core.$ZodIssueInvalidType).expected))
  return expected.length ? `expected ${[...new Set(expected)].join(' or ')}` : 'invalid value'
}

function pathFromString(path: string): PropertyKey[] {
  return [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map(([, key, index]) => (index !== undefined ? Number(index) : key!))
}

function looksSecret(value: string): boolean {
  // Long opaque strings without spaces: passwords, tokens, whole URLs with credentials.
  return value.length >= 8 && !/\s/.test(value) && !/^\d+$/.test(value) && !/^(true|false)$/i.test(value)
}
