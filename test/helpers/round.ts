// A config's jobs run into a store, with the scheduler's registry on it: the
// daemon's path without the HTTP server or the timers.
import type { Config, ServiceConfig } from '../../src/config/load.js'
import { scheduledExposition } from '../../src/exposition/registries.js'
import { probeService, runRound } from '../../src/jobs.js'
import { silentLogger, type Logger } from '../../src/log.js'
import { ResultStore } from '../../src/results.js'

export function harness(initial: Config, options: { log?: Logger; cwd?: string } = {}) {
  let config = initial
  const store = new ResultStore()
  store.setServices(config.services)
  const exposition = scheduledExposition(config.kinds, { snapshot: () => store.snapshot(), self: () => ({ version: 'test', reloadOk: true, reloadAt: 0 }) })
  const log = options.log ?? silentLogger
  const cwd = options.cwd ?? process.cwd()
  return {
    store,
    /** The exposition text /metrics would serve now. */
    metrics: async () => String((await exposition.metrics()).text),
    get config() {
      return config
    },
    /** Adopts a new config, as a reload does (counters of remaining services kept). */
    setConfig(next: Config) {
      config = next
      store.setServices(next.services)
    },
    runAll: () => runRound(config, { store, log, cwd, processEnv: {} }),
    /** One service's probe, recorded: what one scheduler tick does. */
    probeAndRecord: async (service: ServiceConfig) => store.record(await probeService(service, config, log, cwd)),
  }
}
