// Runs one probe with a hard deadline. The timeout is enforced here, not
// trusted to the client library: a peer that accepts and never answers
// yields `timeout` when the deadline passes, whatever the library does.
// Checks every kind shares (`expect.max_latency`) are judged here too, once,
// as Gatus evaluates `[RESPONSE_TIME]` for every kind.
import { classifyError, describeError } from './classify.js'
import type { ServiceConfig } from './config/load.js'
import { formatDuration } from './duration.js'
import { ProbeError, type CheckResult, type Facts, type Finding, type ProbeOutcome, type Reason } from './probe.js'
import type { SecretSet } from './redact.js'

/** One run of a probe as the runner recorded it: the outcome judged, timed and redacted. */
export interface RunResult {
  service: string
  /** The probe reached its target and every check passed. */
  ok: boolean
  reason?: Reason
  /** Redacted error text: for /status and logs, never for labels. */
  error?: string
  checks: CheckResult[]
  durationSeconds: number
  /** Epoch milliseconds when the run finished. */
  finishedAt: number
  info: Record<string, unknown>
  /** Facts keyed by concern (TLS, migrations ...), their texts redacted. */
  facts: Partial<Facts>
  /** Findings beyond the checks (pending migrations ...), redacted. */
  findings: Finding[]
}

/** Every check name the service reports: its kind's, then the generic ones it configures. */
export function checkNamesOf(service: ServiceConfig): string[] {
  return [...service.bound.checkNames, ...(service.expect?.max_latency !== undefined ? ['max_latency'] : [])]
}

/**
 * The reason a finished run's signal carries: one shared error, since building
 * one (a stack trace) per run cost measurable CPU at thousands of probes a
 * second, and nobody reads it after the run.
 */
const FINISHED = new ProbeError('error', 'probe finished')

export async function runProbe(service: ServiceConfig, secrets: SecretSet, baseDir = process.cwd()): Promise<RunResult> {
  const controller = new AbortController()
  const started = performance.now()
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    const expire = () => {
      // Node's timers run on a millisecond clock cached by the event loop and can
      // fire up to ~1ms early after synchronous work; "no answer within 300ms"
      // must not be declared at 299.4ms, so wait out what is really left.
      const left = service.timeout - (performance.now() - started)
      if (left > 0) {
        timer = setTimeout(expire, Math.ceil(left))
        return
      }
      const err = new ProbeError('timeout', `no answer within the ${formatDuration(service.timeout)} timeout`)
      controller.abort(err)
      reject(err)
    }
    timer = setTimeout(expire, service.timeout)
  })
  const run = Promise.resolve().then(() => service.bound.run({ signal: controller.signal, timeoutMs: service.timeout, secrets, baseDir }))
  // The losing side of the race may still reject later; that must not become an unhandled rejection.
  run.catch(() => {})

  const finish = (partial: Omit<RunResult, 'service' | 'durationSeconds' | 'finishedAt'>): RunResult => ({
    service: service.name,
    durationSeconds: (performance.now() - started) / 1000,
    finishedAt: Date.now(),
    ...partial,
  })

  try {
    const outcome = await Promise.race([run, deadline])
    const checks = [...outcome.checks, ...genericChecks(service, outcome, performance.now() - started)]
    const failed = checks.filter((c) => !c.ok)
    return finish({
      ok: failed.length === 0,
      reason: failed.length ? (outcome.reason ?? 'expectation') : undefined,
      error: failed.length ? secrets.redact(failed.map((c) => `${c.name}: ${c.detail ?? 'failed'}`).join('; ')) : undefined,
      checks: checks.map((c) => {
        const detail = c.detail && secrets.redact(c.detail)
        return detail === c.detail ? c : { ...c, detail }
      }),
      info: redactStrings(outcome.info ?? {}, secrets),
      facts: redactStrings(outcome.facts ?? {}, secrets),
      findings: redactStrings(outcome.findings ?? [], secrets),
    })
  } catch (err) {
    const reason = controller.signal.aborted && !(err instanceof ProbeError) ? 'timeout' : classifyError(err)
    const error = secrets.redact(describeError(err))
    // Nothing could be checked: every expectation this service declares is reported as failed.
    const checks = checkNamesOf(service).map((name) => ({ name, ok: false, detail: `not evaluated: ${reason}` }))
    return finish({ ok: false, reason, error, checks, info: redactStrings(err instanceof ProbeError ? (err.info ?? {}) : {}, secrets), facts: {}, findings: [] })
  } finally {
    clearTimeout(timer)
    // Tells the probe to release anything still open, on success as on failure.
    controller.abort(FINISHED)
  }
}

/** `expect.max_latency`, on what the probe measured or else the whole run. */
function genericChecks(service: ServiceConfig, outcome: ProbeOutcome, wallMs: number): CheckResult[] {
  const limit = service.expect?.max_latency
  if (limit === undefined) return []
  const ms = outcome.latency?.ms ?? wallMs
  const covers = outcome.latency?.covers ? ` ${outcome.latency.covers}` : ''
  return [{ name: 'max_latency', ok: ms <= limit, detail: `${formatDuration(ms)}${covers} (limit ${formatDuration(limit)})` }]
}

/**
 * Probes keep secrets out of what they report; this is the safety net for
 * every string in it, however deep (a migration reader's error text). What
 * has nothing to mask is kept as it is, not copied: a result lives until the
 * next run, so every copy was heap the old generation had to hold and sweep.
 */
function redactStrings<T>(value: T, secrets: SecretSet): T {
  if (typeof value === 'string') return secrets.redact(value) as T
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i]
      const r = redactStrings(v, secrets)
      if (r !== v) (copy ??= [...value])[i] = r
    }
    return (copy ?? value) as T
  }
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const record = value as Record<string, unknown>
    let copy: Record<string, unknown> | undefined
    for (const key in record) {
      const v = record[key]
      const r = redactStrings(v, secrets)
      if (r !== v) (copy ??= { ...record })[key] = r
    }
    return (copy ?? value) as T
  }
  return value
}
