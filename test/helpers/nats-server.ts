// nats-server processes a test starts itself, on free loopback ports (never
// the machine's 4222), killed by the test's teardown.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'
import { closedPort } from './servers.js'

export interface NatsServer {
  port: number
  proc: ChildProcess
  log: string
}

/**
 * `/usr/sbin/nats-server -a 127.0.0.1 -p <free port> ...args`, resolved once it
 * says it is ready for clients; killed when `t` ends. `jetstream`: with
 * JetStream, its store in a temp dir removed then.
 */
export async function startNatsServer(t: Test, args: string[], opts: { jetstream?: boolean } = {}): Promise<NatsServer> {
  const port = await closedPort()
  const store = opts.jetstream ? mkdtempSync(join(tmpdir(), 'gt-nats-js-')) : undefined
  const proc = spawn('/usr/sbin/nats-server', ['-a', '127.0.0.1', '-p', String(port), ...(store ? ['-js', '-sd', store] : []), ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  const server: NatsServer = { port, proc, log: '' }
  t.teardown(async () => {
    await killNatsServer(server)
    if (store) rmSync(store, { recursive: true, force: true })
  })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nats-server on ${port} did not start:\n${server.log}`)), 10_000)
    const onData = (chunk: Buffer) => {
      server.log += chunk.toString()
      if (/Server is ready/.test(server.log)) {
        clearTimeout(timer)
        resolve(server)
      }
    }
    proc.stdout!.on('data', onData)
    proc.stderr!.on('data', onData)
    proc.on('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    proc.on('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`nats-server on ${port} exited (${code ?? signal}):\n${server.log}`))
    })
  })
}

export async function killNatsServer(server: NatsServer): Promise<void> {
  if (server.proc.exitCode !== null || server.proc.signalCode !== null) return
  const exited = new Promise((r) => server.proc.once('exit', r))
  server.proc.kill('SIGKILL')
  await exited
}
