// Shutdown finishes within a bound whatever the clients do: a client that sent
// half a request and then nothing, an idle keep-alive scraper, a request whose
// answer never comes. Bounds are measured against a reference shutdown in the
// same test, never as absolute milliseconds.
import { spawn } from 'node:child_process'
import { connect, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import { request } from 'node:http'
import t from 'tap'
import { PROBE_KINDS } from '../../probes/index.js'
import { loadConfig } from '../../src/config/load.js'
import { Daemon } from '../../src/daemon.js'
import { closeServer, createWebServer, SHUTDOWN_BOUND_MS } from '../../src/http/listener.js'
import { silentLogger } from '../../src/log.js'
import { CLI, childEnv, ROOT } from '../helpers/child.js'
import { writeConfig } from '../helpers/config.js'
import { closedPort } from '../helpers/servers.js'

const CONFIG = 'defaults: { interval: 1h, timeout: 300ms }\nservices:\n  - { name: x, probe: tcp, address: "127.0.0.1:1" }\n'

/** A client that sends the start of a request and then nothing, as in issue 13. */
function halfSent(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write('GET / HTTP/1.1\r\nHost: x\r\nX: ')
      resolve(socket)
    })
    socket.on('error', () => {})
    socket.once('error', reject)
  })
}

/** A keep-alive client that made one request and keeps the connection open. */
function idleKeepAlive(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write('GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n'))
    socket.on('error', () => {})
    socket.once('data', () => resolve(socket))
    socket.once('error', reject)
  })
}

async function daemonOn() {
  const { file } = writeConfig(CONFIG)
  const daemon = await Daemon.create({ load: () => loadConfig(file, PROBE_KINDS, {}), log: silentLogger })
  const server = await daemon.listen(0, '127.0.0.1')
  await daemon.startProbing()
  return { daemon, port: (server.address() as AddressInfo).port }
}

const timed = async (what: () => Promise<unknown>) => {
  const start = performance.now()
  await what()
  return performance.now() - start
}

t.test('daemon.stop() with a half-sent request and an idle keep-alive client takes about as long as with none', async (t) => {
  const reference = await daemonOn()
  await idleKeepAlive(reference.port)
  const referenceMs = await timed(() => reference.daemon.stop())

  const { daemon, port } = await daemonOn()
  const half = await halfSent(port)
  const idle = await idleKeepAlive(port)
  const closed = Promise.all([half, idle].map((s) => new Promise((r) => s.once('close', r))))
  const elapsed = await timed(() => daemon.stop())
  await closed
  t.ok(half.destroyed && idle.destroyed, 'both client sockets were closed by the daemon')
  // Far below the bound: sockets that serve no request are dropped at once.
  t.ok(elapsed < referenceMs + SHUTDOWN_BOUND_MS / 10, `stopped in ${Math.round(elapsed)} ms (reference ${Math.round(referenceMs)} ms, bound ${SHUTDOWN_BOUND_MS} ms)`)
})

t.test('a request in flight gets its answer if it comes within the bound, and is cut after it', async (t) => {
  const boundMs = 400
  let hold: (() => void) | undefined
  const server = createWebServer(
    (req, res) => {
      if (req.url === '/never') return // never answers
      if (req.url === '/slow') {
        hold = () => res.end('late but whole\n')
        return
      }
      res.end('ok\n')
    },
    { shutdownBoundMs: boundMs, log: silentLogger },
  )
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as AddressInfo).port
  const get = (path: string) =>
    new Promise<{ status?: number; text: string; error?: string }>((resolve) => {
      const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        let text = ''
        res.on('data', (d) => (text += d))
        res.on('end', () => resolve({ status: res.statusCode, text }))
        res.on('error', (e) => resolve({ text, error: e.message }))
      })
      req.on('error', (e) => resolve({ text: '', error: e.message }))
      req.end()
    })
  const slow = get('/slow')
  const never = get('/never')
  await new Promise((r) => setTimeout(r, 50))
  const start = performance.now()
  const closing = closeServer(server)
  t.equal(closeServer(server), closing, 'closing twice is one shutdown')
  hold!()
  const answered = await slow
  t.same(answered, { status: 200, text: 'late but whole\n' }, 'a response finished during shutdown reaches the client')
  const cut = await never
  t.ok(cut.error, 'the request that never got an answer was cut')
  await closing
  const elapsed = performance.now() - start
  t.ok(elapsed >= boundMs * 0.9, `it was given the bound (${Math.round(elapsed)} ms, bound ${boundMs} ms)`)
  t.ok(elapsed < boundMs * 3, `and no more than about the bound (${Math.round(elapsed)} ms)`)
})

t.test('a real `serve` exits on SIGTERM despite a half-sent request, about as fast as without one', async (t) => {
  const { file } = writeConfig(CONFIG)
  const run = async (withHalfSent: boolean) => {
    const port = await closedPort()
    const child = spawn(process.execPath, [...CLI, 'serve', '--config', file, '--listen', `127.0.0.1:${port}`], { cwd: ROOT, env: childEnv(), stdio: ['ignore', 'ignore', 'pipe'] })
    t.teardown(() => void child.kill('SIGKILL'))
    let stderr = ''
    child.stderr!.on('data', (d) => (stderr += d))
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    for (let i = 0; i < 200 && !/groundtruth listening/.test(stderr); i++) await new Promise((r) => setTimeout(r, 50))
    t.match(stderr, /groundtruth listening/)
    const socket = withHalfSent ? await halfSent(port) : undefined
    if (socket) await new Promise((r) => setTimeout(r, 100))
    const start = performance.now()
    child.kill('SIGTERM')
    const code = await exited
    const elapsed = performance.now() - start
    socket?.destroy()
    return { code, elapsed }
  }
  const reference = await run(false)
  const hung = await run(true)
  t.equal(reference.code, 0)
  t.equal(hung.code, 0, 'a graceful exit, not a kill')
  t.ok(hung.elapsed < reference.elapsed * 2 + SHUTDOWN_BOUND_MS / 10, `exited ${Math.round(hung.elapsed)} ms after SIGTERM (reference ${Math.round(reference.elapsed)} ms)`)
})
