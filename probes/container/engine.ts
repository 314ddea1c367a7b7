// A read-only client of the Docker Engine API, which Podman also serves:
// plain HTTP over the engine's unix socket (or TCP), GET only, every answer
// bounded in bytes and every request ended when the run's signal aborts. It
// needs nothing beyond node:http; dockerode would bring streams we do not use.
import { request, type IncomingMessage } from 'node:http'
import { ProbeError } from '../../src/probe.js'
import { onAbort } from '../lib/abort.js'

export interface Engine {
  /** `unix:///var/run/docker.sock` → the socket; `tcp://host:2375` → host and port. */
  socketPath?: string
  host?: string
  port?: number
  /** As the user wrote it, for messages (a socket path or host:port holds no secret). */
  shown: string
}

export function parseEngine(host: string): Engine {
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length), shown: host }
  const url = new URL(host.replace(/^tcp:\/\//, 'http://'))
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port || 2375), shown: `tcp://${url.host}` }
}

/** An engine answer that fits within its byte bound. */
export interface Answer {
  status: number
  body: Buffer
}

/** GETs `path`; the body is cut at `maxBytes` (a hostile or confused engine cannot make us buffer more). */
export function engineGet(engine: Engine, path: string, signal: AbortSignal, maxBytes: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: engine.socketPath, host: engine.host, port: engine.port, path, method: 'GET', headers: { host: 'docker' } })
    const stop = onAbort(signal, () => req.destroy(signal.reason instanceof Error ? signal.reason : new Error('aborted')))
    req.on('error', (err: NodeJS.ErrnoException) => {
      stop()
      reject(unreachable(engine, err))
    })
    req.on('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (chunk: Buffer) => {
        if (size >= maxBytes) return
        chunks.push(chunk.subarray(0, maxBytes - size))
        size += chunk.length
        // Enough read: the rest is not wanted, and the socket is let go now.
        if (size >= maxBytes) res.destroy()
      })
      res.on('error', () => {})
      res.on('close', () => {
        stop()
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) })
      })
    })
    req.end()
  })
}

/** GETs JSON: 404 is `undefined` (no such container or image), other non-2xx or non-JSON answers are errors. */
export async function engineJson<T>(engine: Engine, path: string, signal: AbortSignal, maxBytes = 1024 * 1024): Promise<T | undefined> {
  const answer = await engineGet(engine, path, signal, maxBytes)
  if (answer.status === 404) return undefined
  const text = answer.body.toString('utf8')
  if (answer.status < 200 || answer.status >= 300) {
    throw new ProbeError('error', `the container engine at ${engine.shown} answered ${answer.status} to GET ${path.split('?')[0]}: ${engineMessage(text)}`)
  }
  try {
    return JSON.parse(text) as T
  } catch {
    throw new ProbeError('error', `the container engine at ${engine.shown} answered GET ${path.split('?')[0]} with something that is not JSON${answer.body.length >= maxBytes ? ' (cut at the size limit)' : ''}`)
  }
}

/** The engine's own error text (`{"message": …}`), short. */
function engineMessage(text: string): string {
  try {
    const message = (JSON.parse(text) as { message?: unknown }).message
    if (typeof message === 'string') return message.slice(0, 200)
  } catch {
    // not JSON: shown as text below
  }
  return text.slice(0, 200).trim() || '(no message)'
}

function unreachable(engine: Engine, err: NodeJS.ErrnoException): Error {
  if (err instanceof ProbeError || err.name === 'AbortError') return err
  if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') return new ProbeError('refused', `no container engine answers at ${engine.shown} (${err.code})`)
  // A socket we may not open: the user groundtruth runs as lacks access (see the README on the socket's permissions).
  if (err.code === 'EACCES') return new ProbeError('auth', `no permission to open the container engine socket ${engine.shown} (EACCES)`)
  return err
}
