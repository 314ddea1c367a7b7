// Running one service through the real path: YAML text -> parseConfig ->
// runProbe with the registered probe kind, timed from outside.
import { Socket } from 'node:net'
import { stringify } from 'yaml'
import { PROBE_KINDS } from '../../probes/index.js'
import { parseConfig, type ServiceConfig } from '../../src/config/load.js'
import { runProbe, type ProbeResult } from '../../src/runner.js'

export interface Ran {
  result: ProbeResult
  /** Wall time around runProbe, measured by the caller. */
  ms: number
  service: ServiceConfig
  yaml: string
  /**
   * With `sentinel`: when a plain timer of that length, armed together with the
   * probe, actually fired (ms after arming). On a loaded machine timers fire
   * late; this tells event-loop lag apart from time the runner itself added.
   */
  sentinelMs?: number
}

/** One service named `svc` with these keys (durations as strings, as a user writes them). */
export async function runService(fields: Record<string, unknown>, opts: { env?: Record<string, string>; sentinel?: number } = {}): Promise<Ran> {
  const yaml = stringify({ services: [{ name: 'svc', ...fields }] })
  const config = parseConfig(yaml, 'probe-test.yml', PROBE_KINDS, opts.env ?? {})
  const service = config.services[0]
  if (!service) throw new Error(`no service parsed from:\n${yaml}`)
  let sentinelMs: number | undefined
  const started = performance.now()
  const sentinel = opts.sentinel === undefined ? undefined : setTimeout(() => (sentinelMs = performance.now() - started), opts.sentinel)
  const result = await runProbe(service, config.secrets)
  const ms = performance.now() - started
  clearTimeout(sentinel)
  return { result, ms, service, yaml, sentinelMs }
}

/** Checks as [name, ok] pairs, in the order the probe reported them. */
export function checkPairs(result: ProbeResult): [string, boolean][] {
  return result.checks.map((c) => [c.name, c.ok])
}

/** The detail text of one check (throws when the check is absent). */
export function detailOf(result: ProbeResult, name: string): string {
  const check = result.checks.find((c) => c.name === name)
  if (!check) throw new Error(`no check ${name} in ${JSON.stringify(result.checks)}`)
  return check.detail ?? ''
}

const SOCKETS = new Set(['TCPSocketWrap', 'TLSWrap', 'TCPServerWrap'])

/** Counts of the socket-ish handles alive right now. */
export function socketHandles(): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const kind of process.getActiveResourcesInfo()) if (SOCKETS.has(kind)) counts[kind] = (counts[kind] ?? 0) + 1
  return counts
}

/**
 * Connected client-side sockets still alive (a probe's own connections):
 * accepted sockets of a test server and stdio pipes are left out. Uses the
 * undocumented but long-standing `process._getActiveHandles()`, because
 * `getActiveResourcesInfo()` names kinds only and cannot tell a probe's
 * socket from the server's end of the same connection.
 */
export function clientSockets(): string[] {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles()
  return handles
    .filter((h): h is Socket & { server?: unknown } => h instanceof Socket && h.remotePort !== undefined && !(h as { server?: unknown }).server)
    .map((s) => `${s.localAddress}:${s.localPort} -> ${s.remoteAddress}:${s.remotePort}`)
}

/** Lets close callbacks and destroyed handles settle before handles are counted. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r))
  await new Promise((r) => setTimeout(r, 20))
}
