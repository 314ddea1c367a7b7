// The scheduler's own load: how many jobs run and wait now, and how many
// ticks were skipped because a job was still running (a target slower than
// its interval, or a machine that cannot keep up).
import type { SchedulerStats } from '../scheduler.js'
import { collector, counter, gauge, series } from './metric.js'

export const SCHEDULER_ACTIVE = gauge('groundtruth_scheduler_active', 'Jobs (probes, audits) holding a slot now')
export const SCHEDULER_OVERDUE = gauge('groundtruth_scheduler_overdue', 'Jobs still running after giving their slot back: probes waiting on a slow or hanging target until their timeout')
export const SCHEDULER_QUEUE = gauge('groundtruth_scheduler_queue_length', 'Jobs waiting for a free slot now')
export const SCHEDULER_SKIPPED = counter('groundtruth_scheduler_skipped_total', 'Ticks skipped because the service\'s previous probe was still running', ['service'])

export const schedulerCollector = collector<SchedulerStats>('scheduler', [
  series(SCHEDULER_ACTIVE, (s, emit) => emit({}, s.active)),
  series(SCHEDULER_OVERDUE, (s, emit) => emit({}, s.overdue)),
  series(SCHEDULER_QUEUE, (s, emit) => emit({}, s.queued)),
  series(SCHEDULER_SKIPPED, (s, emit) => {
    for (const { fields, count } of s.skipped.values()) if (fields.service) emit({ service: fields.service }, count)
  }),
])
