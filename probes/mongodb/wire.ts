// What a run reads from a MongoDB peer, bounded before the driver sees it.
//
// The driver frames replies by the int32 length each message announces and
// buffers a message until all of it has arrived (up to 2 GiB), and it inflates
// an OP_COMPRESSED reply (zlib: a thousand times its size) whether or not it
// asked for compression. So every socket of a run, the monitor's and the
// pool's, is guarded from its first byte: the run's ByteBudget (16 MiB), and a
// reading of the message headers as they pass that refuses, at once, what no
// MongoDB server sends: a length under a header's or over the protocol's
// 48 MB, an opcode other than a reply's, a compressed message (the probe
// never negotiates compression).
//
// The driver makes its sockets itself; its `connectionType` option (the class
// it wraps each connected socket in, for the monitor as for the pool) is the
// one place they pass through, so the probe gives it a subclass of the
// driver's Connection that guards and keeps the socket first.
import type { Duplex } from 'node:stream'
import { ProbeError } from '../../src/probe.js'
import type { ByteBudget } from '../lib/budget.js'

/** MongoDB's maxMessageSizeBytes: no message of the protocol is longer. */
export const MAX_MESSAGE_BYTES = 48_000_000
const HEADER_BYTES = 16
const OP_REPLY = 1
const OP_MSG = 2013
const OP_COMPRESSED = 2012

/** The driver's Connection class, as far as the probe relies on it. */
export type ConnectionClass = new (stream: Duplex, options: unknown) => object

/**
 * A subclass of the driver's Connection whose sockets `adopt` sees before
 * the driver reads a byte of them (the socket is connected, and its first
 * bytes are read on a later turn of the event loop).
 */
export function adoptingConnection(Base: ConnectionClass, adopt: (stream: Duplex) => void): ConnectionClass {
  return class AdoptedConnection extends Base {
    constructor(stream: Duplex, options: unknown) {
      adopt(stream)
      super(stream, options)
    }
  }
}

/**
 * Guards `stream`: its bytes count against `budget`, and its message headers
 * are read as they arrive; the first violation destroys it with a ProbeError
 * (`onProblem` hears it, so the run can say why its operation failed).
 */
export function guardWire(stream: Duplex, budget: ByteBudget, onProblem: (problem: ProbeError) => void): void {
  budget.guard(stream)
  const frames = new FrameReader()
  const push = stream.push.bind(stream)
  stream.push = (chunk: unknown, encoding?: BufferEncoding): boolean => {
    if (Buffer.isBuffer(chunk)) {
      const problem = frames.read(chunk)
      if (problem) {
        onProblem(problem)
        stream.destroy(problem)
        return false
      }
    }
    return push(chunk, encoding)
  }
}

/** Follows the message boundaries of a byte stream, checking each header. */
export class FrameReader {
  /** Bytes of the current message's header read so far. */
  #header = Buffer.alloc(HEADER_BYTES)
  #headerRead = 0
  /** Bytes of the current message's body still to come. */
  #bodyLeft = 0

  /** Reads `chunk`; returns what is wrong with the stream, once something is. */
  read(chunk: Buffer): ProbeError | undefined {
    let at = 0
    while (at < chunk.length) {
      if (this.#bodyLeft > 0) {
        const take = Math.min(this.#bodyLeft, chunk.length - at)
        this.#bodyLeft -= take
        at += take
        continue
      }
      const take = Math.min(HEADER_BYTES - this.#headerRead, chunk.length - at)
      chunk.copy(this.#header, this.#headerRead, at, at + take)
      this.#headerRead += take
      at += take
      if (this.#headerRead < HEADER_BYTES) break
      this.#headerRead = 0
      const problem = judgeHeader(this.#header.readInt32LE(0), this.#header.readInt32LE(12))
      if (problem) return problem
      this.#bodyLeft = this.#header.readInt32LE(0) - HEADER_BYTES
    }
    return undefined
  }
}

function judgeHeader(length: number, opCode: number): ProbeError | undefined {
  const notMongo = (what: string) =>
    new ProbeError('error', `the peer sent ${what}, which no MongoDB server sends: the connection was closed there (not MongoDB, or a hostile peer?)`, { wire: 'invalid' })
  if (length < HEADER_BYTES || length > MAX_MESSAGE_BYTES) return notMongo(`a message announcing ${length} bytes (MongoDB's are ${HEADER_BYTES} to ${MAX_MESSAGE_BYTES})`)
  if (opCode === OP_COMPRESSED) return notMongo('a compressed message the probe never asked for')
  if (opCode !== OP_MSG && opCode !== OP_REPLY) return notMongo(`a message of opcode ${opCode} (a reply is OP_MSG or OP_REPLY)`)
  return undefined
}
