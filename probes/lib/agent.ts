// An HTTP(S) agent owned by one probe run, for client libraries that make
// their own requests (Elasticsearch, MinIO). It tracks every socket it opens
// so that closing it at the end of the run, or at the timeout, leaves nothing
// behind, and it keeps the first socket error, because those clients report a
// connection failure by message only and drop the ECONNREFUSED/ENOTFOUND/TLS
// code the runner classifies by. Every socket it opens reads from the run's
// one ByteBudget: a peer that answers without end is cut off there.
import { Agent as HttpAgent } from 'node:http'
import { Agent as HttpsAgent } from 'node:https'
import type { Duplex } from 'node:stream'
import { onAbort } from './abort.js'
import { ByteBudget } from './budget.js'
import { loadCa, tlsOptions, type TlsSettings } from './tls.js'

export type ProbeAgent = (HttpAgent | HttpsAgent) & {
  /** The first error any of its sockets saw. */
  socketError?: NodeJS.ErrnoException
  /** Destroys every socket and refuses new ones. */
  close(): void
  /** What its sockets have read, together: `budget.explain(err)` names a peer that sent too much. */
  budget: ByteBudget
}

type CreateConnection = (options: object, callback?: (err: Error | null, stream: Duplex) => void) => Duplex | null | undefined

/**
 * An agent for the URL's scheme (https:// with the `tls:` settings) that
 * closes itself when `signal` aborts (the runner aborts at the timeout and
 * when the run is over), its sockets reading at most `budget` bytes together.
 */
export async function probeAgent(url: string, tls: TlsSettings | undefined, signal: AbortSignal, budget = new ByteBudget()): Promise<ProbeAgent> {
  const https = url.startsWith('https:')
  const agent = (https ? new HttpsAgent({ keepAlive: true, ...tlsOptions(tls, await loadCa(tls)) }) : new HttpAgent({ keepAlive: true })) as ProbeAgent
  agent.budget = budget
  const sockets = new Set<Duplex>()
  let closed = false
  const create = agent.createConnection.bind(agent) as CreateConnection
  agent.createConnection = ((connectOptions: object, callback?: (err: Error | null, stream: Duplex) => void) => {
    const socket = create(connectOptions, callback)
    if (socket) {
      budget.guard(socket)
      sockets.add(socket)
      socket.once('close', () => sockets.delete(socket))
      // The request in flight gets the error too; this keeps the code and keeps a late one from going unhandled.
      socket.on('error', (err: NodeJS.ErrnoException) => {
        agent.socketError ??= err
      })
      // A run that is over opens nothing new, whatever the client still tries.
      if (closed) socket.destroy()
    }
    return socket
  }) as typeof agent.createConnection
  const shutdown = () => {
    closed = true
    agent.destroy()
    for (const socket of sockets) socket.destroy()
  }
  const stopListening = onAbort(signal, shutdown)
  agent.close = () => {
    stopListening()
    shutdown()
  }
  return agent
}
