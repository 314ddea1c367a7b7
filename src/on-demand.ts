// `/probe`: the selected services probed now, answered with their metrics
// only (the Prometheus multi-target pattern). Nothing is recorded: the
// scheduler's view stays the scheduler's. Readiness of the probed services
// uses these fresh results and the last known results of their dependencies.
import { Registry } from 'prom-client'
import type { Config } from './config/load.js'
import { registerProbed } from './exposition/registries.js'
import type { Exposition, Selection } from './http/server.js'
import { probeService } from './jobs.js'
import { Limiter } from './limiter.js'
import type { Logger } from './log.js'
import type { ResultStore } from './results.js'

/** Names and groups of the selection that the config does not have. */
export function unknownIn(config: Config, selection: Selection): string[] {
  const services = config.services
  return [...selection.services.filter((n) => !services.some((s) => s.name === n)), ...selection.groups.filter((g) => !services.some((s) => s.group === g))]
}

export async function probeSelection(config: Config, store: ResultStore, selection: Selection, log: Logger, baseDir: string): Promise<Exposition> {
  const chosen = config.services.filter((s) => selection.services.includes(s.name) || selection.groups.includes(s.group))
  const limiter = new Limiter(config.concurrency)
  const fresh = await Promise.all(chosen.map((s) => limiter.run(() => probeService(s, config, log, baseDir))))
  // A registry per request, as blackbox_exporter does: only these results, nothing cached.
  const registry = new Registry()
  registerProbed(registry, config.kinds, store.snapshotWith(fresh))
  return { contentType: registry.contentType, text: await registry.metrics() }
}
