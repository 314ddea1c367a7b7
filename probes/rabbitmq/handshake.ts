// The AMQP 0-9-1 connection of one run: connect, log in, open the vhost,
// and close again; the handshake's failures mapped onto reasons.
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
//
// amqplib reports a refused connection.open only as "<ConnectionClose
// channel:0>", without the broker's code and text. For amqp:// the probe
// reads them from the socket itself (see HandshakeTap); over amqps:// the
// plaintext is out of reach, so a refused connection.open is `auth` (what
// RabbitMQ's 530 usually means) with a detail naming the other possibilities.
//
// Bytes: the connection reads at most the run's ByteBudget (RUN_BYTE_BUDGET,
// 16 MiB; probes/lib/budget.ts). The amqp:// socket is guarded from its first
// byte (it is the one the tap captures); an amqps:// socket is not announced,
// so it is guarded once the handshake is over, and during the handshake
// amqplib's own bound holds: no frame larger than MAX_FRAME_BYTES is buffered
// (its default is 64 MiB, gathered by repeated concatenation), and a frame
// the handshake does not expect ends it.
//
// amqplib itself is loaded by the first run (loadAmqplib; probes/lib/lazy.ts says why).
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import type { Socket } from 'node:net'
import type { ChannelModel, Options, SocketOptions } from 'amqplib'
import { formatDuration } from '../../src/duration.js'
import { ProbeError, type ProbeContext, type Reason } from '../../src/probe.js'
import type { Duplex } from 'node:stream'
import { settledOrAborted } from '../lib/abort.js'
import type { ByteBudget } from '../lib/budget.js'
import { lazy } from '../lib/lazy.js'
import { formatEndpoint } from '../lib/target.js'
import { tlsOptions, type TlsSettings } from '../lib/tls.js'
import type { AmqpEndpoint } from './endpoint.js'

/**
 * The largest frame read: the probe proposes frame_max 131072 (amqplib's
 * default, RabbitMQ's too), and a broker sends no frame larger than agreed.
 */
export const MAX_FRAME_BYTES = 1024 * 1024

/** amqplib, imported by the first rabbitmq run, then shared by every run. */
export const loadAmqplib = lazy(() => import('amqplib'))

/** The broker's answer when it closed the connection during the handshake. */
interface CloseReply {
  code: number
  text: string
}

/** Connects, logs in and opens the vhost; maps the handshake's failures onto reasons. */
export async function open(
  ep: AmqpEndpoint,
  tls: TlsSettings | undefined,
  ca: Buffer | undefined,
  serviceName: string,
  ctx: ProbeContext,
  budget: ByteBudget,
): Promise<ChannelModel> {
  // Loaded already by the run (index.ts), before its latency clock.
  const { connect } = await loadAmqplib()
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
    maxFrameSize: MAX_FRAME_BYTES,
  }
  const socketOptions: SocketOptions & { signal: AbortSignal } = {
    // Idle bound on the TCP connect and the handshake; amqplib lifts it once open.
    timeout: ctx.timeoutMs,
    // Destroys the socket (any phase) when the run times out or is over.
    signal: ctx.signal,
    noDelay: true,
    // Shown by the management UI and `rabbitmqctl list_connections`.
    clientProperties: { connection_name: `groundtruth probe ${serviceName}` },
    ...(ep.tls ? tlsOptions(tls, ca) : {}),
  }

  // amqplib creates its socket synchronously inside connect(); Node announces
  // every new TCP client socket on this channel, so the one announced while
  // connect() runs is this probe's own (nothing else can run in between).
  // TLS sockets are not announced: over amqps:// there is no tap.
  let tap: HandshakeTap | undefined
  const capture = (message: unknown) => {
    const socket = (message as { socket?: Socket }).socket
    if (!tap && socket) tap = new HandshakeTap(budget.guard(socket))
  }
  subscribe('net.client.socket', capture)
  let pending: Promise<ChannelModel>
  try {
    pending = connect(options, socketOptions)
  } finally {
    unsubscribe('net.client.socket', capture)
  }
  try {
    const model = await pending
    // The same socket over amqp:// (counted once); over amqps://, from here on.
    const stream = (model.connection as { stream?: Duplex }).stream
    if (stream) budget.guard(stream)
    return model
  } catch (err) {
    throw budget.explain(handshakeError(err, ep, tap, ctx.timeoutMs))
  } finally {
    tap?.stop()
  }
}

function handshakeError(err: unknown, ep: AmqpEndpoint, tap: HandshakeTap | undefined, timeoutMs: number): unknown {
  if (!(err instanceof Error) || err instanceof ProbeError) return err
  const message = err.message
  const reply = tap?.reply
  if (message === 'connect ETIMEDOUT') {
    return new ProbeError('timeout', `no AMQP handshake with ${formatEndpoint(ep)} within the ${formatDuration(timeoutMs)} timeout`)
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
    return new ProbeError('error', `${formatEndpoint(ep)} does not speak AMQP 0-9-1: it answered ${JSON.stringify(printable(tap.first))}`)
  }
  if (/^Socket closed abruptly during opening handshake/.test(message)) {
    return new ProbeError('error', `the peer closed the connection during the AMQP handshake (is ${formatEndpoint(ep)} an AMQP 0-9-1 broker?)`)
  }
  return err
}

/** The start of every frame the handshake expects: type 1 (method), channel 0. */
const METHOD_FRAME_ON_CHANNEL_0 = Buffer.from([1, 0, 0])

/** The first bytes a peer sent, shown as text: "HTTP/1.1 400 Bad Request", "AMQP\u0000\u0000\t\u0001". */
function printable(bytes: Buffer): string {
  return bytes.subarray(0, 40).toString('latin1').replace(/\r?\n[\s\S]*$/, '')
}

/**
 * connection.close and wait for the broker's close-ok (seen as the 'close'
 * event, which also fires when the socket dies first), unless the run is
 * aborted, whose signal destroys the socket anyway.
 */
export async function closeConnection(model: ChannelModel, closed: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return
  model.close().catch(() => {
    /* already closed: the 'close' event has fired or fires now */
  })
  await settledOrAborted(closed, signal)
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
