// Who is held back by whom: a service waits on another when one of its
// causes is a `dependency` naming it. The status document's findings ("holds
// back api and web"), the page and the report all ask this of every service,
// so the answer comes from one index built per list of services: a scan of
// every service per service made a page of 4,000 services take 0.4 s.
import type { Cause } from '../readiness.js'

/** What the index reads of a service (the status document's ServiceStatus has it). */
export interface Waiting {
  name: string
  causes: readonly Cause[]
}

/** For these services: the ones not ready because they wait on `name`, directly or through others, in the services' order. */
export function heldBackIndex(services: readonly Waiting[]): (name: string) => string[] {
  const dependents = new Map<string, string[]>()
  for (const s of services) {
    for (const c of s.causes) {
      if (c.cause !== 'dependency') continue
      for (const d of c.services) {
        const list = dependents.get(d)
        if (list) list.push(s.name)
        else dependents.set(d, [s.name])
      }
    }
  }
  const position = new Map(services.map((s, i) => [s.name, i]))
  return (name) => {
    const blocked = new Set<string>()
    const queue = [name]
    for (let n = queue.pop(); n !== undefined; n = queue.pop()) {
      for (const d of dependents.get(n) ?? []) {
        if (d === name || blocked.has(d)) continue
        blocked.add(d)
        queue.push(d)
      }
    }
    return [...blocked].sort((a, b) => position.get(a)! - position.get(b)!)
  }
}
