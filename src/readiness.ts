// The readiness model: a service is up when its own probe passed, and ready
// when it is up and everything it depends on (transitively) is ready. A
// dependency that is down explains every service waiting on it.
import type { ServiceConfig } from './config/load.js'
import type { RunResult } from './runner.js'

export interface Readiness {
  /** Undefined until the service has been probed once. */
  up: boolean | undefined
  ready: boolean
  /** Services that are down (or never probed) and on which this one depends, directly or not. */
  rootCauses: string[]
}

export function computeReadiness(services: readonly ServiceConfig[], lastResult: (name: string) => RunResult | undefined): Map<string, Readiness> {
  const byName = new Map(services.map((s) => [s.name, s]))
  const memo = new Map<string, Readiness>()
  const resolve = (name: string): Readiness => {
    const known = memo.get(name)
    if (known) return known
    const up = lastResult(name)?.ok
    const causes = new Set<string>()
    // Config validation rejects cycles, so this recursion ends.
    for (const dep of byName.get(name)?.depends_on ?? []) {
      const r = resolve(dep)
      if (r.up !== true) causes.add(dep)
      for (const c of r.rootCauses) causes.add(c)
    }
    const readiness = { up, ready: up === true && causes.size === 0, rootCauses: [...causes].sort() }
    memo.set(name, readiness)
    return readiness
  }
  return new Map(services.map((s) => [s.name, resolve(s.name)]))
}

export interface Ratios {
  /** Undefined when not every service is covered (a /probe of some services). */
  overall: number | undefined
  groups: Map<string, number>
}

/** Ready services over all services, overall and per group (an empty config is fully ready). */
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
