// WebSocket probe: a fresh connection per run, the opening handshake (an HTTP
// upgrade answered 101 Switching Protocols), then, when asked, a text message
// sent and the first message received judged. The connection is closed with a
// close frame (a short grace for the server's reply, within the timeout), then
// terminated; at ctx.signal it is terminated at once.
//
// Bytes: every socket is made here (createConnection) and guarded by the run's
// ByteBudget (16 MiB, probes/lib/budget.ts); one message is at most
// `max_message_bytes` (the ws client's maxPayload), the handshake's headers at
// most Node's 16 KiB. No compression is offered, so a message is as large as
// it arrived.
//
// ws is loaded by the first run (probes/lib/lazy.ts says why).
import { connect as netConnect, isIP, type NetConnectOpts, type Socket } from 'node:net'
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls'
import type { RawData } from 'ws'
import { z } from 'zod'
import { classifyError, describeError } from '../src/classify.js'
import { defineProbe, ProbeError, type CheckResult, type ProbeOutcome } from '../src/probe.js'
import { displayTarget } from '../src/redact.js'
import { expectations, regex } from '../src/settings/fields.js'
import { headerName, headerValue } from './http.js'
import { abortable, onAbort } from './lib/abort.js'
import { ByteBudget, formatBytes, RUN_BYTE_BUDGET } from './lib/budget.js'
import { lazy } from './lib/lazy.js'
import { urlWith } from './lib/target.js'
import { loadCa, refusePlaintextWithTls, tlsOptions, tlsSettings } from './lib/tls.js'

/** How long the server has to answer the close frame before the connection is cut (within the timeout). */
const CLOSE_GRACE_MS = 500

const settings = {
  url: urlWith('ws', 'wss'),
  /** Sent with the upgrade request; values of credential-like headers are masked everywhere. */
  headers: z.record(headerName, headerValue).default({}),
  /** Subprotocols offered (`Sec-WebSocket-Protocol`), e.g. `graphql-transport-ws`: the server must pick one of them. */
  subprotocols: z
    .array(z.string().regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, 'expected a subprotocol name of letters, digits and !#$%&\'*+-.^_`|~'))
    .max(16)
    .refine((names) => new Set(names).size === names.length, 'expected each subprotocol once')
    .default([]),
  /** A text message sent once the connection is open. */
  send: z.string().optional(),
  /** The largest message read: a bigger one fails the run, unread. */
  max_message_bytes: z
    .int()
    .positive()
    .max(RUN_BYTE_BUDGET, `expected at most ${RUN_BYTE_BUDGET} (${formatBytes(RUN_BYTE_BUDGET)}), what a run reads at most`)
    .default(64 * 1024),
  tls: tlsSettings.optional(),
  expect: expectations({
    message_contains: z.string().optional(),
    message_matches: regex.optional(),
  }).prefault({}),
}

type Service = z.infer<z.ZodObject<typeof settings>>

/** How the exchange ended. */
type Ending =
  | { kind: 'open' }
  | { kind: 'answer'; status: number; statusText: string }
  | { kind: 'message'; data: Buffer; binary: boolean }
  | { kind: 'closed'; code: number; reason: string }

const wantsMessage = (svc: Service) => svc.send !== undefined || svc.expect.message_contains !== undefined || svc.expect.message_matches !== undefined

export default defineProbe({
  kind: 'websocket',
  settings,

  checkNames: (svc) => ['handshake', ...(wantsMessage(svc) ? ['message'] : [])],

  target: (svc) => displayTarget(svc.url),

  secrets(svc, into) {
    into.addUrl(svc.url)
    for (const [name, value] of Object.entries(svc.headers)) into.addHeader(name, value)
    // What is sent may be a credential (an auth message): masked wherever the server echoes it.
    into.add(svc.send)
  },

  async run(svc, ctx) {
    const deadline = performance.now() + ctx.timeoutMs
    const url = new URL(svc.url)
    refusePlaintextWithTls(svc.tls, url, 'wss')
    const { WebSocket } = await loadWs()
    const ca = await loadCa(svc.tls)
    const secure = url.protocol === 'wss:'
    const budget = new ByteBudget(undefined, 'the WebSocket server')
    const sockets = new Set<Socket>()
    const message = wantsMessage(svc)
    let socketError: Error | undefined

    const started = performance.now()
    const ws = new WebSocket(svc.url, svc.subprotocols, {
      headers: { 'user-agent': 'groundtruth', ...svc.headers },
      maxPayload: svc.max_message_bytes,
      perMessageDeflate: false,
      followRedirects: false,
      ...(secure ? tlsOptions(svc.tls, ca) : {}),
      // ws hands its options (with the URL's path as `path`) to this; a path would mean a unix socket.
      createConnection: ((options: NetConnectOpts & ConnectionOptions & { host: string }) => {
        const socket = secure
          ? tlsConnect({ ...options, path: undefined, servername: options.servername ?? (isIP(options.host) ? '' : options.host) })
          : netConnect({ ...options, path: undefined } as NetConnectOpts)
        sockets.add(socket)
        // ws drops its socket's errors after the handshake (the connection just closes, 1006): kept to say why.
        socket.on('error', (err) => {
          socketError ??= err
        })
        return budget.guard(socket)
      }) as unknown as typeof netConnect,
    })
    const terminate = () => {
      ws.terminate()
      for (const socket of sockets) socket.destroy()
    }
    const stopTerminating = onAbort(ctx.signal, terminate)

    let handshakeMs: number | undefined
    const ending = new Promise<Ending>((resolve, reject) => {
      // Every error lands here (before or after the handshake), never as an unhandled 'error' event.
      ws.on('error', reject)
      ws.on('unexpected-response', (req, res) => {
        resolve({ kind: 'answer', status: res.statusCode ?? 0, statusText: res.statusMessage ?? '' })
        // Nothing of the answer's body is read: the socket goes now.
        req.destroy()
      })
      ws.on('upgrade', () => (handshakeMs = performance.now() - started))
      ws.on('open', () => {
        if (svc.send !== undefined) ws.send(svc.send)
        if (!message) resolve({ kind: 'open' })
      })
      // binaryType is 'nodebuffer': every message, fragmented or not, arrives as one Buffer.
      ws.on('message', (data: RawData, binary: boolean) => resolve({ kind: 'message', data: data as Buffer, binary }))
      ws.on('close', (code: number, reason: Buffer) => resolve({ kind: 'closed', code, reason: reason.toString('utf8') }))
    })

    try {
      let end: Ending
      try {
        end = await abortable(ending, ctx.signal)
      } catch (err) {
        throw explain(budget.explain(err), svc, secure || handshakeMs !== undefined)
      }
      // 1006: the connection was lost without a close frame (ws cut it, or the peer vanished): no answer to judge.
      if (end.kind === 'closed' && end.code === 1006) throw lost(budget, socketError)
      const ms = performance.now() - started
      const latency = { ms, covers: end.kind === 'message' ? 'to connect, upgrade and receive the first message' : 'to connect and upgrade' }
      const outcome = judge(svc, end, latency, handshakeMs, (text) => ctx.secrets.redact(text))
      if (ws.protocol) outcome.info!.subprotocol = ws.protocol
      return outcome
    } finally {
      if (ws.readyState === WebSocket.OPEN) {
        ws.close(1000)
        await closedWithin(ws, Math.min(CLOSE_GRACE_MS, deadline - performance.now()))
      }
      terminate()
      stopTerminating()
    }
  },

  discoveredFrom: ['WS_URL', 'WEBSOCKET_URL', '*_WS_URL'],

  discover(env) {
    // WS_URL / WEBSOCKET_URL → "websocket"; CHAT_WS_URL → "chat-ws". Only ws:// and wss:// values.
    return Object.entries(env)
      .filter(([name, value]) => /^(WS_URL|WEBSOCKET_URL|[A-Z0-9_]+_WS_URL)$/.test(name) && value && urlWith('ws', 'wss').safeParse(value).success)
      .map(([name, value]) => ({
        from: name,
        service: {
          name: name === 'WS_URL' || name === 'WEBSOCKET_URL' ? 'websocket' : `${name.slice(0, -'_WS_URL'.length).toLowerCase().replace(/_/g, '-')}-ws`,
          group: 'infrastructure',
          probe: 'websocket',
          url: value,
        },
      }))
  },
})

const loadWs = lazy(() => import('ws'))

/** An error of the ws client, said in the probe's words where it names a bound or has a likely cause. */
function explain(err: unknown, svc: Service, tlsOrUpgraded: boolean): unknown {
  const code = (err as { code?: unknown } | null)?.code
  if (code === 'ECONNRESET' && !tlsOrUpgraded) {
    // A TLS server hangs up on a plaintext client without a word.
    return new ProbeError('error', `${describeError(err)} (the server hung up before answering the upgrade: does it want TLS? then use wss://)`)
  }
  const message = err instanceof Error ? err.message : ''
  if (/^Server sent (no|an invalid|a) subprotocol/.test(message)) {
    return new ProbeError('error', `${message} (offered: ${svc.subprotocols.length ? svc.subprotocols.join(', ') : 'none'}; see subprotocols)`)
  }
  if (code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
    return new ProbeError('error', `the server sent a message larger than max_message_bytes (${formatBytes(svc.max_message_bytes)}): the connection was closed there`, {
      max_message_bytes: svc.max_message_bytes,
    })
  }
  return err
}

/** Why a connection closed without a close frame (1006): the budget, the socket's own error, or nothing known. */
function lost(budget: ByteBudget, socketError: Error | undefined): ProbeError {
  if (budget.exceeded) return budget.exceeded
  if (socketError) return new ProbeError(classifyError(socketError), `the connection was lost before any message: ${describeError(socketError)}`)
  return new ProbeError('error', 'the connection was lost (1006, no close frame) before any message')
}

function judge(svc: Service, end: Ending, latency: ProbeOutcome['latency'], handshakeMs: number | undefined, mask: (text: string) => string): ProbeOutcome {
  const info: Record<string, unknown> = { latency_ms: Math.round(latency!.ms) }
  const checks: CheckResult[] = []
  if (end.kind === 'answer') {
    const said = `${end.status}${end.statusText ? ` ${end.statusText}` : ''}`
    checks.push({ name: 'handshake', ok: false, detail: `got ${said}, expected 101 Switching Protocols: WebSocket not available at this URL` })
    if (wantsMessage(svc)) checks.push({ name: 'message', ok: false, detail: 'not evaluated: no WebSocket connection' })
    // A refused upgrade with credentials: the token is wrong, not the endpoint.
    return { checks, reason: end.status === 401 || end.status === 403 ? 'auth' : 'status', info: { ...info, status_code: end.status }, latency }
  }
  checks.push({ name: 'handshake', ok: true, detail: '101 Switching Protocols' })
  info.status_code = 101
  if (handshakeMs !== undefined) info.handshake_ms = Math.round(handshakeMs)
  if (end.kind === 'closed') {
    checks.push({ name: 'message', ok: false, detail: `the server closed the connection (code ${end.code}${end.reason ? `, ${JSON.stringify(mask(end.reason))}` : ''}) before any message` })
  } else if (end.kind === 'message') {
    const text = end.data.toString('utf8')
    info.message_bytes = end.data.length
    const { message_contains: contains, message_matches: matches } = svc.expect
    const failed = [
      ...(contains !== undefined && !text.includes(contains) ? [`lacks ${JSON.stringify(contains)}`] : []),
      ...(matches !== undefined && !matches.test(text) ? [`does not match /${matches.source}/`] : []),
    ]
    // Masked before it is cut, so a secret the server echoes cannot leak its first characters.
    const safe = mask(text)
    const shown = JSON.stringify(safe.length > 80 ? `${safe.slice(0, 77)}...` : safe)
    const what = `first ${end.binary ? 'binary ' : ''}message ${shown}`
    checks.push({ name: 'message', ok: failed.length === 0, detail: failed.length ? `${what} ${failed.join(' and ')}` : what })
  }
  return { checks, reason: 'expectation', info, latency }
}

/** Resolves when the connection has closed, or after `ms`. */
function closedWithin(ws: { once(event: 'close', fn: () => void): unknown }, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, Math.max(0, ms))
    ws.once('close', () => {
      clearTimeout(timer)
      resolve()
    })
  })
}
