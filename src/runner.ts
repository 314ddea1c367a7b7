// Runs one probe with a hard deadline. The timeout is enforced here, not
// trusted to the client library: a peer that accepts and never answers
// yields `timeout` when the deadline passes, whatever the library does.
import { classifyError, describeError } from './classify.js'
import type { ServiceConfig } from './config/load.js'
import { formatDuration } from './duration.js'
import { ProbeError, type CheckResult, type ProbeKind, type Reason } from './probe.js'
import type { MigrationStatus } from './migrations/types.js'
import type { SecretSet } from './redact.js'

export interface ProbeResult {
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
  certExpiresAt?: number
  migrations?: MigrationStatus[]
}

export async function runProbe(kind: ProbeKind, service: ServiceConfig, secrets: SecretSet, baseDir = process.cwd()): Promise<ProbeResult> {
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
  const run = Promise.resolve().then(() => kind.run(service as never, { signal: controller.signal, timeoutMs: service.timeout, secrets, baseDir }))
  // The losing side of the race may still reject later; that must not become an unhandled rejection.
  run.catch(() => {})

  const finish = (partial: Omit<ProbeResult, 'service' | 'durationSeconds' | 'finishedAt'>): ProbeResult => ({
    service: service.name,
    durationSeconds: (performance.now() - started) / 1000,
    finishedAt: Date.now(),
    ...partial,
  })

  try {
    const outcome = await Promise.race([run, deadline])
    const failed = outcome.checks.filter((c) => !c.ok)
    const redacted = outcome.checks.map((c) => (c.detail ? { ...c, detail: secrets.redact(c.detail) } : c))
    return finish({
      ok: failed.length === 0,
      reason: failed.length ? (outcome.reason ?? 'expectation') : undefined,
      error: failed.length ? secrets.redact(failed.map((c) => `${c.name}: ${c.detail ?? 'failed'}`).join('; ')) : undefined,
      checks: redacted,
      info: redactInfo(outcome.info ?? {}, secrets),
      certExpiresAt: outcome.certExpiresAt,
      ...(outcome.migrations ? { migrations: outcome.migrations.map((m) => (m.error ? { ...m, error: secrets.redact(m.error) } : m)) } : {}),
    })
  } catch (err) {
    const reason = controller.signal.aborted && !(err instanceof ProbeError) ? 'timeout' : classifyError(err)
    const error = secrets.redact(describeError(err))
    // Nothing could be checked: every expectation this service declares is reported as failed.
    const checks = kind.checkNames(service as never).map((name) => ({ name, ok: false, detail: `not evaluated: ${reason}` }))
    return finish({ ok: false, reason, error, checks, info: redactInfo(err instanceof ProbeError ? (err.info ?? {}) : {}, secrets) })
  } finally {
    clearTimeout(timer)
    // Tells the probe to release anything still open, on success as on failure.
    controller.abort(new ProbeError('error', 'probe finished'))
  }
}

/** Probes keep secrets out of `info`; this is the safety net for the strings among its values. */
function redactInfo(info: Record<string, unknown>, secrets: SecretSet): Record<string, unknown> {
  return Object.fromEntries(Object.entries(info).map(([k, v]) => [k, typeof v === 'string' ? secrets.redact(v) : v]))
}
