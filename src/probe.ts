// The one interface every probe kind implements. Modelled on blackbox_exporter's
// prober signature: a probe gets its target's settings and a context carrying
// the deadline, does its own I/O, and reports checks; it never touches the
// registry, the scheduler or another probe's state.
import type { z } from 'zod'
import type { MigrationStatus } from './migrations/types.js'
import type { SecretSet } from './redact.js'

/** The bounded set of failure reasons (SPEC §3); error text goes to logs and /status. */
export const REASONS = ['timeout', 'refused', 'dns', 'tls', 'auth', 'status', 'expectation', 'error'] as const
export type Reason = (typeof REASONS)[number]

/** One expectation's outcome: a `groundtruth_check_ok{check=name}` row. */
export interface CheckResult {
  name: string
  ok: boolean
  /** Human text for /status and reports (already free of secrets). */
  detail?: string
}

/** What a probe's run resolves to when it reached its target. */
export interface ProbeOutcome {
  checks: CheckResult[]
  /** Reason to report when a check failed; defaults to `expectation`. */
  reason?: Reason
  /** Facts worth showing in /status (status code, server version ...). */
  info?: Record<string, unknown>
  /** Extra gauges, e.g. the TLS certificate's expiry. */
  certExpiresAt?: number
  /** Migration status of a database (postgres services with `migrations:`). */
  migrations?: MigrationStatus[]
}

export interface ProbeContext {
  /** Aborted when the timeout elapses or the run is abandoned: close everything. */
  signal: AbortSignal
  timeoutMs: number
  /** Known secrets of this configuration, for redacting texts a probe builds. */
  secrets: SecretSet
  /** The config file's directory: relative paths in settings start here. */
  baseDir: string
}

/** A failure whose reason the probe knows better than the error classifier. */
export class ProbeError extends Error {
  constructor(
    readonly reason: Reason,
    message: string,
    readonly info?: Record<string, unknown>,
  ) {
    super(message)
    this.name = 'ProbeError'
  }
}

/** Keys every service has, whatever its probe kind. */
export interface BaseService {
  name: string
  group: string
  probe: string
  interval?: number
  schedule?: string
  timeout: number
  depends_on: string[]
  critical: boolean
  description?: string
}

/** A probe kind: its config keys, its checks and its run function. */
export interface ProbeKind<Settings extends z.ZodRawShape = z.ZodRawShape> {
  kind: string
  /** The service keys this kind adds to the common ones (validated strictly). */
  settings: Settings
  /** Check names a service will report, known before it runs, so a failed run reports each as 0. */
  checkNames(service: BaseService & z.infer<z.ZodObject<Settings>>): string[]
  /** Where it points, without credentials: shown in /status, reports and logs. */
  target(service: BaseService & z.infer<z.ZodObject<Settings>>): string
  /** Secret values in the settings (passwords, header values) to mask everywhere. */
  secrets?(service: BaseService & z.infer<z.ZodObject<Settings>>, into: SecretSet): void
  run(service: BaseService & z.infer<z.ZodObject<Settings>>, ctx: ProbeContext): Promise<ProbeOutcome>
  /** Services this kind can find from conventional environment variables (SPEC §2). */
  discover?(env: Record<string, string | undefined>): DiscoveredService[]
  /** The variables `discover` looks at, for the message when nothing is found. */
  discoveredFrom?: string[]
}

export interface DiscoveredService {
  /** Raw service config, validated like any other. */
  service: Record<string, unknown>
  /** The variable it came from, for the "found" message. */
  from: string
}

/** Lets each probe file keep its exact settings type while sharing one registry. */
export function defineProbe<S extends z.ZodRawShape>(kind: ProbeKind<S>): ProbeKind<S> {
  return kind
}
