// The periodic jobs of a configuration: one probe per service and the env
// audit. Each job does its work and records what it found in the result
// store; the scheduler only decides when.
import { dirname } from 'node:path'
import type { Config, ServiceConfig } from './config/load.js'
import { DISCOVERED } from './discover.js'
import { auditEnv } from './env/audit.js'
import type { Logger } from './log.js'
import type { ResultStore, Snapshot } from './results.js'
import { runProbe, type RunResult } from './runner.js'
import { Scheduler, type Job } from './scheduler.js'

export interface JobContext {
  store: ResultStore
  log: Logger
  /** Where a discovered config's relative paths start (a file's start at the file). */
  cwd: string
  processEnv: Record<string, string | undefined>
}

/** Where relative paths of the config (env files, migration dirs) start: the config file's directory. */
export function baseDirOf(config: Config, cwd: string): string {
  return config.file === DISCOVERED ? cwd : dirname(config.file)
}

/**
 * Runs one service's probe and logs the outcome, without recording it (/probe
 * records nothing). `wasOk` is the previous result's outcome (undefined when
 * there is none): a failure logs at info when the service goes down (or its
 * first probe fails), a recovery logs at info, and a repeated failure only at
 * debug; groundtruth_probe_failures_total counts every failure.
 */
export async function probeService(service: ServiceConfig, config: Config, log: Logger, baseDir: string, wasOk?: boolean): Promise<RunResult> {
  const result = await runProbe(service, config.secrets, baseDir)
  const fields = { service: service.name, probe: service.probe, ok: result.ok, reason: result.reason, duration_seconds: +result.durationSeconds.toFixed(4) }
  if (result.ok) {
    if (wasOk === false) log.info('probe recovered', fields)
    else log.debug('probe finished', fields)
  } else if (wasOk === false) log.debug('probe failed again', { ...fields, error: result.error })
  else log.info('probe failed', { ...fields, error: result.error })
  return result
}

export function probeJob(service: ServiceConfig, config: Config, ctx: JobContext): Job {
  const baseDir = baseDirOf(config, ctx.cwd)
  return {
    name: `probe:${service.name}`,
    fields: { service: service.name },
    interval: service.interval,
    schedule: service.schedule,
    // A target that hung until its timeout last time waits in the slow lane, away from the healthy ones.
    lane: () => (ctx.store.get(service.name)?.last?.reason === 'timeout' ? 'slow' : 'normal'),
    run: async () => ctx.store.record(await probeService(service, config, ctx.log, baseDir, ctx.store.get(service.name)?.last?.ok)),
  }
}

/** Reads the env sources again at the default interval: files change without a reload. */
export function envAuditJob(config: Config, ctx: JobContext): Job {
  return {
    name: 'env-audit',
    fields: { job: 'env-audit' },
    interval: config.defaults.interval,
    run: async () => {
      const findings = await auditEnv(config.env, { environment: config.environment, cwd: baseDirOf(config, ctx.cwd), processEnv: ctx.processEnv })
      for (const f of findings) {
        const flagged = f.counts.placeholder + f.counts.missing + f.counts.weak
        if (!f.readable) ctx.log.warn('env file unreadable', { source: f.source, error: f.error })
        else if (flagged) ctx.log.info('env audit findings', { source: f.source, ...f.counts })
      }
      ctx.store.recordEnv(findings)
    },
  }
}

/** Every job of a configuration. */
export function jobsFor(config: Config, ctx: JobContext): Job[] {
  return [envAuditJob(config, ctx), ...config.services.map((s) => probeJob(s, config, ctx))]
}

/** Every job once, into the store (the one-shot `check` and `report`); resolves to the snapshot. */
export async function runRound(config: Config, ctx: JobContext): Promise<Snapshot> {
  ctx.store.setServices(config.services)
  await new Scheduler({ concurrency: config.concurrency, log: ctx.log }).runOnce(jobsFor(config, ctx))
  return ctx.store.snapshot()
}
