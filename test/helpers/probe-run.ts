// Running one service through the real path: YAML text -> parseConfig ->
// runProbe with the registered probe kind, timed from outside.
import { stringify } from 'yaml'
import { PROBE_KINDS } from '../../probes/index.js'
import { parseConfig, type Config, type ServiceConfig } from '../../src/config/load.js'
import { runProbe, type RunResult } from '../../src/runner.js'

/** Wall time around a run, and the sentinel timer armed with it. */
export interface Timing {
  /** Wall time around the run, measured by the caller. */
  ms: number
  /**
   * With `sentinel`: when a plain timer of that length, armed together with the
   * probe, actually fired (ms after arming). On a loaded machine timers fire
   * late; this tells event-loop lag apart from time the runner itself added.
   */
  sentinelMs?: number
  /** The `sentinel` asked for. */
  sentinel?: number
}

export interface Ran extends Timing {
  result: RunResult
  service: ServiceConfig
  yaml: string
}

/** One service named `svc` with these keys (durations as strings, as a user writes them), parsed as a config file is. */
export function configOf(fields: Record<string, unknown>, env: Record<string, string> = {}): { config: Config; service: ServiceConfig; yaml: string } {
  const yaml = stringify({ services: [{ name: 'svc', ...fields }] })
  const config = parseConfig(yaml, 'probe-test.yml', PROBE_KINDS, env)
  const service = config.services[0]
  if (!service) throw new Error(`no service parsed from:\n${yaml}`)
  return { config, service, yaml }
}

/**
 * A run that timed out did not return before its timeout, to the precision
 * of Node's timers: they count whole milliseconds of a clock read once per
 * event-loop turn, so a timer of T ms can fire up to 1 ms short of T as
 * performance.now() measures it (CI once saw 399.96 ms for 400).
 */
export function notBeforeTimeout(ms: number, timeoutMs: number): boolean {
  return ms >= timeoutMs - 1
}

/** Runs `run`, timed from outside, with a plain timer of `sentinel` ms armed at the same moment. */
export async function timed<T>(run: () => Promise<T>, sentinel?: number): Promise<Timing & { value: T }> {
  let sentinelMs: number | undefined
  const started = performance.now()
  const timer = sentinel === undefined ? undefined : setTimeout(() => (sentinelMs = performance.now() - started), sentinel)
  const value = await run()
  const ms = performance.now() - started
  clearTimeout(timer)
  return { value, ms, sentinelMs, sentinel }
}

/** One service named `svc` with these keys, through runProbe. */
export async function runService(fields: Record<string, unknown>, opts: { env?: Record<string, string>; sentinel?: number } = {}): Promise<Ran> {
  const { config, service, yaml } = configOf(fields, opts.env)
  const { value: result, ...timing } = await timed(() => runProbe(service, config.secrets), opts.sentinel)
  return { result, service, yaml, ...timing }
}

/**
 * The run returned before its sentinel timer fired: "fast" judged on the same
 * event loop as the run, so a loaded machine slows both alike. Ask for a
 * sentinel well under the timeout (a third of it) to mean "did not wait for it".
 */
export function beatSentinel(ran: Timing): boolean {
  if (ran.sentinel === undefined) throw new Error('runService was not given a sentinel')
  return ran.sentinelMs === undefined
}

/**
 * How long after its sentinel timer fired the run returned (ms; negative when
 * it returned first). With a sentinel of the timeout's length: what the runner
 * itself added past the deadline, event-loop lag (the same for both) excluded.
 */
export function lateness(ran: Timing): number {
  if (ran.sentinel === undefined) throw new Error('runService was not given a sentinel')
  return ran.ms - (ran.sentinelMs ?? ran.sentinel)
}

/** Checks as [name, ok] pairs, in the order the probe reported them. */
export function checkPairs(result: RunResult): [string, boolean][] {
  return result.checks.map((c) => [c.name, c.ok])
}

/** The detail text of one check (throws when the check is absent). */
export function detailOf(result: RunResult, name: string): string {
  const check = result.checks.find((c) => c.name === name)
  if (!check) throw new Error(`no check ${name} in ${JSON.stringify(result.checks)}`)
  return check.detail ?? ''
}
