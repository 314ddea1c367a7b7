// The one interface every probe kind implements. Modelled on blackbox_exporter's
// prober signature: a probe gets its target's settings and a context carrying
// the deadline, does its own I/O, and reports checks plus typed facts; it never
// touches the registry, the scheduler or another probe's state. A kind that
// exports gauges of its own names their collectors here (`collectors`), as
// blackbox's prober registers `probe_ssl_earliest_cert_expiry` itself.
import type { z } from 'zod'
import type { Collector } from './exposition/metric.js'
import type { SecretSet } from './redact.js'

/** The bounded set of failure reasons (SPEC §3); error text goes to logs and /status. */
export const REASONS = ['timeout', 'refused', 'dns', 'tls', 'auth', 'status', 'expectation', 'container', 'error'] as const
export type Reason = (typeof REASONS)[number]

/** One expectation's outcome: a `groundtruth_check_ok{check=name}` row. */
export interface CheckResult {
  name: string
  ok: boolean
  /** Human text for /status and reports (already free of secrets). */
  detail?: string
}

/**
 * Typed facts a run found, keyed by the concern that owns them. Empty here on
 * purpose: each concern adds its key where it lives, by declaration merging
 * (`declare module '…/src/probe.js' { interface Facts { tls: TlsFacts } }`),
 * so the core carries facts it does not know and a typo is a type error.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface Facts {}

/**
 * A finding a run made beyond its checks (a pending migration ...): it may
 * hold its service back from ready, and the verdict's gates judge its kind.
 */
export interface Finding {
  /** The concern that found it: the not-ready cause it becomes and the `gates.<concern>` list that judges it. */
  concern: 'migrations'
  /** One of the concern's gate kinds (pending, failed, unknown, branched). */
  kind: string
  /** What it is about within the service (the migration tool). */
  subject: string
  /** The names behind it (the pending migrations). */
  names: string[]
  /** One plain sentence: "prisma: 2 migrations pending (a, b)". */
  summary: string
  /** It keeps its own service from ready (the service's `fail_on`). */
  blocksReady: boolean
}

/** What a probe's run resolves to when it reached its target. */
export interface ProbeOutcome {
  checks: CheckResult[]
  /** Reason to report when a check failed; defaults to `expectation`. */
  reason?: Reason
  /** Facts worth showing in /status (status code, server version ...). */
  info?: Record<string, unknown>
  /** Facts a concern turns into gauges of its own (a certificate's expiry, migration status). */
  facts?: Partial<Facts>
  /** Findings that may hold the service back from ready and that the gates judge. */
  findings?: Finding[]
  /**
   * What `expect.max_latency` judges, when the probe measured something
   * narrower than the whole run (connect + AUTH + PING): the milliseconds and
   * what they cover, for the check's detail ("to connect and PING").
   */
  latency?: { ms: number; covers?: string }
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
  /** Variables that must be configured (not placeholder, missing or weak) for the service to be ready. */
  needs_env: string[]
  /** Consecutive failures before an up service is judged down. */
  failure_threshold: number
  /** Consecutive successes before a down service is judged up again. */
  success_threshold: number
  /** Every kind accepts `expect.max_latency` (milliseconds), judged by the runner. */
  expect?: { max_latency?: number }
}

/** A service's settings as its kind validated them. */
export type SettingsOf<S extends z.ZodRawShape> = BaseService & z.infer<z.ZodObject<S>>

/** A probe kind: its config keys, its checks and its run function. */
export interface ProbeKind<Settings extends z.ZodRawShape = z.ZodRawShape> {
  kind: string
  /** The service keys this kind adds to the common ones (validated strictly). */
  settings: Settings
  /** Check names a service will report, known before it runs, so a failed run reports each as 0. */
  checkNames(service: SettingsOf<Settings>): string[]
  /** Where it points, without credentials: shown in /status, reports and logs. */
  target(service: SettingsOf<Settings>): string
  /** Secret values in the settings (passwords, header values) to mask everywhere. */
  secrets?(service: SettingsOf<Settings>, into: SecretSet): void
  run(service: SettingsOf<Settings>, ctx: ProbeContext): Promise<ProbeOutcome>
  /** Services this kind can find from conventional environment variables (SPEC §2). */
  discover?(env: Record<string, string | undefined>): DiscoveredService[]
  /** The variables `discover` looks at, for the message when nothing is found. */
  discoveredFrom?: string[]
  /** Collectors of the gauges this kind's facts feed (shared ones, such as TLS, are registered once). */
  collectors?: readonly FactsCollector[]
}

/**
 * A service bound to its kind once, at validation: the rest of the program
 * calls these without looking the kind up again or casting its settings.
 */
export interface BoundProbe {
  readonly kind: string
  /** Where it points, without credentials. */
  readonly target: string
  /** The kind's own check names (the runner adds `max_latency` when configured). */
  readonly checkNames: readonly string[]
  run(ctx: ProbeContext): Promise<ProbeOutcome>
}

export interface DiscoveredService {
  /** Raw service config, validated like any other. */
  service: Record<string, unknown>
  /** The variable it came from, for the "found" message. */
  from: string
}

/** One service's facts from its last run: what a kind's collectors read. */
export interface FactRow {
  service: string
  group: string
  facts: Partial<Facts>
}

export type FactsCollector = Collector<readonly FactRow[]>

/** The kinds a configuration is validated against, by name (the registry in probes/index.ts). */
export type ProbeKinds = ReadonlyMap<string, ProbeKind>

/**
 * The registry of kinds, by name. Each kind is typed by its own settings, and
 * a function over one kind's settings is not a function over any settings,
 * so the list is widened here, once; the config layer then binds each service
 * to its own kind (bindProbe), and nothing hands a kind another's settings.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function probeKinds(...kinds: ProbeKind<any>[]): ProbeKinds {
  return new Map(kinds.map((kind) => [kind.kind, kind as ProbeKind]))
}

/** Lets each probe file keep its exact settings type while sharing one registry. */
export function defineProbe<S extends z.ZodRawShape>(kind: ProbeKind<S>): ProbeKind<S> {
  return kind
}

/** Binds validated settings to their kind; the only place a kind's generic settings meet a service. */
export function bindProbe<S extends z.ZodRawShape>(kind: ProbeKind<S>, service: SettingsOf<S>): BoundProbe {
  return {
    kind: kind.kind,
    target: kind.target(service),
    checkNames: kind.checkNames(service),
    run: (ctx) => kind.run(service, ctx),
  }
}

/** Every collector the given kinds bring, each once. */
export function kindCollectors(kinds: ProbeKinds): FactsCollector[] {
  return [...new Set([...kinds.values()].flatMap((k) => k.collectors ?? []))]
}
