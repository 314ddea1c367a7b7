// Puts collectors on a prom-client registry. Every series is computed at
// collect time from one input per scrape, so a scrape never starts a probe,
// removed services vanish on their own, and the same collectors serve
// /metrics (the scheduler's store) and /probe (a registry per request, as
// prom-client's explicit registries allow).
import { Counter, Gauge, type Registry } from 'prom-client'
import type { Collector, Emit } from './metric.js'

export interface RegisterOptions {
  /** Counters only make sense for the scheduler's long-lived store, not for a one-off /probe. */
  counters: boolean
}

export function registerCollectors<In>(registry: Registry, collectors: readonly Collector<In>[], source: () => In, options: RegisterOptions): void {
  // One input per scrape, shared by all collectors so they agree with each
  // other. prom-client calls every collect() in one synchronous stretch, so
  // the input is dropped at the next microtask, before any later scrape.
  let current: { value: In } | undefined
  const input = (): In => {
    if (!current) {
      current = { value: source() }
      queueMicrotask(() => (current = undefined))
    }
    return current.value
  }
  for (const c of collectors) {
    for (const s of c.series) {
      const { name, help, labels, type } = s.def
      if (type === 'counter' && !options.counters) continue
      const common = { name, help, labelNames: [...labels], registers: [registry] }
      const fill = (emit: Emit<string>) => s.fill(input(), emit)
      if (type === 'counter') {
        new Counter({
          ...common,
          collect() {
            this.reset()
            fill((l, v) => this.inc(l, v))
          },
        })
        continue
      }
      new Gauge({
        ...common,
        collect() {
          this.reset()
          let emitted = false
          fill((l, v) => {
            emitted = true
            this.set(l, v)
          })
          // prom-client gives a label-less gauge a 0 on reset; absent is the honest value when nothing was measured.
          if (!emitted && labels.length === 0) this.remove()
        },
      })
    }
  }
}
