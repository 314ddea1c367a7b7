// Hostile peers: servers that do to a probe what a broken, confused or
// malicious service would. Each listens on a loopback TCP port or on a unix
// socket (the container engine's transport), counts what it sent and the
// connections still open (so a test can tell that the probe hung up), and
// writes with back-pressure: it sends as fast as the probe reads, no faster.
//
//   endless          a byte stream without end (after an optional prefix)
//   fakeRedisBulk    answers any command with `$1000000000\r\n`, then streams
//   amqpHugeFrame    after the AMQP protocol header: a frame announcing ~2 GB
//   amqpHeartbeats   after the AMQP protocol header: heartbeat frames without end
//   httpEndlessBody  a 200 answer whose body never ends
//   httpEndlessHeaders  a 200 status line, then header lines without end
//   slowloris        accepts, then trickles a script one byte at a time
//   halfSent         the start of an answer, then silence
//   reflecting       echoes whatever it receives
//   httpBody         a complete HTTP answer with a chosen body (a ReDoS bait)
//   pgSslThenEndless a PostgreSQL server that accepts SSLRequest, then streams over TLS
//   http2Frames      after the client's HTTP/2 preface: SETTINGS, then frames without end
//   wsUpgradeThen    a completed WebSocket upgrade, then frames without end
// `where`: a loopback port, a unix socket, or TLS on a loopback port ({ key, cert }).
import { createHash } from 'node:crypto'
import { rmSync, mkdtempSync } from 'node:fs'
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { createServer as createTlsServer, TLSSocket } from 'node:tls'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface Peer {
  /** Loopback port, when on TCP. */
  port?: number
  /** Socket path, when on a unix socket. */
  path?: string
  /** Bytes written to every connection so far. */
  sent(): number
  /** Connections accepted and not yet closed. */
  open(): number
  close(): Promise<void>
}

export type Where = 'tcp' | 'unix' | { key: Buffer; cert: Buffer }

type Behaviour = (socket: Socket, count: (bytes: number) => void) => void

const CHUNK = 64 * 1024

/** Starts `behaviour` on every accepted connection. */
export function peer(behaviour: Behaviour, where: Where = 'tcp'): Promise<Peer> {
  let sent = 0
  const sockets = new Set<Socket>()
  const accept = (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    // The probe hanging up (reset, half-close) ends this side too.
    socket.on('error', () => socket.destroy())
    socket.on('end', () => socket.destroy())
    behaviour(socket, (bytes) => (sent += bytes))
  }
  const server: Server = typeof where === 'object' ? createTlsServer(where, accept) : createServer(accept)
  // A client that gives up during the TLS handshake is no failure of the peer.
  server.on('tlsClientError', () => {})
  const dir = where === 'unix' ? mkdtempSync(join(tmpdir(), 'gt-hostile-')) : undefined
  return new Promise((resolve) => {
    const ready = () => {
      resolve({
        ...(dir ? { path: join(dir, 'peer.sock') } : { port: (server.address() as AddressInfo).port }),
        sent: () => sent,
        open: () => sockets.size,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy()
            server.close(() => {
              if (dir) rmSync(dir, { recursive: true, force: true })
              done()
            })
          }),
      })
    }
    if (dir) server.listen(join(dir, 'peer.sock'), ready)
    else server.listen(0, '127.0.0.1', ready)
  })
}

/** Writes `chunk` again and again, as fast as the other side reads, until the socket closes. */
export function pour(socket: Socket, chunk: Buffer, count: (bytes: number) => void): void {
  const more = (): void => {
    while (!socket.destroyed && socket.writable) {
      count(chunk.length)
      if (!socket.write(chunk)) {
        socket.once('drain', more)
        return
      }
    }
  }
  more()
}

interface EndlessOptions {
  /** Sent once before the stream. */
  prefix?: string | Buffer
  /** What the stream repeats (`A` by default). */
  filler?: string | Buffer
  /** Wait for the client's first bytes (a request, a protocol header) before answering. */
  afterRequest?: boolean | number
}

function filled(filler: string | Buffer): Buffer {
  const unit = Buffer.from(filler)
  return Buffer.alloc(Math.ceil(CHUNK / unit.length) * unit.length, unit)
}

/** A stream without end: `prefix`, then `filler` for ever. `afterRequest: n` waits for n bytes of request first. */
export function endless(options: EndlessOptions = {}, where: Where = 'tcp'): Promise<Peer> {
  const chunk = filled(options.filler ?? 'A')
  return peer((socket, count) => {
    const start = () => {
      if (options.prefix !== undefined) {
        count(Buffer.byteLength(options.prefix))
        socket.write(options.prefix)
      }
      pour(socket, chunk, count)
    }
    if (!options.afterRequest) return start()
    const wanted = options.afterRequest === true ? 1 : options.afterRequest
    let seen = 0
    const onData = (data: Buffer) => {
      seen += data.length
      if (seen < wanted) return
      socket.removeListener('data', onData)
      // Whatever the client sends afterwards is read and dropped, so it never blocks on us.
      socket.resume()
      start()
    }
    socket.on('data', onData)
  }, where)
}

/** A Redis that answers any command with a bulk string of a billion bytes and starts sending it. */
export function fakeRedisBulk(where: Where = 'tcp'): Promise<Peer> {
  return endless({ prefix: '$1000000000\r\n', filler: 'x', afterRequest: true }, where)
}

/** AMQP 0-9-1's protocol header, which the client sends first. */
const AMQP_HEADER = 8

/** After the client's protocol header: a method frame on channel 0 announcing 0x7ffffff0 bytes, then bytes. */
export function amqpHugeFrame(where: Where = 'tcp'): Promise<Peer> {
  const header = Buffer.from([1, 0, 0, 0x7f, 0xff, 0xff, 0xf0])
  return endless({ prefix: header, filler: 'x', afterRequest: AMQP_HEADER }, where)
}

/** After the client's protocol header: heartbeat frames (type 8, channel 0, empty, frame-end) without end. */
export function amqpHeartbeats(where: Where = 'tcp'): Promise<Peer> {
  return endless({ filler: Buffer.from([8, 0, 0, 0, 0, 0, 0, 0xce]), afterRequest: AMQP_HEADER }, where)
}

/** Answers a request with 200, JSON, no length, and a body that never ends. */
export function httpEndlessBody(where: Where = 'tcp'): Promise<Peer> {
  return endless({ prefix: 'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n{"status":"', filler: 'green', afterRequest: true }, where)
}

/** Answers a request with a status line and then header lines without end. */
export function httpEndlessHeaders(where: Where = 'tcp'): Promise<Peer> {
  return endless({ prefix: 'HTTP/1.1 200 OK\r\n', filler: 'x-padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n', afterRequest: true }, where)
}

interface SlowlorisOptions {
  /** Sent first, one byte per tick. */
  script: string | Buffer
  /** Then this, one byte per tick, for ever (`a` by default). */
  repeat?: string | Buffer
  /** Milliseconds between bytes (a second by default). */
  everyMs?: number
}

/** Accepts and trickles: one byte of `script`, then of `repeat`, each `everyMs`. */
export function slowloris(options: SlowlorisOptions, where: Where = 'tcp'): Promise<Peer> {
  const script = Buffer.from(options.script)
  const repeat = Buffer.from(options.repeat ?? 'a')
  return peer((socket, count) => {
    socket.resume() // what the client sends is read and dropped
    let i = 0
    const tick = () => {
      if (socket.destroyed) return
      const byte = i < script.length ? script.subarray(i, i + 1) : repeat.subarray((i - script.length) % repeat.length, ((i - script.length) % repeat.length) + 1)
      i++
      count(1)
      socket.write(byte)
    }
    tick()
    const timer = setInterval(tick, options.everyMs ?? 1000)
    socket.on('close', () => clearInterval(timer))
  }, where)
}

/** Answers the first request with the start of an answer and then nothing, never closing. */
export function halfSent(text: string | Buffer, where: Where = 'tcp'): Promise<Peer> {
  return peer((socket, count) => {
    socket.once('data', () => {
      count(Buffer.byteLength(text))
      socket.write(text)
      socket.resume()
    })
  }, where)
}

/** Sends back whatever it receives. */
export function reflecting(where: Where = 'tcp'): Promise<Peer> {
  return peer((socket, count) => {
    socket.on('data', (data: Buffer) => {
      count(data.length)
      socket.write(data)
    })
  }, where)
}

/** A complete HTTP answer to every request: 200, `body`, then the connection closed. */
export function httpBody(body: string, contentType = 'text/plain', where: Where = 'tcp'): Promise<Peer> {
  return peer((socket, count) => {
    socket.once('data', () => {
      const answer = `HTTP/1.1 200 OK\r\ncontent-type: ${contentType}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`
      count(Buffer.byteLength(answer))
      socket.end(answer)
    })
  }, where)
}

/** A body that makes a backtracking regex such as `^(a+)+$` take exponential time. */
export function redosBody(length = 32): string {
  return `${'a'.repeat(length)}!`
}

/** A PostgreSQL server that answers SSLRequest with `S`, completes the TLS handshake, then streams `filler` inside it. */
export function pgSslThenEndless(tls: { key: Buffer; cert: Buffer }, filler = 'A'): Promise<Peer> {
  const chunk = filled(filler)
  return peer((socket, count) => {
    socket.once('data', () => {
      socket.write('S')
      const secure = new TLSSocket(socket, { isServer: true, ...tls })
      secure.on('error', () => socket.destroy())
      secure.once('secure', () => pour(secure as unknown as Socket, chunk, count))
    })
  })
}

/** After the client's HTTP/2 preface: an empty SETTINGS frame, then `filler` frames without end. */
export function http2Frames(filler: Buffer, where: Where = 'tcp'): Promise<Peer> {
  return endless({ prefix: Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]), filler, afterRequest: 24 }, where)
}

/** Completes a WebSocket upgrade (a valid Sec-WebSocket-Accept), then sends `prefix` and `filler` without end. */
export function wsUpgradeThen(prefix: Buffer, filler: Buffer, where: Where = 'tcp'): Promise<Peer> {
  const chunk = filled(filler)
  return peer((socket, count) => {
    let request = ''
    const onData = (data: Buffer) => {
      request += data.toString('latin1')
      if (!request.includes('\r\n\r\n')) return
      socket.removeListener('data', onData)
      socket.resume()
      const key = /sec-websocket-key:\s*(\S+)/i.exec(request)?.[1] ?? ''
      const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64')
      const head = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`
      count(head.length + prefix.length)
      socket.write(head)
      socket.write(prefix)
      pour(socket, chunk, count)
    }
    socket.on('data', onData)
  }, where)
}
