// What each face exposes. /metrics: every concern's collectors over the
// scheduler's last snapshot (counters included), the scheduler's load,
// groundtruth itself, and the Node process (prom-client's default metrics on
// a registry of its own). /probe: only the probed services' results.
import { collectDefaultMetrics, Registry } from 'prom-client'
import { envCollector } from '../env/collector.js'
import { kindCollectors, type ProbeKinds } from '../probe.js'
import { factRows, type Snapshot } from '../results.js'
import type { SchedulerStats } from '../scheduler.js'
import { fedBy, type Collector, type MetricDef } from './metric.js'
import { schedulerCollector } from './scheduler.js'
import { selfCollector, type SelfState } from './self.js'
import { serviceCollector } from './services.js'
import { BufferPool } from './buffers.js'
import { ByteWriter, familiesOf, renderBytes, RowReuse, TEXT_CONTENT_TYPE, writeCollectors } from './text.js'

/** The collectors that read a snapshot: services, each probe kind's facts, and (scheduled only) the env audit. */
export function snapshotCollectors(kinds: ProbeKinds, scheduled: boolean): Collector<Snapshot>[] {
  const cached = (scheduled ? SCHEDULED : PROBED).get(kinds)
  if (cached) return cached
  const base = [serviceCollector, ...kindCollectors(kinds).map((c) => fedBy(c, factRows))]
  const collectors = scheduled ? [...base, fedBy(envCollector, (s: Snapshot) => s.env)] : base
  ;(scheduled ? SCHEDULED : PROBED).set(kinds, collectors)
  return collectors
}

// Built once per registry of kinds: /probe asks for them on every request.
const SCHEDULED = new WeakMap<ProbeKinds, Collector<Snapshot>[]>()
const PROBED = new WeakMap<ProbeKinds, Collector<Snapshot>[]>()

export interface Exposition {
  contentType: string
  /** The body as sent: a string, or its bytes (the scheduled one, written as bytes at thousands of services). */
  text: string | Buffer
  /** Call once the body is sent or the answer abandoned: its buffer may then serve a later scrape. Not calling it only costs a new buffer. */
  done?: () => void
}

/** What /metrics serves, computed at each scrape from its sources; a scrape never starts a probe. */
export interface ScheduledExposition {
  /** Every groundtruth_ metric this face can show (the catalogue test reads it). */
  readonly families: readonly MetricDef[]
  metrics(): Promise<Exposition>
}

export interface ScheduledSources {
  snapshot: () => Snapshot
  self: () => SelfState
  scheduler?: () => SchedulerStats
}

export function scheduledExposition(kinds: ProbeKinds, sources: ScheduledSources): ScheduledExposition {
  const fromSnapshot = snapshotCollectors(kinds, true)
  const process = processRegistry()
  const options = { counters: true }
  let lastLength = 16 * 1024
  // The rows of services unchanged since the last scrape are copied from it (text.ts).
  const reuse = new RowReuse()
  // One free buffer is enough for scrapes one after another: the one before last comes back as the last is copied from.
  const pool = new BufferPool(1)
  /** The buffer holding the rows the next scrape copies from (held in the pool until then). */
  let rowsBuffer: Buffer | undefined
  return {
    families: familiesOf([...fromSnapshot, schedulerCollector, selfCollector] as Collector<never>[], options),
    async metrics() {
      // prom-client samples the event loop's lag on its next turn: that turn comes while ours are written, not after.
      const processText = process.metrics()
      // One buffer per scrape, as large as the last answer, reused (buffers.ts). Held from the start by this answer
      // and by the next scrape, which copies rows out of it; the bookkeeping is done before any await, so
      // concurrent scrapes never free a buffer another is still writing or sending.
      const taken = pool.take(lastLength)
      pool.hold(taken, 2)
      const out = new ByteWriter(taken)
      writeCollectors(out, fromSnapshot, sources.snapshot(), options, reuse)
      // Written past its end, the rows moved to a larger buffer: that one is what the next scrape reads.
      if (out.buffer !== taken) pool.move(taken, out.buffer)
      if (rowsBuffer) pool.release(rowsBuffer)
      rowsBuffer = out.buffer
      if (sources.scheduler) writeCollectors(out, [schedulerCollector], sources.scheduler(), options)
      writeCollectors(out, [selfCollector], sources.self(), options)
      out.text(await processText)
      const text = out.done()
      lastLength = text.length
      const sent = out.buffer
      if (sent !== taken) pool.move(taken, sent)
      let released = false
      const done = () => {
        if (!released) pool.release(sent)
        released = true
      }
      return { contentType: TEXT_CONTENT_TYPE, text, done }
    },
  }
}

/** What /probe answers: these results only, no counters (they belong to the scheduler's store). */
export function probedExposition(kinds: ProbeKinds, snapshot: Snapshot): Exposition {
  return { contentType: TEXT_CONTENT_TYPE, text: renderBytes(snapshotCollectors(kinds, false), snapshot, { counters: false }, 4096) }
}

/** The Node process's own metrics (CPU, memory, event loop lag, handles) on a registry of their own. */
function processRegistry(): Registry {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  // prom-client also exports these gauges under a `_total` name, which
  // `promtool check metrics` rightly flags; the same values stay available
  // without the suffix (nodejs_active_handles ...).
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(name)
  return registry
}
