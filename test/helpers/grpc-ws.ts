// Real gRPC and WebSocket peers for probe tests: a grpc-js server with the
// standard health service (grpc-health-check's HealthImplementation) behind an
// optional bearer token (a server interceptor), and a `ws` echo server behind
// an optional one.
import { createServer as createHttpServer, type IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import * as grpc from '@grpc/grpc-js'
import { HealthImplementation, type ServingStatusMap } from 'grpc-health-check'
import { WebSocketServer } from 'ws'
import { listen, type Running } from './servers.js'

/** Starts a grpc-js server on a free loopback port; `setup` adds its services. */
export function grpcServer(
  setup: (server: grpc.Server) => void,
  credentials = grpc.ServerCredentials.createInsecure(),
  options: grpc.ServerOptions = {},
): Promise<Running & { server: grpc.Server }> {
  const server = new grpc.Server(options)
  setup(server)
  return new Promise((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', credentials, (err, port) => {
      if (err) return reject(err)
      resolve({ port, url: `127.0.0.1:${port}`, server, close: async () => server.forceShutdown() })
    })
  })
}

/** A server interceptor refusing (UNAUTHENTICATED) a call without `authorization: Bearer <token>`; its details echo what came, as a careless server's would. */
export function requireToken(token: string): grpc.ServerInterceptor {
  return (_method, call) => {
    const listener = new grpc.ServerListenerBuilder()
      .withOnReceiveMetadata((metadata, next) => {
        const got = metadata.get('authorization')[0]
        if (got === `Bearer ${token}`) next(metadata)
        else call.sendStatus({ code: grpc.status.UNAUTHENTICATED, details: `invalid token ${String(got)}` })
      })
      .build()
    return new grpc.ServerInterceptingCall(call, new grpc.ResponderBuilder().withStart((next) => next(listener)).build())
  }
}

/** The standard health service (HealthImplementation) with these statuses, behind `token` when given. */
export async function grpcHealthServer(statuses: ServingStatusMap, token?: string): Promise<Running & { server: grpc.Server; health: HealthImplementation }> {
  const health = new HealthImplementation(statuses)
  const running = await grpcServer((server) => health.addToServer(server), undefined, token ? { interceptors: [requireToken(token)] } : {})
  return { ...running, health }
}

/** A WebSocket server echoing every message on any path; with `token`, an upgrade without `Authorization: Bearer <token>` is answered 401. */
export async function wsEchoServer(token?: string): Promise<Running> {
  const server = createHttpServer((_req, res) => res.writeHead(426).end())
  const wss = new WebSocketServer({ noServer: true })
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {})
    if (token && req.headers.authorization !== `Bearer ${token}`) return void socket.end('HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n')
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', () => {})
      ws.on('message', (data, binary) => ws.send(data, { binary }))
    })
  })
  const running = await listen(server, 'ws')
  return {
    ...running,
    close: async () => {
      for (const client of wss.clients) client.terminate()
      wss.close()
      await running.close()
    },
  }
}
