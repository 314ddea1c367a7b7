// Real local peers for probe tests: HTTP(S) servers with chosen behaviour,
// a tarpit that accepts and never answers, one that hangs up at once, and a
// port nobody listens on.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net'

export interface Running {
  port: number
  url: string
  close(): Promise<void>
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void

/** Listens on a free loopback port; close() also ends the accepted connections (for a TLS server, the TCP ones under it). */
export function listen(server: Server | NetServer, scheme: string): Promise<Running> {
  const sockets = new Set<Socket>()
  server.on('connection', (s: Socket) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port
      resolve({
        port,
        url: `${scheme}://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy()
            server.close(() => done())
          }),
      })
    })
  })
}

/** The servers a test file starts: `keep` each, `closeAll` at the end (and in a teardown). */
export function serverPool(): { keep(server: Promise<Running>): Promise<Running>; closeAll(): Promise<void> } {
  const servers: Running[] = []
  return {
    async keep(server) {
      const s = await server
      servers.push(s)
      return s
    },
    async closeAll() {
      await Promise.all(servers.splice(0).map((s) => s.close()))
    },
  }
}

export function httpServer(handler: Handler): Promise<Running> {
  return listen(createHttpServer(handler), 'http')
}

export function httpsServer(tls: { key: string | Buffer; cert: string | Buffer }, handler: Handler): Promise<Running> {
  return listen(createHttpsServer(tls, handler), 'https')
}

/** Accepts connections and never sends a byte: the worst kind of peer. */
export function tarpit(): Promise<Running> {
  return listen(createNetServer(() => {}), 'tcp')
}

/** A TCP server that writes `banner` to each connection (and answers what it receives with `reply`). */
export function bannerServer(banner: string, reply?: (data: string) => string): Promise<Running> {
  return listen(
    createNetServer((socket) => {
      socket.on('error', () => {})
      if (banner) socket.write(banner)
      socket.on('data', (d) => reply && socket.write(reply(d.toString())))
    }),
    'tcp',
  )
}

/** Accepts, then closes without a byte: a crashed worker behind a live listener. */
export function hangUpServer(): Promise<Running> {
  return listen(
    createNetServer((socket) => {
      socket.on('error', () => {})
      socket.end()
    }),
    'tcp',
  )
}

/** A port that was free a moment ago: connecting to it is refused. */
export async function closedPort(): Promise<number> {
  const s = await tarpit()
  await s.close()
  return s.port
}
