// A config's jobs run into a store, with the scheduler's registry on it: the
// daemon's path without the HTTP server or the timers.
import { Registry } from 'prom-client'
import type { Config, ServiceConfig } from '../../src/config/load.js'
import { registerScheduled } from '../../src/exposition/registries.js'
import { probeService, runRound } from '../../src/jobs.js'
import { silentLogger, type Logger } from '../../src/log.js'
import { ResultStore } from '../../src/results.js'

export function harness(initial: Config, options: { log?: Logger; cwd?: string } = {}) {
  let config = initial
  const store = new ResultStore()
  store.setServices(config.services)
  const registry = new Registry()
  registerScheduled(registry, config.kinds, () => store.snapshot(), () => ({ version: 'test', reloadOk: true, reloadAt: 0 }))
  const log = options.log ?? silentLogger
  const cwd = options.cwd ?? process.cwd()
  return {
    store,
    registry,
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
