// How many bytes one probe run reads from its peers: bounded, whatever the
// peer sends. Client libraries buffer what a peer announces (a Redis bulk
// string of `$1000000000`, an AMQP frame size, a PostgreSQL message length, a
// body without end) until it has all arrived; a hostile or confused peer on
// the other end of a fast link made a single run allocate gigabytes.
//
// A ByteBudget is one run's allowance, shared by every socket the run opens:
// `guard(socket)` counts the bytes the socket hands to its reader (decrypted
// ones for TLS) as they arrive, before any library sees them, and destroys the
// socket with the budget's ProbeError the moment the total goes past the
// limit. It does not change how the socket is read (flowing or paused), so it
// can be put on a socket a library owns. Bytes a socket has not been asked for
// stay in the kernel (back-pressure), so counting what arrives bounds what the
// process holds.
//
// The bound of each kind (test/hostile/kinds.test.ts holds every kind to it):
//   redis, rabbitmq, postgres, elasticsearch, minio   RUN_BYTE_BUDGET (16 MiB) per run
//   http        max_body_bytes per response (at most MAX_BODY_BYTES_CAP, 64 MiB) + Node's 16 KiB header limit
//   tcp         the banner: 4096 bytes
//   container   each engine answer cut at its own bound (1 MiB, the log tail smaller)
//   nats        RUN_BYTE_BUDGET, at most 64 KiB before INFO, messages announced at most 1 MiB (probes/nats.ts)
//   file        no socket: at most 100,000 directory entries read per run (probes/file.ts)
//   mongodb     RUN_BYTE_BUDGET, and each message's header judged as it arrives (probes/mongodb/wire.ts)
//   grpc        RUN_BYTE_BUDGET (HTTP/2 reads through a relay, not the socket's handle) and 64 KiB messages (probes/grpc.ts)
//   websocket   RUN_BYTE_BUDGET, and max_message_bytes per message, refused as announced (probes/websocket.ts)
//   mysql       RUN_BYTE_BUDGET on the socket and the TLS one over it; a first packet that is no greeting refused at once (probes/mysql/connect.ts)
import type { Readable } from 'node:stream'
import { ProbeError } from '../../src/probe.js'

/** What a run reads from its peers at most: far more than any health answer, far less than hurts. */
export const RUN_BYTE_BUDGET = 16 * 1024 * 1024

/** `16 MiB`, `4 KiB`, `512 bytes`: how a byte count is shown in messages. */
export function formatBytes(n: number): string {
  for (const [unit, size] of [
    ['GiB', 2 ** 30],
    ['MiB', 2 ** 20],
    ['KiB', 2 ** 10],
  ] as const) {
    if (n >= size && n % size === 0) return `${n / size} ${unit}`
  }
  return `${n} bytes`
}

export class ByteBudget {
  #read = 0
  #exceeded: ProbeError | undefined
  readonly #guarded = new WeakSet<Readable>()

  /** `limit` bytes for the whole run; `peer` names the other end in the message ("the Redis server"). */
  constructor(
    readonly limit: number = RUN_BYTE_BUDGET,
    readonly peer = 'the peer',
  ) {}

  /** Bytes read so far, over every guarded socket. */
  get read(): number {
    return this.#read
  }

  /** The run's failure once the budget is spent; undefined while it holds. */
  get exceeded(): ProbeError | undefined {
    return this.#exceeded
  }

  /**
   * Counts what `stream` receives against the budget from now on, and destroys
   * it with `exceeded` when the budget runs out (a stream guarded after that is
   * destroyed at once). Guarding the same stream twice counts it once.
   */
  guard<S extends Readable>(stream: S): S {
    if (this.#guarded.has(stream)) return stream
    this.#guarded.add(stream)
    // Every readable stream (a net.Socket, a TLSSocket) hands what it receives
    // to push(); counting there sees each byte once, before its reader does.
    const push = stream.push.bind(stream)
    stream.push = (chunk: unknown, encoding?: BufferEncoding): boolean => {
      if (chunk !== null && chunk !== undefined && !this.#spend(sizeOf(chunk))) {
        stream.destroy(this.#exceeded)
        return false
      }
      return push(chunk, encoding)
    }
    if (this.#exceeded) stream.destroy(this.#exceeded)
    return stream
  }

  /**
   * What a run should fail with: `err` as it is while the budget holds (or when
   * it already says the budget ran out); the budget's error once it is spent,
   * since whatever a library reports then ("Connection is closed.", a parse
   * error) is a consequence.
   */
  explain(err: unknown): unknown {
    const exceeded = this.#exceeded
    if (!exceeded || err === exceeded) return err
    if (err instanceof ProbeError && err.message.includes(exceeded.message)) return err
    return exceeded
  }

  #spend(bytes: number): boolean {
    this.#read += bytes
    if (this.#read <= this.limit) return true
    this.#exceeded ??= new ProbeError(
      'error',
      `${this.peer} sent more than ${formatBytes(this.limit)} in one run, more than any answer this probe waits for: the connection was closed there (a hostile or misbehaving peer, or not the service the config names?)`,
      { bytes_read_limit: this.limit },
    )
    return false
  }
}

function sizeOf(chunk: unknown): number {
  if (typeof chunk === 'string') return Buffer.byteLength(chunk)
  return (chunk as { length?: number }).length ?? 0
}
