// Alert options read off a configuration: who pages when a service is down,
// up but not ready because of its own env or migrations, or its container is
// not running or in a restart loop.
import type { AlertOptions } from './options.js'

/** The part of a configuration that decides severities. */
export interface SeveritySource {
  services: ReadonlyArray<{ name: string; critical?: boolean; depends_on?: readonly string[] }>
}

/**
 * Alert options from a configuration's `critical: true` services. With no
 * critical service, every down service pages (the defaults). Otherwise a
 * critical service and everything it depends on (transitively: "the API is
 * down because Postgres is down" must page) is `critical`, and any other
 * down service is a `warning`. The same split applies to a service that is
 * up but not ready because of its own env or migrations
 * (GroundtruthServiceNotReadyConfig), and to a service whose container is
 * not running or in a restart loop (GroundtruthContainerNotRunning,
 * GroundtruthContainerRestartLoop).
 */
export function alertOptionsFromConfig(config: SeveritySource): AlertOptions {
  const byName = new Map(config.services.map((svc) => [svc.name, svc]))
  const critical = new Set<string>()
  const visit = (name: string): void => {
    if (critical.has(name)) return
    critical.add(name)
    for (const dep of byName.get(name)?.depends_on ?? []) visit(dep)
  }
  for (const svc of config.services) if (svc.critical) visit(svc.name)
  if (critical.size === 0) return {}
  return {
    severity: {
      alerts: {
        GroundtruthServiceDown: 'warning',
        GroundtruthServiceNotReadyConfig: 'warning',
        GroundtruthContainerNotRunning: 'warning',
        GroundtruthContainerRestartLoop: 'warning',
      },
      services: Object.fromEntries([...critical].filter((name) => byName.has(name)).sort().map((name) => [name, 'critical' as const])),
    },
  }
}
