// Shared helpers for benches that run real peers as child processes (nginx,
// blackbox_exporter, a groundtruth daemon) and measure them from outside,
// through /proc, the way an operator would. Linux only.
//
// API, in the order a bench uses it:
//   requireBinaries(paths, hint)     exit 2 with one line when a tool is missing
//   requireFreshBuild(root)          exit 2 unless dist/src/bin.js is newer than src/ and probes/
//   createScope(prefix)              temp dir + cleanups run on every exit path (normal, throw, SIGINT)
//   freePort()                       a loopback port nobody listens on
//   startNginx / startBlackbox / startGroundtruth(scope, ...)   a Peer, ready to answer
//   startPeer(scope, spec)           the generic form of the three above
//   nginxCounters(nginx)             accepts and requests so far: how often a target was really hit
//   cpuTicks / cpuMs / rssBytes / fdCount(pid)                  /proc readers
//   nodeFloorRss(scope)              RSS of an idle `node` process: what any Node daemon pays
//   runWrk(url, options)             wrk's figures, parsed (options.script: a Lua script, -s)
//   writeWrkRotation(dir, name, paths, threads)   a Lua script that rotates the request path
//   table(header, rows)              a left-aligned text table
//   median(xs), mib(bytes)
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { NODE_FLAGS, RUNTIME_ENV } from '../../src/runtime.js'
import { freePort } from '../../test/helpers/pg-cluster.js'

const run = promisify(execFile)
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

// ---------------------------------------------------------------- preconditions

/** Exits 2 with `hint` when one of the absolute `paths` is missing: a bench installs nothing. */
export function requireBinaries(paths: readonly string[], hint: string): void {
  const missing = paths.filter((p) => !existsSync(p))
  if (missing.length === 0) return
  console.error(`missing ${missing.join(', ')}; ${hint}`)
  process.exit(2)
}

function newestMtime(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    const t = entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs
    if (t > newest) newest = t
  }
  return newest
}

/**
 * The daemon runs from dist/ (a child process measures the real thing, not
 * tsx), so a stale build would measure old code: exit 2 unless
 * dist/src/bin.js is newer than every file under src/ and probes/.
 */
export function requireFreshBuild(root: string): string {
  const bin = join(root, 'dist/src/bin.js')
  const built = existsSync(bin) ? statSync(bin).mtimeMs : 0
  if (built === 0 || built < Math.max(newestMtime(join(root, 'src')), newestMtime(join(root, 'probes')))) {
    console.error('run npm run build first (dist/src/bin.js is missing or older than src/ or probes/)')
    process.exit(2)
  }
  return bin
}

// ---------------------------------------------------------------- cleanup scope

export interface Scope {
  /** A fresh temp dir, removed when the scope closes. */
  readonly dir: string
  /** Registers a synchronous cleanup; they run last-registered first. */
  defer(fn: () => void): void
  /** Runs every cleanup once and removes the dir; safe to call again. */
  close(): void
}

/**
 * One temp dir and the cleanups of everything started in it, run on normal
 * end, on an exception (call close() in a finally), at process exit and on
 * SIGINT/SIGTERM/SIGHUP (then exit 130): no peer outlives the bench.
 */
export function createScope(prefix: string): Scope {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  const cleanups: Array<() => void> = []
  let closed = false
  const close = () => {
    if (closed) return
    closed = true
    for (const fn of cleanups.reverse()) {
      try {
        fn()
      } catch {
        /* best effort: the next cleanup still runs */
      }
    }
    rmSync(dir, { recursive: true, force: true })
  }
  process.on('exit', close)
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      console.error(`\n${signal}: stopping every peer and removing ${dir}`)
      close()
      process.exit(130)
    })
  }
  return { dir, defer: (fn) => cleanups.push(fn), close }
}

// ---------------------------------------------------------------- ports and readiness

/** A loopback port free right now (shared with the tests' helpers). */
export { freePort }

/** True when something accepts a TCP connection on 127.0.0.1:port. */
export function portAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
    socket.setTimeout(500, () => done(false))
  })
}

/** True when GET url answers 2xx within a second. */
export async function httpOk(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) })
    await res.arrayBuffer()
    return res.ok
  } catch {
    return false
  }
}

/** GET url's status and body (throws when it cannot connect or takes over 10 s). */
export async function httpText(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) })
  return { status: res.status, body: await res.text() }
}

// ---------------------------------------------------------------- peers

export interface Peer {
  readonly name: string
  readonly pid: number
  /** The port it serves on (0 when it has none). */
  readonly port: number
  /** SIGTERM to its process group, SIGKILL after a bound; resolves once it exited. */
  stop(): Promise<void>
}

export interface PeerSpec {
  name: string
  command: string
  args: readonly string[]
  port?: number
  cwd?: string
  /** Added to the bench's environment. */
  env?: Record<string, string>
  /** Polled every 50 ms until true; a peer that exits or stays unready past boundMs fails the start. */
  ready: () => Promise<boolean>
  boundMs?: number
}

/** Kills the whole group: nginx's worker is a child of its master and must go with it. */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  try {
    process.kill(-child.pid, signal)
  } catch {
    /* already gone */
  }
}

/**
 * Spawns a peer in a process group of its own (so stopping it stops its
 * children too), keeps the tail of its output for the error message, and
 * waits until spec.ready() says yes. Its stop is registered on the scope.
 */
export async function startPeer(scope: Scope, spec: PeerSpec): Promise<Peer> {
  const child = spawn(spec.command, spec.args, { cwd: spec.cwd, env: { ...process.env, ...spec.env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-2000)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  scope.defer(() => killGroup(child, 'SIGKILL'))
  const stop = async () => {
    killGroup(child, 'SIGTERM')
    const bound = sleep(3000).then(() => 'late' as const)
    if ((await Promise.race([exited.then(() => 'done' as const), bound])) === 'late') {
      killGroup(child, 'SIGKILL')
      await exited
    }
  }
  let spawnError: Error | undefined
  child.once('error', (err) => (spawnError = err))
  const until = performance.now() + (spec.boundMs ?? 15_000)
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${spec.name} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${output}`)
    if (spawnError) throw new Error(`${spec.name}: ${spawnError.message}`)
    if (await spec.ready()) break
    if (performance.now() > until) {
      await stop()
      throw new Error(`${spec.name} not ready after ${spec.boundMs ?? 15_000} ms:\n${output}`)
    }
    await sleep(50)
  }
  if (child.pid === undefined) throw new Error(`${spec.name}: no pid`)
  return { name: spec.name, pid: child.pid, port: spec.port ?? 0, stop }
}

/**
 * nginx in the foreground, one worker, everything (pid, logs, temp paths)
 * in the scope's dir, answering GET /health with {"status":"ok"} and its
 * counters on /nginx_status (read them with nginxCounters).
 */
export async function startNginx(scope: Scope): Promise<Peer> {
  const port = await freePort()
  const d = scope.dir
  const temps = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path ${d}/nginx-${t};`).join(' ')
  const conf = join(d, 'nginx.conf')
  writeFileSync(
    conf,
    `worker_processes 1;
pid ${d}/nginx.pid;
error_log ${d}/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  ${temps}
  server {
    listen 127.0.0.1:${port};
    location /health { default_type application/json; return 200 '{"status":"ok"}'; }
    location = /nginx_status { stub_status; }
  }
}
`,
  )
  // -p and -e: nginx opens its compiled-in prefix and error log before reading the conf.
  return startPeer(scope, {
    name: 'nginx',
    command: '/usr/sbin/nginx',
    args: ['-p', d, '-e', `${d}/nginx-error.log`, '-c', conf, '-g', 'daemon off;'],
    port,
    ready: () => httpOk(`http://127.0.0.1:${port}/health`),
  })
}

export interface NginxCounters {
  /** Connections accepted: a TCP probe's hits on the target. */
  accepts: number
  /** Requests served: an HTTP probe's hits on the target. */
  requests: number
}

/**
 * nginx's stub_status counters. Each read is one request itself (and at
 * most one connection: fetch keeps it alive), so subtract 1 from a
 * difference of requests between two reads.
 */
export async function nginxCounters(nginx: Peer): Promise<NginxCounters> {
  const { body } = await httpText(`http://127.0.0.1:${nginx.port}/nginx_status`)
  const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s*$/m.exec(body)
  if (!m) throw new Error(`cannot parse nginx's stub_status:\n${body}`)
  return { accepts: Number(m[1]), requests: Number(m[3]) }
}

/** blackbox_exporter with modules http_2xx and tcp_connect (timeout 5s, ip4). */
export async function startBlackbox(scope: Scope): Promise<Peer> {
  const port = await freePort()
  const conf = join(scope.dir, 'bb.yml')
  writeFileSync(
    conf,
    `modules:
  http_2xx: { prober: http, timeout: 5s, http: { preferred_ip_protocol: ip4 } }
  tcp_connect: { prober: tcp, timeout: 5s, tcp: { preferred_ip_protocol: ip4 } }
`,
  )
  return startPeer(scope, {
    name: 'blackbox_exporter',
    command: '/usr/bin/prometheus-blackbox-exporter',
    args: [`--config.file=${conf}`, `--web.listen-address=127.0.0.1:${port}`],
    port,
    ready: () => httpOk(`http://127.0.0.1:${port}/-/healthy`),
  })
}

/**
 * `node dist/src/bin.js serve` on a free port with the given config text
 * (written as gt.yml in the scope's dir), ready once /-/ready says so, i.e.
 * after its first round of probes. Call requireFreshBuild first.
 */
export async function startGroundtruth(scope: Scope, root: string, configYaml: string, boundMs = 30_000): Promise<Peer> {
  const port = await freePort()
  const conf = join(scope.dir, 'gt.yml')
  writeFileSync(conf, configYaml)
  return startPeer(scope, {
    name: 'groundtruth',
    command: process.execPath,
    // BENCH_DAEMON_FLAGS: Node flags for groundtruth only (e.g. "--cpu-prof --cpu-prof-dir=/tmp/p"), as in bench/lib/fleet.ts.
    args: [...NODE_FLAGS, ...(process.env.BENCH_DAEMON_FLAGS ?? '').split(' ').filter(Boolean), join(root, 'dist/src/bin.js'), 'serve', '--config', conf, '--listen', `127.0.0.1:${port}`, '--log-level', 'warn'],
    env: RUNTIME_ENV,
    port,
    cwd: root,
    ready: () => httpOk(`http://127.0.0.1:${port}/-/ready`),
    boundMs,
  })
}

// ---------------------------------------------------------------- /proc readers

let clkTck: number | undefined
/** Clock ticks per second of /proc/<pid>/stat's times (getconf CLK_TCK, 100 on Linux). */
export function ticksPerSecond(): number {
  clkTck ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  return clkTck
}

/** utime + stime of one process, all its threads, in clock ticks (fields 14 and 15 of /proc/<pid>/stat). */
export function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // Field 2 (comm) may hold spaces and parentheses: count fields after its closing ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return Number(fields[11]) + Number(fields[12])
}

/** The pids of pid and its live descendants (via /proc/<pid>/task/<tid>/children). */
export function processTree(pid: number): number[] {
  const all = [pid]
  for (let i = 0; i < all.length; i++) {
    const p = all[i] as number
    let tasks: string[] = []
    try {
      tasks = readdirSync(`/proc/${p}/task`)
    } catch {
      continue
    }
    for (const tid of tasks) {
      try {
        for (const c of readFileSync(`/proc/${p}/task/${tid}/children`, 'utf8').split(' ')) if (c.trim()) all.push(Number(c))
      } catch {
        /* the thread ended meanwhile */
      }
    }
  }
  return all
}

/** CPU time in ms used so far by pid and its live descendants (nginx: master + worker). */
export function cpuMs(pid: number): number {
  let ticks = 0
  for (const p of processTree(pid)) {
    try {
      ticks += cpuTicks(p)
    } catch {
      /* it ended meanwhile */
    }
  }
  return (ticks * 1000) / ticksPerSecond()
}

/** VmRSS of pid in bytes, from /proc/<pid>/status. */
export function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  if (!m) throw new Error(`no VmRSS for pid ${pid}`)
  return Number(m[1]) * 1024
}

/** Open file descriptors of pid (entries of /proc/<pid>/fd). */
export function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length
}

/**
 * RSS of an idle `node -e "setInterval(()=>{},1e9)"` after settleMs: the
 * floor any Node daemon pays before its own code, measured like the peers.
 */
export async function nodeFloorRss(scope: Scope, settleMs = 1000): Promise<number> {
  const peer = await startPeer(scope, { name: 'node floor', command: process.execPath, args: ['-e', 'setInterval(()=>{},1e9)'], ready: async () => true })
  await sleep(settleMs)
  const rss = rssBytes(peer.pid)
  await peer.stop()
  return rss
}

// ---------------------------------------------------------------- wrk

export interface WrkOptions {
  threads?: number
  connections: number
  durationS: number
  /** A Lua script for wrk's -s (see writeWrkRotation); the URL then gives host and port. */
  script?: string
}

/** The threads runWrk starts for these options: 2, or fewer when there are fewer connections. */
export function wrkThreads(o: Pick<WrkOptions, 'threads' | 'connections'>): number {
  return Math.min(o.threads ?? 2, o.connections)
}

export interface WrkResult {
  requests: number
  requestsPerSec: number
  /** wrk's "Non-2xx or 3xx responses" (0 when the line is absent). */
  non2xx: number
  /** connect + read + write + timeout socket errors. */
  socketErrors: number
  /** wrk's full output, for a message when parsing fails. */
  raw: string
}

/** Parses wrk's text report. */
export function parseWrk(raw: string): WrkResult {
  const requests = /^\s*(\d+) requests in /m.exec(raw)
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(raw)
  if (!requests || !rps) throw new Error(`cannot parse wrk's output:\n${raw}`)
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(raw)
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(raw)
  return {
    requests: Number(requests[1]),
    requestsPerSec: Number(rps[1]),
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    socketErrors: sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
    raw,
  }
}

/** Runs `wrk -t -c -d [-s script] URL` (asynchronously: the bench's event loop stays free) and parses it. */
export async function runWrk(url: string, o: WrkOptions): Promise<WrkResult> {
  const script = o.script === undefined ? [] : ['-s', o.script]
  const { stdout } = await run('/usr/bin/wrk', [`-t${wrkThreads(o)}`, `-c${o.connections}`, `-d${o.durationS}s`, ...script, url], { maxBuffer: 1 << 20 })
  return parseWrk(stdout)
}

/**
 * Writes `<dir>/<name>.lua`, a wrk script whose request() takes the next of
 * `paths` (path and query, e.g. "/probe?service=web3") on every request,
 * and returns its path. wrk gives every thread a Lua state of its own;
 * setup() numbers the threads and thread k rotates over its own block of
 * the list (the k-th of `threads` contiguous blocks), so two threads never
 * ask for the same path. (Offsets into one shared rotation are not enough:
 * against single flight, two threads whose windows meet get shared answers,
 * finish together and stay in step.) Within a thread, a path comes back
 * only after its whole block, so with connections/threads well under
 * paths.length/threads no two requests in flight ask for the same path.
 * With fewer paths than threads, every thread rotates over all of them.
 * `threads` must be what runWrk will start: wrkThreads(options).
 */
export function writeWrkRotation(dir: string, name: string, paths: readonly string[], threads: number): string {
  if (paths.length === 0) throw new Error('writeWrkRotation: no paths')
  // The paths are URL text (no quote, no backslash, no newline): a JSON string is a valid Lua string literal.
  const bad = paths.find((p) => !/^\/[\x21-\x7e]*$/.test(p) || p.includes('"') || p.includes('\\'))
  if (bad !== undefined) throw new Error(`writeWrkRotation: not a plain path: ${bad}`)
  const file = join(dir, `${name}.lua`)
  writeFileSync(
    file,
    `-- written by bench/lib/peers.ts writeWrkRotation: one path per request, rotating
local paths = {
${paths.map((p) => `  ${JSON.stringify(p)},`).join('\n')}
}
local threads = ${threads}
local next_id = 0
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end
local first, last, i = 1, #paths, 0
function init(args)
  if #paths >= threads then
    first = math.floor((id or 0) * #paths / threads) + 1
    last = math.floor(((id or 0) + 1) * #paths / threads)
  end
  i = first - 1
end
function request()
  i = i + 1
  if i > last then i = first end
  return wrk.format("GET", paths[i])
end
`,
  )
  return file
}

// ---------------------------------------------------------------- printing

/** Left-aligned columns, two spaces apart, header first. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd()
  return [line(header), ...rows.map(line)].join('\n')
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2
}

export const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1)
