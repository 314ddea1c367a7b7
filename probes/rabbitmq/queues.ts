// The queue checks: a passive queue.declare per expected queue, which
// answers whether the queue exists and how many consumers and messages it
// has. A passive queue.declare needs no permission in RabbitMQ, so a
// monitoring user may be granted nothing ("^$" for configure, write and
// read); each missing queue makes the broker log a channel error, as any
// client's would.
import type { Channel, ChannelModel } from 'amqplib'
import { z } from 'zod'
import type { CheckResult, Reason } from '../../src/probe.js'
import { expectations } from '../../src/settings/fields.js'

/** AMQP's shortstr: queue names are at most 255 bytes. */
const queueName = z
  .string()
  .min(1, 'expected a queue name')
  .refine((name) => Buffer.byteLength(name) <= 255, 'expected a queue name of at most 255 bytes')

/** `max_latency` is the time to connect, log in, open the vhost and a channel. */
export const queueExpectations = expectations({
  /** Queues that must exist in the vhost: one `queue:<name>` check each. */
  queues: z.array(queueName).default([]),
  /** Consumers each listed queue needs (a number for all, or per queue): `consumers:<name>` checks. */
  consumers_min: z.union([z.int().min(0), z.record(queueName, z.int().min(0))]).optional(),
})
  .superRefine((expect, ctx) => {
    const seen = new Set<string>()
    expect.queues.forEach((queue, i) => {
      if (seen.has(queue)) ctx.addIssue({ code: 'custom', path: ['queues', i], message: `duplicate queue "${queue}"; expected each queue once` })
      seen.add(queue)
    })
    const min = expect.consumers_min
    if (typeof min === 'number' && expect.queues.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['consumers_min'], message: 'applies to the queues of expect.queues, and none are listed; expected expect.queues' })
    }
    if (min !== undefined && typeof min === 'object') {
      for (const queue of Object.keys(min)) {
        if (!seen.has(queue)) ctx.addIssue({ code: 'custom', path: ['consumers_min', queue], message: `queue "${queue}" is not in expect.queues; expected one of the listed queues` })
      }
    }
  })
  .prefault({})

type Expect = z.infer<typeof queueExpectations>

/** What one passive queue.declare found. */
type QueueState =
  | { state: 'present'; messages: number; consumers: number }
  | { state: 'locked'; text: string }
  | { state: 'missing' }
  | { state: 'refused'; reason: Reason; text: string }

/** The check names, in the order the checks are made: `queue:<name>`, then `consumers:<name>` when wanted. */
export function queueCheckNames(expect: Expect): string[] {
  return expect.queues.flatMap((queue) => [`queue:${queue}`, ...(consumersWanted(expect, queue) !== undefined ? [`consumers:${queue}`] : [])])
}

function consumersWanted(expect: Expect, queue: string): number | undefined {
  const min = expect.consumers_min
  if (min === undefined || typeof min === 'number') return min
  return Object.hasOwn(min, queue) ? min[queue] : undefined
}

/**
 * Each expected queue's checks, on `channel` and then on fresh ones: a failed
 * passive declare makes the broker close its channel (404 NOT_FOUND ...), so
 * the next check gets a new one. Errors that are not the broker's answer for
 * a queue fail the run, explained by `failure` (the connection's own error).
 */
export async function checkQueues(
  model: ChannelModel,
  first: Channel,
  expect: Expect,
  vhost: string,
  failure: (err: unknown) => unknown,
): Promise<{ checks: CheckResult[]; reasons: Set<Reason> }> {
  let channel: Channel | undefined = first
  const checks: CheckResult[] = []
  const reasons = new Set<Reason>()
  for (const queue of expect.queues) {
    channel ??= await openChannel(model).catch((err) => {
      throw failure(err)
    })
    const found = await inspectQueue(channel, queue).catch((err) => {
      throw failure(err)
    })
    if (found.state !== 'present') channel = undefined // closed by the broker
    checks.push(queueCheck(queue, found, vhost))
    if (found.state === 'refused') reasons.add(found.reason)

    const wanted = consumersWanted(expect, queue)
    if (wanted !== undefined) checks.push(consumersCheck(queue, found, wanted))
  }
  return { checks, reasons }
}

export async function openChannel(model: ChannelModel): Promise<Channel> {
  const channel = await model.createChannel()
  // The broker closing a channel (404 after a passive declare ...) is emitted
  // as an 'error' here and also rejects the pending call, which is where the
  // probe reads it.
  channel.on('error', () => {})
  channel.on('close', () => {})
  return channel
}

/** A passive queue.declare: it never creates anything. */
async function inspectQueue(channel: Channel, queue: string): Promise<QueueState> {
  try {
    const ok = await channel.checkQueue(queue)
    return { state: 'present', messages: ok.messageCount, consumers: ok.consumerCount }
  } catch (err) {
    const code = (err as { code?: unknown }).code
    const text = brokerText(err as Error)
    // The broker answered for this queue (and closed the channel); anything
    // without a reply code is the connection failing, which fails the run.
    if (code === 404) return { state: 'missing' }
    // An exclusive queue of another connection: it exists, its counts are private.
    if (code === 405) return { state: 'locked', text }
    if (code === 403) return { state: 'refused', reason: 'auth', text }
    if (typeof code === 'number') return { state: 'refused', reason: 'error', text: `${code} ${text}` }
    throw err
  }
}

/** The broker's own words from an amqplib channel error: `... with message "NOT_FOUND - no queue ..."`. */
function brokerText(err: Error): string {
  return /with message "(.*)"$/s.exec(err.message)?.[1] ?? err.message
}

function queueCheck(queue: string, found: QueueState, vhost: string): CheckResult {
  const name = `queue:${queue}`
  switch (found.state) {
    case 'present':
      return { name, ok: true, detail: `${plural(found.messages, 'message')}, ${plural(found.consumers, 'consumer')}` }
    case 'locked':
      return { name, ok: true, detail: `exists, exclusive to another connection (${found.text})` }
    case 'missing':
      return { name, ok: false, detail: `no queue "${queue}" in vhost "${vhost}"` }
    case 'refused':
      return { name, ok: false, detail: `the broker refused to declare it passively: ${found.text}` }
  }
}

function consumersCheck(queue: string, found: QueueState, wanted: number): CheckResult {
  const name = `consumers:${queue}`
  if (found.state === 'present') {
    return { name, ok: found.consumers >= wanted, detail: `${plural(found.consumers, 'consumer')}, at least ${wanted} wanted` }
  }
  const why = found.state === 'missing' ? 'the queue does not exist' : found.state === 'locked' ? 'the queue is exclusive to another connection' : 'the queue could not be inspected'
  return { name, ok: false, detail: `consumer count unknown: ${why}; at least ${wanted} wanted` }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

