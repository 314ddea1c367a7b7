// `GET /sd`: the configured services as Prometheus `http_sd_config` target
// groups, so that Prometheus, not groundtruth, shares the services among
// replicas (README "Sharding"). As with blackbox_exporter's targets, each
// target is what to probe, the service's name; the scrape config's relabeling
// moves it into `?service=` and picks the replica that scrapes it by
// `hashmod` over that name, so every replica with the same config serves the
// same document and any of them can be the discovery endpoint.
//
// Names and groups only: a service's URL may hold a password, and the address
// Prometheus scrapes is the replica's, never the service's.

/** One `http_sd_config` target group. */
export interface TargetGroup {
  targets: [string]
  labels: { service: string; group: string }
}

/** One target group per service, in config order (the same config gives the same document). */
export function targetGroups(services: readonly { name: string; group: string }[]): TargetGroup[] {
  return services.map((s) => ({ targets: [s.name], labels: { service: s.name, group: s.group } }))
}
