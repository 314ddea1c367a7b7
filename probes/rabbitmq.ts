// RabbitMQ probe (AMQP 0-9-1 through amqplib): a fresh connection per run,
// login with the URL's credentials, connection.open of the URL's vhost, one
// channel, then a passive queue.declare per expected queue, which answers
// whether the queue exists and how many consumers and messages it has.
//
// Never a pooled or long-lived connection: it would hide exactly what this
// probe exists to see, that a NEW client can connect, authenticate and open
// the vhost right now (a changed password, revoked permissions, a connection
// limit reached, a listener gone). No reconnects, heartbeats off (a run lives
// at most its timeout), and the connection is closed on every path: politely
// (connection.close, so the broker logs no "client unexpectedly closed TCP
// connection" every interval) when it can be, and the socket destroyed when
// ctx.signal fires.
//
// Reasons:
//   auth     the login was refused (403 ACCESS_REFUSED), or the broker refused
//            to open the vhost with 530 NOT_ALLOWED: RabbitMQ answers that
//            same code for "vhost X not found" and for "access to vhost X
//            refused for user Y" (seen on the wire from RabbitMQ 3.10). The
//            credentials were accepted at that point, so this is the
//            identity's access to that vhost, fixed in the URL or in the
//            user's permissions, not in the broker: `auth`.
//   error    any other refusal at connection.open: a connection limit
//            reached (also 530, told apart by its text, which names the
//            limit), a vhost that is down (541), and whatever else went
//            wrong, e.g. a peer that does not speak AMQP 0-9-1.
//   timeout / refused / dns / tls   as classified by the runner.
//   expectation   a queue is missing or has too few consumers.
//
// amqplib reports a refused connection.open only as "<ConnectionClose
// channel:0>", without the broker's code and text. For amqp:// the probe
// reads them from the socket itself (see HandshakeTap); over amqps:// the
// plaintext is out of reach, so a refused connection.open is `auth` (what
// RabbitMQ's 530 usually means) with a detail naming the other possibilities.
//
// A passive queue.declare needs no permission in RabbitMQ, so a monitoring
// user may be granted nothing ("^$" for configure, write and read); each
// missing queue makes the broker log a channel error, as any client's would.
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { readFile } from 'node:fs/promises'
import type { Socket } from 'node:net'
import { connect, type Channel, type ChannelModel, type Options, type SocketOptions } from 'amqplib'
import { z } from 'zod'
import { formatDuration } from '../src/duration.js'
import { expectations, tlsSettings, urlWith } from '../src/settings/fields.js'
import { defineProbe, ProbeError, type CheckResult, type ProbeContext, type Reason } from '../src/probe.js'

const AMQP_PORT = 5672
const AMQPS_PORT = 5671

/** AMQP's shortstr: queue names are at most 255 bytes. */
const queueName = z
  .string()
  .min(1, 'expected a queue name')
  .refine((name) => Buffer.byteLength(name) <= 255, 'expected a queue name of at most 255 bytes')

const settings = {
  url: urlWith('amqp', 'amqps').refine((text) => {
    try {
      endpoint(text)
      return true
    } catch {
      return false
    }
  }, 'expected the user, password and vhost of the URL to be valid percent-encoding, e.g. amqp://user:pass@host:5672/%2F'),
  tls: tlsSettings.optional(),
  /** `max_latency` is the time to connect, log in, open the vhost and a channel. */
  expect: expectations({
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
    .prefault({}),
}

type Expect = z.infer<typeof settings.expect>

interface Endpoint {
  tls: boolean
  host: string
  port: number
  vhost: string
  username: string
  password: string
}

/** The broker's answer when it closed the connection during the handshake. */
interface CloseReply {
  code: number
  text: string
}

/** What one passive queue.declare found. */
type QueueState =
  | { state: 'present'; messages: number; consumers: number }
  | { state: 'locked'; text: string }
  | { state: 'missing' }
  | { state: 'refused'; reason: Reason; text: string }

export default defineProbe({
  kind: 'rabbitmq',
  settings,

  checkNames(svc) {
    const names: string[] = []
    for (const queue of svc.expect.queues) {
      names.push(`queue:${queue}`)
      if (consumersWanted(svc.expect, queue) !== undefined) names.push(`consumers:${queue}`)
    }
    return names
  },

  target(svc) {
    const ep = endpoint(svc.url)
    return `${ep.host.includes(':') ? `[${ep.host}]` : ep.host}:${ep.port}/${ep.vhost}`
  },

  secrets(svc, into) {
    into.addUrl(svc.url)
  },

  async run(svc, ctx) {
    const ep = endpoint(svc.url)
    if (svc.tls && !ep.tls) throw new ProbeError('error', 'tls settings are given but the url is amqp://; use amqps:// for TLS')
    const ca = svc.tls?.ca_file ? await readFile(svc.tls.ca_file) : undefined

    const started = performance.now()
    const model = await open(ep, { ca, insecure: svc.tls?.insecure ?? false, serverName: svc.tls?.server_name }, svc.name, ctx)

    // Every event the connection can emit has a listener from here on; the
    // first error explains whatever operation fails after it.
    let connectionError: Error | undefined
    let blocked: string | undefined
    const closed = new Promise<void>((resolve) => model.once('close', () => resolve()))
    model.on('error', (err: Error) => {
      connectionError ??= err
    })
    model.on('blocked', (why: string) => {
      blocked = why
    })
    model.on('unblocked', () => {
      blocked = undefined
    })
    const failure = (err: unknown) => connectionError ?? err

    try {
      // One channel for the checks; a failed passive declare makes the broker
      // close that channel (404 NOT_FOUND ...), so the next check gets a new one.
      let channel: Channel | undefined = await openChannel(model).catch((err) => {
        throw failure(err)
      })
      const latencyMs = performance.now() - started

      const checks: CheckResult[] = []
      const reasons = new Set<Reason>()
      const e = svc.expect
      for (const queue of e.queues) {
        channel ??= await openChannel(model).catch((err) => {
          throw failure(err)
        })
        const found = await inspectQueue(channel, queue).catch((err) => {
          throw failure(err)
        })
        if (found.state !== 'present') channel = undefined // closed by the broker
        checks.push(queueCheck(queue, found, ep.vhost))
        if (found.state === 'refused') reasons.add(found.reason)

        const wanted = consumersWanted(e, queue)
        if (wanted !== undefined) checks.push(consumersCheck(queue, found, wanted))
      }

      const server = model.connection.serverProperties
      return {
        checks,
        // A check the broker refused to answer is not the same finding as a missing queue.
        reason: reasons.has('auth') ? 'auth' : reasons.has('error') ? 'error' : undefined,
        latency: { ms: latencyMs, covers: `to connect, log in, open vhost "${ep.vhost}" and a channel` },
        info: {
          latency_ms: Math.round(latencyMs),
          vhost: ep.vhost,
          ...(typeof server.product === 'string' ? { server_product: server.product } : {}),
          ...(typeof server.version === 'string' ? { server_version: server.version } : {}),
          ...(typeof server.cluster_name === 'string' ? { cluster_name: server.cluster_name } : {}),
          ...(blocked !== undefined ? { blocked } : {}),
        },
      }
    } finally {
      await closeConnection(model, closed, ctx.signal)
    }
  },

  discoveredFrom: ['RABBITMQ_URL', 'AMQP_URL'],

  discover(env) {
    for (const from of ['RABBITMQ_URL', 'AMQP_URL']) {
      const url = env[from]
      if (url) return [{ from, service: { name: 'rabbitmq', group: 'infrastructure', probe: 'rabbitmq', url } }]
    }
    return []
  },
})

/**
 * The URL as RabbitMQ's URI spec reads it: the vhost is the percent-decoded
 * path (`/` when there is none, `%2F` for `/` itself); no user info means
 * guest/guest, as every AMQP client assumes. Query parameters (heartbeat,
 * frame_max ...) are not used: the probe sets its own.
 */
function endpoint(raw: string): Endpoint {
  const url = new URL(raw)
  const tls = url.protocol === 'amqps:'
  const hasUser = url.username !== '' || url.password !== ''
  return {
    tls,
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : tls ? AMQPS_PORT : AMQP_PORT,
    vhost: url.pathname.length > 1 ? decodeURIComponent(url.pathname.slice(1)) : '/',
    username: hasUser ? decodeURIComponent(url.username) : 'guest',
    password: hasUser ? decodeURIComponent(url.password) : 'guest',
  }
}

function consumersWanted(expect: Expect, queue: string): number | undefined {
  const min = expect.consumers_min
  if (min === undefined || typeof min === 'number') return min
  return Object.hasOwn(min, queue) ? min[queue] : undefined
}

/** Connects, logs in and opens the vhost; maps the handshake's failures onto reasons. */
async function open(
  ep: Endpoint,
  tls: { ca?: Buffer; insecure: boolean; serverName?: string },
  serviceName: string,
  ctx: ProbeContext,
): Promise<ChannelModel> {
  const options: Options.Connect = {
    protocol: ep.tls ? 'amqps' : 'amqp',
    hostname: ep.host,
    port: ep.port,
    username: ep.username,
    password: ep.password,
    // amqplib percent-decodes the vhost it is given; hand it the encoded form
    // so a vhost containing "%" survives.
    vhost: encodeURIComponent(ep.vhost),
    heartbeat: 0,
  }
  const socketOptions: SocketOptions & { signal: AbortSignal } = {
    // Idle bound on the TCP connect and the handshake; amqplib lifts it once open.
    timeout: ctx.timeoutMs,
    // Destroys the socket (any phase) when the run times out or is over.
    signal: ctx.signal,
    noDelay: true,
    // Shown by the management UI and `rabbitmqctl list_connections`.
    clientProperties: { connection_name: `groundtruth probe ${serviceName}` },
    ...(ep.tls ? { ca: tls.ca, rejectUnauthorized: !tls.insecure, ...(tls.serverName ? { servername: tls.serverName } : {}) } : {}),
  }

  // amqplib creates its socket synchronously inside connect(); Node announces
  // every new TCP client socket on this channel, so the one announced while
  // connect() runs is this probe's own (nothing else can run in between).
  // TLS sockets are not announced: over amqps:// there is no tap.
  let tap: HandshakeTap | undefined
  const capture = (message: unknown) => {
    const socket = (message as { socket?: Socket }).socket
    if (!tap && socket) tap = new HandshakeTap(socket)
  }
  subscribe('net.client.socket', capture)
  let pending: Promise<ChannelModel>
  try {
    pending = connect(options, socketOptions)
  } finally {
    unsubscribe('net.client.socket', capture)
  }
  try {
    return await pending
  } catch (err) {
    throw handshakeError(err, ep, tap, ctx.timeoutMs)
  } finally {
    tap?.stop()
  }
}

function handshakeError(err: unknown, ep: Endpoint, tap: HandshakeTap | undefined, timeoutMs: number): unknown {
  if (!(err instanceof Error)) return err
  const message = err.message
  const reply = tap?.reply
  if (message === 'connect ETIMEDOUT') {
    return new ProbeError('timeout', `no AMQP handshake with ${ep.host}:${ep.port} within the ${formatDuration(timeoutMs)} timeout`)
  }
  const terminated = /^Handshake terminated by server: (\d+)/.exec(message)
  if (terminated) {
    // 403 ACCESS_REFUSED: unknown user, wrong password, guest from a non-loopback address.
    const reason: Reason = terminated[1] === '403' ? 'auth' : 'error'
    const remoteGuest = ep.username === 'guest' && !/^(localhost|127\.\d+\.\d+\.\d+|::1)$/.test(ep.host)
    const hint = remoteGuest ? ' (by default RabbitMQ lets "guest" log in from localhost only: loopback_users)' : ''
    return new ProbeError(reason, `login as user "${ep.username}" refused: ${message.slice('Handshake terminated by server: '.length)}${hint}`)
  }
  if (/^Expected ConnectionOpenOk; got <ConnectionClose/.test(message)) {
    // The login succeeded (the broker sent connection.tune) and connection.open was refused.
    if (!reply) {
      return new ProbeError(
        'auth',
        `the broker refused to open vhost "${ep.vhost}" for user "${ep.username}" (the vhost does not exist, the user has no permission on it, or a connection limit is reached; the broker's reply is not readable over TLS)`,
      )
    }
    const reason: Reason = reply.code === 530 && !/limit/i.test(reply.text) ? 'auth' : 'error'
    return new ProbeError(reason, `the broker refused to open vhost "${ep.vhost}" for user "${ep.username}": ${reply.code} ${reply.text}`)
  }
  // Network and TLS errors carry a code the runner classifies; amqplib's own protocol errors do not.
  if ((err as { code?: unknown }).code === undefined && tap?.first && !tap.first.subarray(0, 3).equals(METHOD_FRAME_ON_CHANNEL_0)) {
    return new ProbeError('error', `${ep.host}:${ep.port} does not speak AMQP 0-9-1: it answered ${JSON.stringify(printable(tap.first))}`)
  }
  if (/^Socket closed abruptly during opening handshake/.test(message)) {
    return new ProbeError('error', `the peer closed the connection during the AMQP handshake (is ${ep.host}:${ep.port} an AMQP 0-9-1 broker?)`)
  }
  return err
}

/** The start of every frame the handshake expects: type 1 (method), channel 0. */
const METHOD_FRAME_ON_CHANNEL_0 = Buffer.from([1, 0, 0])

/** The first bytes a peer sent, shown as text: "HTTP/1.1 400 Bad Request", "AMQP\u0000\u0000\t\u0001". */
function printable(bytes: Buffer): string {
  return bytes.subarray(0, 40).toString('latin1').replace(/\r?\n[\s\S]*$/, '')
}

async function openChannel(model: ChannelModel): Promise<Channel> {
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

/**
 * connection.close and wait for the broker's close-ok (seen as the 'close'
 * event, which also fires when the socket dies first), unless the run is
 * aborted, whose signal destroys the socket anyway.
 */
async function closeConnection(model: ChannelModel, closed: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return
  model.close().catch(() => {
    /* already closed: the 'close' event has fired or fires now */
  })
  let onAbort: (() => void) | undefined
  const aborted = new Promise<void>((resolve) => {
    onAbort = resolve
    signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    await Promise.race([closed, aborted])
  } finally {
    signal.removeEventListener('abort', onAbort!)
  }
}

/**
 * Reads the frames amqplib reads during the handshake, to learn the code and
 * text of a connection.close the broker sends instead of open-ok. Passive:
 * the socket is paused before anything arrives, so the 'data' listener never
 * switches it to flowing mode; it only sees the chunks amqplib's own read()
 * calls return. It never throws into amqplib's read path.
 */
class HandshakeTap {
  reply: CloseReply | undefined
  /** The first bytes the peer sent (up to 64): the protocol it speaks. */
  first: Buffer | undefined
  #buffer = Buffer.alloc(0)
  readonly #socket: Socket
  readonly #onData = (chunk: Buffer) => {
    try {
      this.#read(chunk)
    } catch {
      this.stop()
    }
  }

  constructor(socket: Socket) {
    this.#socket = socket
    socket.pause()
    socket.on('data', this.#onData)
  }

  stop(): void {
    this.#socket.removeListener('data', this.#onData)
    this.#buffer = Buffer.alloc(0)
  }

  #read(chunk: Buffer): void {
    this.first ??= Buffer.from(chunk.subarray(0, 64))
    this.#buffer = Buffer.concat([this.#buffer, chunk])
    // Handshake frames are small; a peer sending more is not worth following.
    if (this.#buffer.length > 1 << 20) return this.stop()
    // Frame: type (1) channel (2) size (4) payload (size) end (1).
    while (this.#buffer.length >= 7) {
      const size = this.#buffer.readUInt32BE(3)
      if (this.#buffer.length < 8 + size) return
      const type = this.#buffer[0]
      const channel = this.#buffer.readUInt16BE(1)
      const payload = this.#buffer.subarray(7, 7 + size)
      // Method frame on channel 0, connection.close (class 10, method 50):
      // reply-code (short), reply-text (shortstr).
      if (type === 1 && channel === 0 && size >= 7 && payload.readUInt16BE(0) === 10 && payload.readUInt16BE(2) === 50) {
        const length = payload[6]!
        this.reply = { code: payload.readUInt16BE(4), text: payload.subarray(7, 7 + length).toString('utf8') }
      }
      this.#buffer = this.#buffer.subarray(8 + size)
    }
  }
}
