// The latest result and the running counts of every configured service, and
// the latest findings of the other periodic jobs (the env audit): the single
// source of truth. /metrics, /status, the page, `check` and `report` all read
// one snapshot of it.
import type { ServiceConfig } from './config/load.js'
import type { EnvSourceFinding } from './env/audit.js'
import { REASONS, type FactRow, type Reason } from './probe.js'
import { RunHistory, type ServiceState } from './history.js'
import { computeReadiness, readyRatios, type Ratios, type Readiness, type ReadinessFacts } from './readiness.js'
import type { RunResult } from './runner.js'

export { HISTORY_SIZE, type HistoryEntry, type ServiceState } from './history.js'

export interface ServiceRecord {
  config: ServiceConfig
  /** Where the probe points, without credentials. */
  target: string
  /** The raw last run (its `ok` is this run's, not the debounced state). */
  last?: RunResult
  /** Up after `failure_threshold` / `success_threshold` debouncing; undefined before the first run. */
  up?: boolean
  consecutiveFailures: number
  consecutiveSuccesses: number
  lastSuccessAt?: number
  /** The last failed run: why the service is down, while its state says so. */
  lastFailure?: RunResult
  probes: number
  failures: Record<Reason, number>
  /** Debounced up↔down flips. */
  stateChanges: number
  /** ready / not ready / down, and since when (epoch ms). */
  state: ServiceState
  stateSince?: number
  /** The last runs, at most HISTORY_SIZE (absent before the first run). */
  history?: RunHistory
  /**
   * Bumped by every result and whenever its verdict (ready, the causes'
   * names) or its state changes: everything /metrics shows of a service.
   * What was rendered of it at an equal revision is still right
   * (src/exposition/services.ts; test/exposition/row-reuse.test.ts).
   */
  revision: number
}

export interface Snapshot {
  records: ServiceRecord[]
  readiness: Map<string, Readiness>
  ratios: Ratios
  /** Every service has been probed at least once. */
  complete: boolean
  /** The last env audit, one finding per configured source (names and states, never values). */
  env: EnvSourceFinding[]
}

/**
 * Each service's facts from its last run, for the collectors of the probe
 * kinds; a run that found none (most do: facts are TLS, migrations,
 * containers) gives no row, so no kind's series walks it at every scrape.
 */
export function factRows(snapshot: Snapshot): FactRow[] {
  const rows: FactRow[] = []
  for (const r of snapshot.records) if (r.last && hasAny(r.last.facts)) rows.push({ service: r.config.name, group: r.config.group, facts: r.last.facts })
  return rows
}

function hasAny(facts: object): boolean {
  for (const _ in facts) return true
  return false
}

export function stateOf(up: boolean | undefined, readiness: Readiness | undefined): ServiceState {
  return up === undefined ? 'pending' : !up ? 'down' : readiness?.ready ? 'ready' : 'not_ready'
}

export class ResultStore {
  #records = new Map<string, ServiceRecord>()
  #env: EnvSourceFinding[] = []
  /** Who depends on whom, reversed: a result changes the state of its service and of everything that waits on it. */
  #dependents = new Map<string, string[]>()
  #configs = new Map<string, ServiceConfig>()
  /** Service names by group, for the ratios of a /probe that covers whole groups. */
  #groups = new Map<string, string[]>()
  /**
   * Every service's readiness, kept current by #refreshStates: every change
   * of a fact readiness reads (a result, the env audit, the service list)
   * already judges what it affects there, so a scrape copies this instead of
   * judging all services again (at 1,000 services that was a third of a
   * /metrics render, and most of what its garbage collections had to move).
   */
  #readiness = new Map<string, Readiness>()
  /** What the store itself judges on (no fresh results), built once per env audit rather than once per result. */
  #ownFacts: ReadinessFacts | undefined

  /**
   * Adopts a (re)loaded service list. Counters and states of services that
   * remain are kept, so a reload is not a counter reset; removed services disappear.
   */
  setServices(services: readonly ServiceConfig[]): void {
    const next = new Map<string, ServiceRecord>()
    for (const config of services) {
      const old = this.#records.get(config.name)
      const keep = old && old.config.probe === config.probe
      const target = config.bound.target
      next.set(config.name, keep ? { ...old, config, target } : { config, target, probes: 0, failures: zeroFailures(), stateChanges: 0, consecutiveFailures: 0, consecutiveSuccesses: 0, state: 'pending', revision: 0 })
    }
    this.#records = next
    this.#configs = new Map(services.map((s) => [s.name, s]))
    this.#dependents = new Map()
    this.#groups = new Map()
    this.#readiness = new Map()
    for (const s of services) {
      push(this.#groups, s.group, s.name)
      for (const dep of s.depends_on) push(this.#dependents, dep, s.name)
    }
    this.#refreshStates(services.map((s) => s.name), Date.now())
  }

  /** Records a finished run; a result for a service no longer configured is dropped. */
  record(result: RunResult): void {
    const rec = this.#records.get(result.service)
    if (!rec) return
    rec.revision++
    rec.probes++
    if (result.ok) {
      rec.lastSuccessAt = result.finishedAt
      rec.consecutiveSuccesses++
      rec.consecutiveFailures = 0
    } else {
      rec.failures[result.reason ?? 'error']++
      rec.lastFailure = result
      rec.consecutiveFailures++
      rec.consecutiveSuccesses = 0
    }
    // Debounced, as Gatus' thresholds: one failure does not take an up service down unless failure_threshold is 1.
    const was = rec.up
    if (was === undefined) rec.up = result.ok
    else if (was && rec.consecutiveFailures >= rec.config.failure_threshold) rec.up = false
    else if (!was && rec.consecutiveSuccesses >= rec.config.success_threshold) rec.up = true
    if (was !== undefined && was !== rec.up) rec.stateChanges++
    rec.last = result
    this.#refreshStates(this.#affectedBy(result.service), result.finishedAt)
    ;(rec.history ??= new RunHistory()).push({ at: result.finishedAt, ok: result.ok, state: rec.state })
  }

  /** Keeps the latest env audit; `needs_env` makes it part of readiness. */
  recordEnv(findings: EnvSourceFinding[], at = Date.now()): void {
    this.#env = findings
    this.#ownFacts = undefined
    this.#refreshStates([...this.#records.keys()], at)
  }

  get(name: string): ServiceRecord | undefined {
    return this.#records.get(name)
  }

  services(): ServiceConfig[] {
    return [...this.#records.values()].map((r) => r.config)
  }

  snapshot(): Snapshot {
    const records = [...this.#records.values()]
    // A copy: a snapshot keeps the readiness it was taken with.
    const readiness = new Map(this.#readiness)
    return { records, readiness, ratios: readyRatios(records.map((r) => r.config), readiness), complete: records.every((r) => r.last !== undefined), env: this.#env }
  }

  /**
   * A snapshot of just the given fresh results (for /probe): only the
   * `shown` services appear (all of `fresh` when not given), judged on these
   * raw results (a one-off run has nothing to debounce), their readiness
   * against the fresh results of the others (their dependencies, measured in
   * the same /probe) and the last known state of everything else. Counters
   * are not part of it.
   */
  snapshotWith(fresh: readonly RunResult[], shown?: readonly string[]): Snapshot {
    const byName = new Map(fresh.map((r) => [r.service, r]))
    // Dependencies measured only for readiness are not shown: under sharding
    // their own replica exports them, and a second copy would double-count.
    const wanted = shown && new Set(shown)
    const visible = wanted ? fresh.filter((r) => wanted.has(r.service)) : fresh
    const shownSet = new Set(visible.map((r) => r.service))
    // Only the shown services and what they depend on are judged: a /probe costs what it asks for, not the whole config.
    const readiness = computeReadiness(this.#configs, this.#facts(byName), visible.map((r) => r.service))
    const records = visible.map((result): ServiceRecord => {
      const rec = this.#records.get(result.service)!
      return { ...rec, last: result, up: result.ok, lastFailure: result.ok ? rec.lastFailure : result, lastSuccessAt: result.ok ? result.finishedAt : rec.lastSuccessAt, state: stateOf(result.ok, readiness.get(result.service)) }
    })
    // Ratios only where the probed set covers the whole group (or everything):
    // a ratio over part of a group would be a number nobody asked for.
    const groups = new Map<string, number>()
    for (const group of new Set(records.map((r) => r.config.group))) {
      const members = this.#groups.get(group) ?? []
      if (members.every((n) => shownSet.has(n))) groups.set(group, members.filter((n) => readiness.get(n)?.ready).length / members.length)
    }
    const overall = this.#records.size > 0 && [...this.#records.keys()].every((n) => shownSet.has(n)) ? records.filter((r) => readiness.get(r.config.name)?.ready).length / this.#records.size : undefined
    return { records, readiness, ratios: { overall, groups }, complete: true, env: this.#env }
  }

  /** What readiness is judged on: the debounced state, or a fresh raw result where one is given. */
  #facts(fresh: ReadonlyMap<string, RunResult>): ReadinessFacts {
    const lastOf = (name: string) => fresh.get(name) ?? this.#records.get(name)?.last
    return {
      up: (name) => (fresh.has(name) ? fresh.get(name)!.ok : this.#records.get(name)?.up),
      downDetail: (name) => {
        const failed = fresh.get(name) ?? this.#records.get(name)?.lastFailure
        if (!failed) return 'down'
        const reason = failed.reason ?? 'error'
        const error = failed.error ?? 'failed'
        // "status: got 503" already says its reason: no "status: status: …".
        return error.startsWith(`${reason}:`) ? error : `${reason}: ${error}`
      },
      findings: (name) => lastOf(name)?.findings ?? [],
      env: this.#env,
    }
  }

  /** The service and everything that depends on it, directly or not. */
  #affectedBy(name: string): string[] {
    const seen = new Set([name])
    const queue = [name]
    for (let n = queue.shift(); n !== undefined; n = queue.shift()) {
      for (const d of this.#dependents.get(n) ?? []) if (!seen.has(d)) seen.add(d), queue.push(d)
    }
    return [...seen]
  }

  /** Moves each named service to its current state, noting when it changed ("down for 3 h"). */
  #refreshStates(names: readonly string[], at: number): void {
    const readiness = computeReadiness(this.#configs, (this.#ownFacts ??= this.#facts(new Map())), names)
    for (const name of names) {
      const rec = this.#records.get(name)
      if (!rec) continue
      const was = this.#readiness.get(name)
      const now = readiness.get(name)!
      // The env audit re-judges every service at every run; only a verdict that changed is a new revision.
      if (!sameVerdict(was, now)) rec.revision++
      // Ready again is the same verdict in every detail (no causes): the one kept since the last run stays,
      // so each run of a healthy service leaves no verdict behind for the old generation to collect.
      else if (was!.ready && now.ready && was!.up === now.up) continue
      this.#readiness.set(name, now)
      const state = stateOf(rec.up, now)
      if (state !== rec.state) {
        rec.state = state
        rec.stateSince = state === 'pending' ? undefined : at
        rec.revision++
      }
    }
  }
}

/** Readiness as the exposition shows it: ready or not, and the names of the causes. */
function sameVerdict(a: Readiness | undefined, b: Readiness): boolean {
  return a !== undefined && a.ready === b.ready && a.causes.length === b.causes.length && a.causes.every((c, i) => c.cause === b.causes[i]!.cause)
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key)
  if (list) list.push(value)
  else map.set(key, [value])
}

function zeroFailures(): Record<Reason, number> {
  return Object.fromEntries(REASONS.map((r) => [r, 0])) as Record<Reason, number>
}
