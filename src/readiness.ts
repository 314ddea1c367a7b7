// The readiness model (SPEC "Up and ready"): a service is up when its own
// probe passed (debounced by its thresholds), and ready when it is up, every
// service it depends on is ready, every variable it `needs_env` is configured
// and its own findings (pending migrations ...) do not hold it back. Each
// reason it is not ready is a cause, as data: the metrics carry the cause's
// name, /status and the reports its detail.
import type { ServiceConfig } from './config/load.js'
import type { EnvSourceFinding, EnvState } from './env/audit.js'
import type { Finding } from './probe.js'

/** The bounded set of causes (`groundtruth_service_not_ready{cause}`). */
export const CAUSES = ['down', 'dependency', 'env', 'migrations'] as const
export type CauseName = (typeof CAUSES)[number]

/** A needed variable that is not configured, and where. */
export interface UnconfiguredVariable {
  name: string
  /** The worst state it has in any audited source; `unaudited` before the first audit or when no source lists it. */
  state: Exclude<EnvState, 'configured'> | 'unaudited'
  /** The sources where it has that state. */
  sources: string[]
  rule?: string
}

export type Cause =
  | { cause: 'down'; detail: string }
  | { cause: 'dependency'; detail: string; /** Direct dependencies not ready. */ services: string[]; /** Down services at the root of it. */ roots: string[] }
  | { cause: 'env'; detail: string; variables: UnconfiguredVariable[] }
  | { cause: 'migrations'; detail: string; findings: Finding[] }

export interface Readiness {
  /** Undefined until the service has been probed once. */
  up: boolean | undefined
  ready: boolean
  /** Services that are down (or never probed) and on which this one depends, directly or not. */
  rootCauses: string[]
  /** Every cause that keeps it from ready, in the order of CAUSES; empty when ready (or never probed). */
  causes: Cause[]
}

export interface ReadinessFacts {
  /** The service's debounced up state; undefined before its first result. */
  up(name: string): boolean | undefined
  /** Why it is down, when it is (the last failure's reason and error). */
  downDetail(name: string): string
  /** Findings of its last run (they block it when `blocksReady`). */
  findings(name: string): readonly Finding[]
  /** The last env audit. */
  env: readonly EnvSourceFinding[]
}

/** Readiness of every service, or only of `only` (and what they depend on, on the way). */
export function computeReadiness(services: readonly ServiceConfig[] | ReadonlyMap<string, ServiceConfig>, facts: ReadinessFacts, only?: readonly string[]): Map<string, Readiness> {
  // A store that judges after every result passes its own index: no map rebuilt per result.
  const byName: ReadonlyMap<string, ServiceConfig> = services instanceof Map ? services : new Map((services as readonly ServiceConfig[]).map((s) => [s.name, s]))
  const envState = envIndex(facts.env)
  const memo = new Map<string, Readiness>()
  const resolve = (name: string): Readiness => {
    const known = memo.get(name)
    if (known) return known
    const service = byName.get(name)
    const up = facts.up(name)
    const roots = new Set<string>()
    const notReady: string[] = []
    // Config validation rejects cycles, so this recursion ends.
    for (const dep of service?.depends_on ?? []) {
      const r = resolve(dep)
      if (r.up !== true) roots.add(dep)
      for (const c of r.rootCauses) roots.add(c)
      if (!r.ready) notReady.push(dep)
    }
    const causes: Cause[] = []
    if (up !== undefined) {
      if (!up) causes.push({ cause: 'down', detail: facts.downDetail(name) })
      if (notReady.length) causes.push(dependencyCause(notReady, [...roots].sort()))
      const variables = (service?.needs_env ?? []).flatMap((v) => envState(v) ?? [])
      if (variables.length) causes.push({ cause: 'env', detail: variables.map(describeVariable).join('; '), variables })
      const blocking = facts.findings(name).filter((f) => f.blocksReady)
      if (blocking.length) causes.push({ cause: 'migrations', detail: blocking.map((f) => f.summary).join('; '), findings: blocking })
    }
    const readiness = { up, ready: up === true && causes.length === 0, rootCauses: [...roots].sort(), causes }
    memo.set(name, readiness)
    return readiness
  }
  return new Map((only ?? [...byName.keys()]).map((name) => [name, resolve(name)]))
}

function dependencyCause(services: string[], roots: string[]): Cause {
  const waits = `waits on ${services.join(', ')} (not ready)`
  const rootsText = roots.length && roots.join() !== services.join() ? `; down at the root: ${roots.join(', ')}` : ''
  return { cause: 'dependency', detail: waits + rootsText, services, roots }
}

const STATE_WORDS: Record<UnconfiguredVariable['state'], string> = {
  placeholder: 'holds a placeholder',
  missing: 'is missing',
  weak: 'is weak',
  unaudited: 'has not been audited yet',
}

export function describeVariable(v: UnconfiguredVariable): string {
  const where = v.sources.length ? ` in ${v.sources.join(', ')}` : ''
  return `${v.name} ${STATE_WORDS[v.state]}${where}${v.rule ? ` (${v.rule.replace(/_/g, ' ')})` : ''}`
}

/** Worst first: a placeholder is a template nobody filled in; weak at least holds a value. */
const SEVERITY: Record<UnconfiguredVariable['state'], number> = { placeholder: 3, missing: 2, weak: 1, unaudited: 0 }

/** The index of each env audit, built once: the store judges readiness after every result, the audit changes once a round. */
const ENV_INDEXES = new WeakMap<readonly EnvSourceFinding[], (name: string) => UnconfiguredVariable | undefined>()

/** For each variable, its worst unconfigured state across the audited sources (undefined when configured everywhere). */
function envIndex(env: readonly EnvSourceFinding[]): (name: string) => UnconfiguredVariable | undefined {
  let lookup = ENV_INDEXES.get(env)
  if (!lookup) ENV_INDEXES.set(env, (lookup = buildEnvIndex(env)))
  return lookup
}

function buildEnvIndex(env: readonly EnvSourceFinding[]): (name: string) => UnconfiguredVariable | undefined {
  const index = new Map<string, UnconfiguredVariable | null>()
  for (const source of env) {
    for (const v of source.variables) {
      const known = index.get(v.name)
      if (v.state === 'configured') {
        if (known === undefined) index.set(v.name, null)
        continue
      }
      if (!known || SEVERITY[v.state] > SEVERITY[known.state]) index.set(v.name, { name: v.name, state: v.state, sources: [source.source], ...(v.rule ? { rule: v.rule } : {}) })
      else if (known.state === v.state) known.sources.push(source.source)
    }
  }
  return (name) => {
    const found = index.get(name)
    if (found === null) return undefined
    return found ?? { name, state: 'unaudited', sources: [] }
  }
}

export interface Ratios {
  /** Undefined when not every service is covered (a /probe of some services). */
  overall: number | undefined
  groups: Map<string, number>
}

/** Ready services over all services, overall and per group (an empty config has nothing broken; the gates say it has nothing configured). */
export function readyRatios(services: readonly ServiceConfig[], readiness: Map<string, Readiness>): Ratios {
  const groups = new Map<string, { ready: number; total: number }>()
  let ready = 0
  for (const s of services) {
    const g = groups.get(s.group) ?? { ready: 0, total: 0 }
    g.total++
    if (readiness.get(s.name)?.ready) {
      g.ready++
      ready++
    }
    groups.set(s.group, g)
  }
  return {
    overall: services.length ? ready / services.length : 1,
    groups: new Map([...groups].map(([name, g]) => [name, g.ready / g.total])),
  }
}
