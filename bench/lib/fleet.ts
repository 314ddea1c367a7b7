// The scale bench's plumbing. A fleet of targets runs in a child process of
// its own (`fork` of this file with `serve`), so the bench's scraping and
// /proc sampling never delay a target's answer, and the arrival times it
// records are the daemon's real cadence seen from the target side. Also: the
// daemon as a child process (`node dist/src/bin.js serve`), /proc sampling,
// timed scrapes and the cleanup every child and temp dir goes through.
import { fork, spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer, get } from 'node:http'
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { NODE_FLAGS, RUNTIME_ENV } from '../../src/runtime.js'
import { fdCount, freePort, rssBytes, sleep } from './peers.js'

export { mib, sleep } from './peers.js'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))

// ---------------------------------------------------------------- cleanup

const children = new Set<ChildProcess>()
const tempDirs: string[] = []

/** A temp dir removed by `cleanupSync`, whatever way the bench ends. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  tempDirs.push(dir)
  return dir
}

function track(proc: ChildProcess): ChildProcess {
  children.add(proc)
  proc.once('exit', () => children.delete(proc))
  return proc
}

/** SIGTERM, then SIGKILL if the child is still there after `graceMs`. */
export async function stopChild(proc: ChildProcess, graceMs = 5000): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return
  const exited = new Promise<void>((done) => proc.once('exit', () => done()))
  proc.kill('SIGTERM')
  const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs)
  await exited
  clearTimeout(timer)
}

/** For `exit` and signal handlers, where nothing can be awaited: kill what is left, remove the temp dirs. */
export function cleanupSync(): void {
  for (const proc of children) proc.kill('SIGKILL')
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true })
}

// ---------------------------------------------------------------- the fleet (child side)

type FleetRequest = { op: 'reset' } | { op: 'arrivals' } | { op: 'count' }
type FleetReply =
  | { op: 'listening'; http: number; tarpit: number }
  | { op: 'reset' }
  | { op: 'count'; served: number }
  | { op: 'arrivals'; arrivals: Record<string, number[]>; tarpitAccepted: number }

/**
 * The targets: one HTTP server answering every path 200 `{"status":"ok"}` at
 * once, and one TCP tarpit that accepts and never answers. Both note each
 * request's arrival (ms, this process's clock) by path; the tarpit reads the
 * path from the request line.
 */
function serveFleet(): void {
  let arrivals = new Map<string, number[]>()
  let tarpitAccepted = 0
  let served = 0
  const note = (path: string) => {
    served++
    const list = arrivals.get(path)
    if (list) list.push(performance.now())
    else arrivals.set(path, [performance.now()])
  }
  const http = createServer((req, res) => {
    note(req.url ?? '/')
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}')
  })
  const held = new Set<Socket>()
  const tarpit = createTcpServer((socket) => {
    tarpitAccepted++
    held.add(socket)
    socket.once('data', (chunk: Buffer) => note(/^[A-Z]+ (\S+)/.exec(chunk.toString('latin1'))?.[1] ?? '?'))
    socket.on('error', () => {})
    socket.on('close', () => held.delete(socket))
  })
  const send = (reply: FleetReply) => process.send?.(reply)
  const listen = (server: { listen(o: object, cb: () => void): unknown; address(): unknown }) =>
    new Promise<number>((done) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => done((server.address() as AddressInfo).port)))
  void Promise.all([listen(http), listen(tarpit)]).then(([h, t]) => send({ op: 'listening', http: h, tarpit: t }))
  process.on('message', (message) => {
    const req = message as FleetRequest
    if (req.op === 'reset') {
      arrivals = new Map()
      tarpitAccepted = 0
      served = 0
      send({ op: 'reset' })
    } else if (req.op === 'count') send({ op: 'count', served })
    else send({ op: 'arrivals', arrivals: Object.fromEntries(arrivals), tarpitAccepted })
  })
  // The bench gone (even by SIGKILL) means the fleet goes too.
  process.on('disconnect', () => process.exit(0))
}

if (process.argv[2] === 'serve' && process.send && process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) serveFleet()

// ---------------------------------------------------------------- configs for the daemon

/** A service of the daemon's config, probing the fleet. */
export interface Target {
  name: string
  group: string
  url: string
}

/** A config of http services (an expected JSON body as well as the status), every one at `interval`. */
export function configYaml(interval: string, timeout: string, targets: readonly Target[], concurrency?: number): string {
  const head = `defaults: { interval: ${interval}, timeout: ${timeout} }\n${concurrency === undefined ? '' : `concurrency: ${concurrency}\n`}`
  if (targets.length === 0) return `${head}services: []\n`
  const lines = targets.map((t) => `  - { name: ${t.name}, group: ${t.group}, probe: http, url: "${t.url}", expect: { status: [200], json: { status: ok } } }`)
  return `${head}services:\n${lines.join('\n')}\n`
}

/** `n` services on the fleet's healthy endpoint, s0 … s(n−1). */
export const healthy = (fleet: Fleet, n: number): Target[] => Array.from({ length: n }, (_, i) => ({ name: `s${i}`, group: 'healthy', url: `http://127.0.0.1:${fleet.httpPort}/s${i}` }))

// ---------------------------------------------------------------- the fleet (bench side)

export interface Fleet {
  httpPort: number
  tarpitPort: number
  /** Forgets every arrival so far: the measuring window starts now. */
  reset(): Promise<void>
  /** Requests (healthy and tarpit) since the last reset: cheaper than `arrivals` to poll. */
  served(): Promise<number>
  /** Arrival times (ms) by path since the last reset, and tarpit connections accepted. */
  arrivals(): Promise<{ byPath: Map<string, number[]>; tarpitAccepted: number }>
  stop(): Promise<void>
}

export async function startFleet(): Promise<Fleet> {
  const proc = track(fork(fileURLToPath(import.meta.url), ['serve'], { cwd: ROOT, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }))
  const next = <Op extends FleetReply['op']>(op: Op) =>
    new Promise<Extract<FleetReply, { op: Op }>>((done, fail) => {
      const onMessage = (message: unknown) => {
        const reply = message as FleetReply
        if (reply.op !== op) return
        proc.off('message', onMessage)
        proc.off('exit', onExit)
        done(reply as Extract<FleetReply, { op: Op }>)
      }
      const onExit = (code: number | null) => fail(new Error(`the fleet process exited (${code}) before answering ${op}`))
      proc.on('message', onMessage)
      proc.once('exit', onExit)
    })
  const ask = <Op extends FleetRequest['op']>(op: Op) => {
    const reply = next(op)
    proc.send({ op } satisfies FleetRequest)
    return reply
  }
  const { http, tarpit } = await next('listening')
  return {
    httpPort: http,
    tarpitPort: tarpit,
    reset: async () => void (await ask('reset')),
    served: async () => (await ask('count')).served,
    arrivals: async () => {
      const reply = await ask('arrivals')
      return { byPath: new Map(Object.entries(reply.arrivals)), tarpitAccepted: reply.tarpitAccepted }
    },
    stop: () => stopChild(proc),
  }
}

// ---------------------------------------------------------------- processes

export interface ProcStats {
  rss: number
  fds: number
}

/** RSS (bytes, VmRSS) and open descriptors of a live process; undefined once it is gone. */
export function procStats(pid: number): ProcStats | undefined {
  try {
    return { rss: rssBytes(pid), fds: fdCount(pid) }
  } catch {
    return undefined
  }
}

/** The soft `Max open files` of a process. */
export function maxOpenFiles(pid: number): string {
  return /^Max open files\s+(\S+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'))?.[1] ?? '?'
}

export interface DaemonChild {
  pid: number
  url: string
  /** Resolves with the ms from spawn to `path` (`/-/healthy`, `/-/ready`) answering 200; rejects if the daemon exits or `timeoutMs` passes. */
  waitFor(path: string, timeoutMs: number): Promise<number>
  /** Its stderr log lines counted by `level msg` (non-JSON lines as they are). */
  logs: Map<string, number>
  stop(): Promise<void>
}

export async function startDaemon(bin: string, configFile: string): Promise<DaemonChild> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const started = performance.now()
  // BENCH_DAEMON_FLAGS adds Node flags to the daemon only (e.g. "--cpu-prof --cpu-prof-dir=/tmp/p" or "--trace-gc"), for finding where its time goes.
  const extra = (process.env.BENCH_DAEMON_FLAGS ?? '').split(' ').filter(Boolean)
  // The shipped runtime environment (src/runtime.ts) wins over the bench's own: the bench measures what ships, as bench/lib/peers.ts does.
  const proc = track(spawn(process.execPath, [...NODE_FLAGS, ...extra, bin, 'serve', '--config', configFile, '--listen', `127.0.0.1:${port}`, '--log-level', 'warn'], { cwd: ROOT, env: { ...process.env, ...RUNTIME_ENV }, stdio: ['ignore', 'pipe', 'pipe'] }))
  const logs = new Map<string, number>()
  let partial = ''
  const tally = (chunk: Buffer) => {
    const lines = (partial + chunk.toString('utf8')).split('\n')
    partial = lines.pop() ?? ''
    for (const line of lines.filter(Boolean)) {
      let key = line.slice(0, 200)
      try {
        const parsed = JSON.parse(line) as { level?: string; msg?: string }
        key = `${parsed.level} ${parsed.msg}`
      } catch {
        /* not JSON: counted as it is */
      }
      logs.set(key, (logs.get(key) ?? 0) + 1)
    }
  }
  proc.stdout?.on('data', tally)
  proc.stderr?.on('data', tally)
  if (proc.pid === undefined) throw new Error('the daemon did not start')
  const pid = proc.pid
  return {
    pid,
    url,
    logs,
    waitFor: async (path, timeoutMs) => {
      const deadline = performance.now() + timeoutMs
      while (performance.now() < deadline) {
        if (proc.exitCode !== null) throw new Error(`the daemon exited with ${proc.exitCode}: ${[...logs.keys()].slice(-5).join(' | ')}`)
        const ok = await fetch(url + path).then(async (r) => (await r.arrayBuffer(), r.status === 200), () => false)
        if (ok) return performance.now() - started
        await sleep(100)
      }
      throw new Error(`the daemon's ${path} did not answer 200 within ${timeoutMs} ms`)
    },
    stop: () => stopChild(proc, 10_000),
  }
}

/** An idle Node process: the floor under any Node daemon's RSS. */
export function startIdleNode(): ChildProcess & { pid: number } {
  const proc = track(spawn(process.execPath, ['-e', 'setInterval(()=>{},1e9)'], { stdio: 'ignore' }))
  if (proc.pid === undefined) throw new Error('node did not start')
  return proc as ChildProcess & { pid: number }
}

// ---------------------------------------------------------------- measuring

/**
 * GET /metrics, timed from the request to the last byte, as a scraper sees
 * the exporter; decoding the body comes after. (fetch's web streams and
 * text() cost the client milliseconds per megabyte at every scrape, which
 * measured the bench more than the daemon.)
 */
export function scrape(url: string): Promise<{ ms: number; body: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now()
    get(`${url}/metrics`, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => {
        const ms = performance.now() - t0
        resolve({ ms, body: Buffer.concat(chunks).toString('utf8') })
      })
      res.on('error', reject)
    }).on('error', reject)
  })
}

/** Runs `fn` now and then every `ms` (never two at once, a late run is not made up); `stop` waits for the one in flight. */
export function every(ms: number, fn: () => unknown): { stop(): Promise<void> } {
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let wake: (() => void) | undefined
  const loop = (async () => {
    while (!stopped) {
      const t0 = performance.now()
      await fn()
      const wait = ms - (performance.now() - t0)
      if (wait > 0 && !stopped)
        await new Promise<void>((done) => {
          wake = done
          timer = setTimeout(done, wait)
        })
    }
  })()
  return {
    stop: async () => {
      stopped = true
      clearTimeout(timer)
      wake?.()
      await loop
    },
  }
}

/** Nearest-rank percentile of an ascending array (NaN when empty). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!
}

/** The samples of a Prometheus text exposition: `name`, its labels as written, and the value. */
export function samples(body: string, name: string): Array<{ labels: string; value: number }> {
  const out: Array<{ labels: string; value: number }> = []
  for (const line of body.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line)
    if (m?.[1] === name) out.push({ labels: m[2] ?? '', value: Number(m[3]) })
  }
  return out
}

