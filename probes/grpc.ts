// gRPC probe: one call of the standard health service,
// `grpc.health.v1.Health/Check`, on a fresh channel per run. `grpc_service`
// is the name asked about ("" = the server as a whole, as the protocol
// defines it). The channel has a subchannel pool of its own (no connection is
// shared with another run or another service), no retries, no service-config
// lookups, and a deadline at the end of the timeout; it is closed on every
// path, the call cancelled and its sockets destroyed when ctx.signal fires.
//
// The sockets: grpc-js makes the TCP connection itself and hands it to the
// channel credentials' connector (for TLS, to wrap it). The run's credentials
// are watched there (`watched`), so that every socket of the run is guarded by
// its ByteBudget (16 MiB, probes/lib/budget.ts), destroyed at the end whatever
// grpc-js still holds, and its TLS error kept with its code (grpc-js reports a
// failed handshake as text only). HTTP/2 would read the socket's handle in
// C++, where nothing is counted: it is handed a relay (`relay`) instead.
//
// @grpc/grpc-js and the health service definition (grpc-health-check) are
// loaded by the first run (probes/lib/lazy.ts says why).
import type { Socket } from 'node:net'
import { Duplex } from 'node:stream'
import type { ChannelCredentials, ChannelOptions, ServiceError } from '@grpc/grpc-js'
import { z } from 'zod'
import { classifyError, describeError } from '../src/classify.js'
import { defineProbe, ProbeError, type ProbeOutcome, type Reason } from '../src/probe.js'
import { expectations } from '../src/settings/fields.js'
import { abortable, onAbort } from './lib/abort.js'
import { ByteBudget } from './lib/budget.js'
import { lazy } from './lib/lazy.js'
import { formatEndpoint, parseAddress, socketAddress } from './lib/target.js'
import { loadCa, tlsSettings } from './lib/tls.js'

/** The health answer is two bytes: a bigger message is not one, and is refused unread. */
const MAX_MESSAGE_BYTES = 64 * 1024
/** Temporal's frontend reports its health under this name (NOT_SERVING until its membership is ready). */
export const TEMPORAL_HEALTH_SERVICE = 'temporal.api.workflowservice.v1.WorkflowService'

/** A metadata key as gRPC allows it: lower-case token characters, not a reserved `grpc-` key, not binary (`-bin`). */
const metadataKey = z
  .string()
  .regex(/^[a-z0-9_.-]+$/, 'expected a metadata key of lower-case letters, digits, "_", "." and "-"')
  .refine((key) => !key.startsWith('grpc-') && !key.endsWith('-bin'), 'expected a key that neither starts with "grpc-" (reserved) nor ends in "-bin" (binary)')
/** A metadata value: printable ASCII, as gRPC sends a text value. */
const metadataValue = z.string().regex(/^[\x20-\x7e]*$/, 'expected a value of printable ASCII characters (no line breaks or control characters)')

const settings = {
  address: socketAddress,
  /** The service name asked of Health/Check; "" asks about the server as a whole. */
  grpc_service: z.string().max(1024).default(''),
  /** Sent with the call (an `authorization` token ...); values of credential-like keys are masked everywhere. */
  metadata: z.record(metadataKey, metadataValue).default({}),
  tls: tlsSettings.optional(),
  expect: expectations({}).prefault({}),
}

type ServingStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN'

export default defineProbe({
  kind: 'grpc',
  settings,

  checkNames: () => ['serving'],

  target: (svc) => `${svc.tls ? 'grpcs' : 'grpc'}://${formatEndpoint(parseAddress(svc.address))}${svc.grpc_service ? `/${svc.grpc_service}` : ''}`,

  secrets(svc, into) {
    for (const [key, value] of Object.entries(svc.metadata)) into.addHeader(key, value)
  },

  async run(svc, ctx) {
    const deadline = Date.now() + ctx.timeoutMs
    const { grpc, check } = await loadGrpc()
    const ca = await loadCa(svc.tls)
    const budget = new ByteBudget(undefined, 'the gRPC server')
    const sockets = new Set<Socket>()
    const seen: { error?: Error } = {}
    const base = svc.tls ? grpc.credentials.createSsl(ca ?? null, null, null, { rejectUnauthorized: !svc.tls.insecure }) : grpc.credentials.createInsecure()
    const serverName = svc.tls?.server_name
    const options: ChannelOptions = {
      // A subchannel of this channel alone: nothing is shared with another run.
      'grpc.use_local_subchannel_pool': 1,
      'grpc.enable_retries': 0,
      // No DNS TXT lookups for a service config: the address is all there is.
      'grpc.service_config_disable_resolution': 1,
      'grpc.enable_channelz': 0,
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.primary_user_agent': 'groundtruth',
      ...(serverName ? { 'grpc.ssl_target_name_override': serverName, 'grpc.default_authority': serverName } : {}),
    }
    const client = new grpc.Client(svc.address, watched(base, budget, sockets, seen), options)
    const metadata = new grpc.Metadata()
    for (const [key, value] of Object.entries(svc.metadata)) metadata.add(key, value)

    let cancel = () => {}
    let closed = false
    const close = () => {
      if (closed) return
      closed = true
      cancel()
      client.close()
      // What grpc-js still holds (a connection a tarpit never answered) goes now.
      for (const socket of sockets) socket.destroy()
    }
    const stopClosing = onAbort(ctx.signal, close)
    try {
      const started = performance.now()
      const answer = new Promise<{ status?: ServingStatus; error?: ServiceError }>((resolve) => {
        const call = client.makeUnaryRequest(
          check.path,
          check.requestSerialize,
          check.responseDeserialize as (bytes: Buffer) => { status: ServingStatus },
          { service: svc.grpc_service },
          metadata,
          { deadline },
          (error, response) => resolve(error ? { error } : { status: response?.status }),
        )
        cancel = () => call.cancel()
      })
      const { status, error } = await abortable(answer, ctx.signal)
      const latencyMs = performance.now() - started
      const latency = { ms: latencyMs, covers: `to connect${svc.tls ? ' (TLS)' : ''} and call Health/Check` }
      if (error) {
        const outcome = answered(error, svc.grpc_service, latency)
        if (!outcome) throw failure(error, grpc.status as unknown as Record<number, string>, budget, seen.error, !svc.tls)
        return outcome
      }
      return judged(String(status), svc.grpc_service, latency)
    } finally {
      close()
      stopClosing()
    }
  },

  discoveredFrom: ['TEMPORAL_ADDRESS'],

  discover(env) {
    // Temporal's SDKs and CLI read TEMPORAL_ADDRESS (host:port, 7233 by default).
    const raw = env.TEMPORAL_ADDRESS?.trim()
    if (!raw) return []
    const address = /:\d+$/.test(raw) ? raw : `${raw}:7233`
    if (!socketAddress.safeParse(address).success) return []
    return [{ from: 'TEMPORAL_ADDRESS', service: { name: 'temporal', group: 'infrastructure', probe: 'grpc', address, grpc_service: TEMPORAL_HEALTH_SERVICE } }]
  },
})

/** Who the answer is about, for the details. */
function subject(name: string): string {
  return name ? `service "${name}"` : 'the server as a whole (service "")'
}

/** A health answer, as the `serving` check. */
function judged(status: string, name: string, latency: ProbeOutcome['latency']): ProbeOutcome {
  const what: Record<string, string> = {
    SERVING: `SERVING: ${subject(name)} is serving`,
    NOT_SERVING: `NOT_SERVING: ${subject(name)} says it is not serving`,
    UNKNOWN: `UNKNOWN: the server does not know yet whether ${subject(name)} is serving`,
    SERVICE_UNKNOWN: `SERVICE_UNKNOWN: the server does not know the service name "${name}"`,
  }
  const ok = status === 'SERVING'
  return {
    checks: [{ name: 'serving', ok, detail: what[status] ?? `status ${status}, not one grpc.health.v1 defines` }],
    reason: 'status',
    info: { status, latency_ms: Math.round(latency!.ms) },
    latency,
  }
}

/** gRPC status codes a health server answers with on purpose: the server is up, the check fails. */
function answered(error: ServiceError, name: string, latency: ProbeOutcome['latency']): ProbeOutcome | undefined {
  const details = error.details || error.message
  if (error.code === 5 /* NOT_FOUND */) {
    const outcome = judged('SERVICE_UNKNOWN', name, latency)
    outcome.checks[0]!.detail += ` (NOT_FOUND: ${details})`
    return outcome
  }
  if (error.code === 12 /* UNIMPLEMENTED */) {
    return {
      checks: [{ name: 'serving', ok: false, detail: `the server does not implement grpc.health.v1 (UNIMPLEMENTED: ${details})` }],
      reason: 'status',
      info: { grpc_code: 'UNIMPLEMENTED', latency_ms: Math.round(latency!.ms) },
      latency,
    }
  }
  return undefined
}

/** Causes of a connection that never came up, read from grpc-js' text where the error object was lost. */
const UNAVAILABLE_CAUSES: [RegExp, Reason][] = [
  [/ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|EADDRNOTAVAIL/, 'refused'],
  [/Name resolution failed|ENOTFOUND|EAI_AGAIN/, 'dns'],
]

/** A call that failed: the reason its gRPC status and the connection's own error stand for. */
function failure(error: ServiceError, codes: Record<number, string>, budget: ByteBudget, connectError: Error | undefined, plaintext: boolean): unknown {
  // grpc-js stamps each connection error with the time and ends it with an empty "Resolution note:": noise in /status.
  const details = (error.details || error.message)
    .replace(/ \(\d{4}-\d\d-\d\dT[\d:.]+Z\)/g, '')
    .replace(/Last error: Error: /, 'Last error: ')
    .replace(/\.? Resolution note: ?$/, '')
  const code = String(codes[error.code] ?? error.code)
  if (budget.exceeded) return budget.exceeded
  switch (code) {
    case 'DEADLINE_EXCEEDED':
      return new ProbeError('timeout', `DEADLINE_EXCEEDED: ${details}`)
    case 'UNAUTHENTICATED':
    case 'PERMISSION_DENIED':
      return new ProbeError('auth', `${code}: ${details}`)
    case 'UNAVAILABLE': {
      if (connectError) return new ProbeError(classifyError(connectError), `UNAVAILABLE: ${describeError(connectError)}`)
      const reason = UNAVAILABLE_CAUSES.find(([pattern]) => pattern.test(details))?.[1] ?? 'error'
      // A TLS server hangs up on a plaintext client without a word (no alert): the likeliest cause, said as one.
      const hint = plaintext && /Failed to connect$/.test(details) ? ' (the server closed the connection before any HTTP/2 answer: does it want TLS? then add tls: to the service)' : ''
      return new ProbeError(reason, `UNAVAILABLE: ${details}${hint}`)
    }
    default:
      return new ProbeError('error', `${code}: ${details}`)
  }
}

/**
 * `socket` as a plain Duplex: Node's HTTP/2 session consumes the libuv handle
 * of a net.Socket directly (what arrives never passes the socket's push(),
 * where the budget counts), and reads any other stream through JavaScript.
 */
function relay(socket: Socket): Socket {
  const duplex = new Duplex({
    read: () => void socket.resume(),
    write: (chunk, encoding, done) => void socket.write(chunk, encoding, done),
    final: (done) => void socket.end(done),
    destroy: (err, done) => {
      socket.destroy()
      done(err)
    },
  })
  socket.on('data', (chunk: Buffer) => {
    if (!duplex.push(chunk)) socket.pause()
  })
  socket.on('end', () => duplex.push(null))
  socket.on('error', (err) => duplex.destroy(err))
  socket.on('close', () => duplex.destroy())
  return duplex as unknown as Socket
}

/**
 * The configured credentials, every socket they are handed counted, kept and
 * watched: grpc-js makes each TCP connection itself and hands it to the
 * credentials' connector (for TLS, to wrap it). The credentials object is this
 * run's own (made for it), so its connector factory is replaced in place.
 */
function watched(credentials: ChannelCredentials, budget: ByteBudget, sockets: Set<Socket>, seen: { error?: Error }): ChannelCredentials {
  const keep = (socket: Socket): void => {
    budget.guard(socket)
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    // Whatever grpc-js listens for, an error never goes unhandled; the first one says why a connection failed.
    socket.on('error', (err) => {
      seen.error ??= err
    })
  }
  const create = credentials._createSecureConnector.bind(credentials)
  credentials._createSecureConnector = (...args) => {
    const connector = create(...args)
    // grpc-js destroys a subchannel's connector when the closed channel lets go of it, yet a subchannel
    // that failed (a refused port) still reconnects when its backoff ends: a connection after the run,
    // kept if the port has a listener by then. A destroyed connector refuses before the TCP connect.
    let destroyed = false
    const over = () => new Error('the probe run is over')
    return {
      connect: async (socket) => {
        if (destroyed) {
          socket.destroy()
          throw over()
        }
        keep(socket)
        try {
          const result = await connector.connect(socket)
          keep(result.socket)
          // HTTP/2 reads a net.Socket's handle in C++, past any JS counting; through a relay it reads here.
          return { ...result, socket: relay(result.socket) }
        } catch (err) {
          seen.error ??= err as Error
          throw err
        }
      },
      waitForReady: () => (destroyed ? Promise.reject(over()) : connector.waitForReady()),
      getCallCredentials: () => connector.getCallCredentials(),
      destroy: () => {
        destroyed = true
        connector.destroy()
      },
    }
  }
  return credentials
}

/** grpc-js and the Check method's definition (grpc-health-check's), once. */
const loadGrpc = lazy(async () => {
  const grpc = await import('@grpc/grpc-js')
  const { service } = await import('grpc-health-check')
  return { grpc, check: service.Check! }
})
