// Fault injection against real peers: a Redis, a PostgreSQL cluster and a
// RabbitMQ node of its own, each on free loopback ports (never the machine's
// shared 5432/6379/5672), stopped and started again and again while an
// in-process Daemon probes them every second (timeout 500 ms). For each peer:
// how long /status (daemon.view().status()) takes to say `down` once the
// server is gone and `ready` once it listens again, the probe runs, the
// failure reasons and the state changes; for the process: open file
// descriptors, sockets and RSS before, during and after. Prints its figures;
// nothing is asserted. Every child process and temp dir is removed on every
// path (normal end, exception, Ctrl-C).
//
// Run: npm run bench:faults   (FAULT_CYCLES=N to change the 10 cycles per peer)
// Needs redis-server, /usr/lib/postgresql/*/bin and /usr/lib/rabbitmq/bin;
// a peer that cannot be started is reported and left out.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { PROBE_KINDS } from '../probes/index.js'
import { parseConfig } from '../src/config/load.js'
import { Daemon } from '../src/daemon.js'
import { silentLogger } from '../src/log.js'
import { freePort, postgresBin } from '../test/helpers/pg-cluster.js'
import { createScope, portAccepts } from './lib/peers.js'

const run = promisify(execFile)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const CYCLES = Math.max(1, Math.min(100, Number(process.env.FAULT_CYCLES ?? 10) || 10))
/** The whole cycling phase stops by itself past this, whatever is left. */
const DEADLINE_MS = 15 * 60_000
const DOWN_WAIT_MS = 15_000
const POLL_MS = 20

// ---------------------------------------------------------------- cleanup

// One scope (bench/lib/peers.ts): every peer stopped and the temp dir removed on exit, Ctrl-C or SIGTERM.
const scope = createScope('gt-fault-')
const root = scope.dir
chmodSync(root, 0o755) // the postgres user must reach its data dir inside

// ---------------------------------------------------------------- helpers

async function waitListening(port: number, boundMs: number): Promise<number | undefined> {
  const until = performance.now() + boundMs
  while (performance.now() < until) {
    if (await portAccepts(port)) return performance.now()
    await sleep(POLL_MS)
  }
  return undefined
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => child.once('exit', () => resolve()))
}

/** Spawns in its own process group, output to a log file, no pipes held by this process. */
function spawnLogged(cmd: string, args: string[], logFile: string, options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): ChildProcess {
  const fd = openSync(logFile, 'a')
  try {
    const child = spawn(cmd, args, { detached: true, stdio: ['ignore', fd, fd], env: options.env, cwd: options.cwd })
    child.on('error', () => {})
    return child
  } finally {
    closeSync(fd)
  }
}

function killGroup(child: ChildProcess | undefined, signal: NodeJS.Signals): void {
  if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return
  try {
    process.kill(-child.pid, signal)
  } catch {
    /* already gone */
  }
}

const tail = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-15).join('\n') : '(no log)')

type StopMode = 'crash' | 'graceful'

interface Peer {
  name: string
  kind: string
  url: string
  port: number
  /** What stop does, per mode. */
  modes: Record<StopMode, string>
  start(): Promise<void>
  /** Resolves once the server is gone (process exited / pg_ctl returned). */
  stop(mode: StopMode): Promise<void>
  /** Synchronous, for the exit path. */
  kill(): void
  startBoundMs: number
}

// ---------------------------------------------------------------- peers

async function redisPeer(): Promise<Peer> {
  const dir = join(root, 'redis')
  mkdirSync(dir)
  const port = await freePort()
  let child: ChildProcess | undefined
  const peer: Peer = {
    name: 'redis',
    kind: 'redis',
    url: `redis://127.0.0.1:${port}/0`,
    port,
    modes: { crash: 'SIGKILL', graceful: 'SIGTERM' },
    startBoundMs: 15_000,
    async start() {
      child = spawnLogged('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], join(dir, 'log'))
    },
    async stop(mode) {
      const c = child
      killGroup(c, mode === 'crash' ? 'SIGKILL' : 'SIGTERM')
      if (c) await exited(c)
    },
    kill() {
      killGroup(child, 'SIGKILL')
    },
  }
  scope.defer(() => peer.kill())
  return peer
}

/** A trust-auth cluster (no TLS, no password: this run is about stopping, not logging in). */
async function postgresPeer(): Promise<Peer> {
  const bin = postgresBin()
  if (!bin) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql/*/bin')
  const asRoot = process.getuid?.() === 0
  const dir = join(root, 'pg')
  const data = join(dir, 'data')
  mkdirSync(dir)
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString())
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString())
    chownSync(dir, uid, gid)
  }
  const argv = (cmd: string, args: string[]): [string, string[]] => (asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]] : [join(bin, cmd), args])
  const pgRun = (cmd: string, args: string[]) => run(...argv(cmd, args), { timeout: 60_000 })
  const port = await freePort()
  await pgRun('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8'])
  writeFileSync(join(data, 'postgresql.auto.conf'), `port = ${port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '${dir}'\nfsync = off\nmax_connections = 20\n`)
  if (asRoot) execFileSync('chown', ['postgres:', join(data, 'postgresql.auto.conf')])
  let running = false
  const peer: Peer = {
    name: 'postgres',
    kind: 'postgres',
    url: `postgres://postgres@127.0.0.1:${port}/postgres?sslmode=disable`,
    port,
    modes: { crash: 'pg_ctl stop -m immediate', graceful: 'pg_ctl stop -m fast' },
    startBoundMs: 30_000,
    async start() {
      running = true
      // Not awaited: pg_ctl -w returns at readiness; the bench times readiness itself.
      void pgRun('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', '-t', '30', 'start']).catch(() => {})
    },
    async stop(mode) {
      await pgRun('pg_ctl', ['-D', data, '-m', mode === 'crash' ? 'immediate' : 'fast', '-w', 'stop'])
      running = false
    },
    kill() {
      if (!running && !existsSync(join(data, 'postmaster.pid'))) return
      const [cmd, args] = argv('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop'])
      execFileSync(cmd, args, { stdio: 'ignore', timeout: 30_000 })
    },
  }
  scope.defer(() => peer.kill())
  return peer
}

const RABBIT_BIN = '/usr/lib/rabbitmq/bin'

/**
 * A RabbitMQ node of its own: its own name, AMQP and distribution ports,
 * config, env file (the machine's rabbitmq-env.conf would rename it), no
 * plugins, data and logs under the temp dir, and HOME there too so its Erlang
 * cookie is a fresh one nobody else uses. Registers with the machine's epmd.
 * Run as the current user, straight from /usr/lib/rabbitmq/bin (the
 * /usr/sbin wrappers switch to the rabbitmq user and drop this environment).
 */
async function rabbitPeer(): Promise<Peer> {
  if (!existsSync(join(RABBIT_BIN, 'rabbitmq-server'))) throw new Error(`no ${RABBIT_BIN}/rabbitmq-server`)
  const dir = join(root, 'rabbit')
  mkdirSync(dir)
  const port = await freePort()
  let dist = await freePort()
  while (dist === port) dist = await freePort()
  const node = `gt-fault-${process.pid}@localhost`
  writeFileSync(join(dir, 'rabbitmq-env.conf'), '')
  writeFileSync(join(dir, 'rabbitmq.conf'), `listeners.tcp.local = 127.0.0.1:${port}\n`)
  // No plugins at all: no management listener on 15672.
  writeFileSync(join(dir, 'enabled_plugins'), '[].\n')
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: dir,
    LANG: 'C.UTF-8',
    RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
    RABBITMQ_NODENAME: node,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(dist),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_PID_FILE: join(dir, 'pid'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_PLUGINS_EXPAND_DIR: join(dir, 'plugins-expand'),
    ERL_EPMD_ADDRESS: '127.0.0.1',
    ERL_FLAGS: '-kernel inet_dist_use_interface {127,0,0,1}',
  }
  let child: ChildProcess | undefined
  const peer: Peer = {
    name: 'rabbitmq',
    kind: 'rabbitmq',
    url: `amqp://guest:guest@127.0.0.1:${port}/`,
    port,
    modes: { crash: 'SIGKILL (process group)', graceful: 'rabbitmqctl stop' },
    startBoundMs: 90_000,
    async start() {
      child = spawnLogged(join(RABBIT_BIN, 'rabbitmq-server'), [], join(dir, 'out.log'), { env, cwd: dir })
    },
    async stop(mode) {
      const c = child
      if (mode === 'graceful') {
        try {
          await run(join(RABBIT_BIN, 'rabbitmqctl'), ['-n', node, 'stop'], { env, cwd: dir, timeout: 30_000 })
        } catch {
          killGroup(c, 'SIGKILL')
        }
      } else killGroup(c, 'SIGKILL')
      if (c) await exited(c)
    },
    kill() {
      killGroup(child, 'SIGKILL')
    },
  }
  scope.defer(() => peer.kill())
  return peer
}

// ---------------------------------------------------------------- sampling

function fdCounts(): { fds: number; sockets: number } {
  let fds = 0
  let sockets = 0
  for (const fd of readdirSync('/proc/self/fd')) {
    fds++
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:')) sockets++
    } catch {
      /* closed meanwhile (including readdir's own) */
    }
  }
  return { fds, sockets }
}

interface Sample {
  fds: number
  sockets: number
  rss: number
}
const sample = (): Sample => ({ ...fdCounts(), rss: process.memoryUsage().rss })

/** Min and max over a window: what is open between probes, and with probes in flight. */
async function window(ms: number): Promise<{ min: Sample; max: Sample }> {
  const min = sample()
  const max = { ...min }
  const until = performance.now() + ms
  while (performance.now() < until) {
    await sleep(25)
    const s = sample()
    for (const k of ['fds', 'sockets', 'rss'] as const) {
      min[k] = Math.min(min[k], s[k])
      max[k] = Math.max(max[k], s[k])
    }
  }
  return { min, max }
}

// ---------------------------------------------------------------- run

interface Cycle {
  mode: StopMode
  stopMs: number
  /** From the stop issued to the listener refusing connections. */
  goneMs: number
  /** From the listener gone to /status saying down (negative: down before the listener went). */
  downMs?: number
  bootMs?: number
  upMs?: number
  statesAfterStop: string[]
  statesAfterStart: string[]
}

interface PeerFigures {
  peer: Peer
  cycles: Cycle[]
  reasons: Map<string, number>
  errors: Set<string>
  probes0: number
  probes1: number
  changes0: number
  changes1: number
  failures0: Record<string, number>
  failures1: Record<string, number>
  note?: string
}

const peers: Peer[] = []
const skipped: string[] = []
let daemon: Daemon | undefined
scope.defer(() => void daemon?.stop())

const baseline = sample()
const t0 = performance.now()
for (const [label, sub, make] of [['redis', 'redis', redisPeer], ['postgres', 'pg', postgresPeer], ['rabbitmq', 'rabbit', rabbitPeer]] as const) {
  let peer: Peer | undefined
  try {
    peer = await make()
    const started = performance.now()
    await peer.start()
    const at = await waitListening(peer.port, peer.startBoundMs)
    if (at === undefined) throw new Error(`not listening on 127.0.0.1:${peer.port} after ${peer.startBoundMs} ms`)
    console.log(`${peer.name.padEnd(9)} up on 127.0.0.1:${peer.port} in ${(at - started).toFixed(0)} ms`)
    peers.push(peer)
  } catch (err) {
    skipped.push(`${label}: ${(err as Error).message.split('\n')[0]}`)
    console.log(`could not start ${label}: ${(err as Error).message}`)
    const d = join(root, sub)
    if (existsSync(d)) for (const f of readdirSync(d).filter((f) => f.endsWith('log'))) console.log(`--- ${f}\n${tail(join(d, f))}`)
    try {
      peer?.kill()
    } catch {
      /* nothing running */
    }
  }
}

try {
  if (peers.length === 0) throw new Error('no peer could be started')
  const yaml =
    'defaults: { interval: 1s, timeout: 500ms }\nservices:\n' +
    peers.map((p) => `  - { name: ${p.name}, group: faults, probe: ${p.kind}, url: "${p.url}" }`).join('\n') +
    '\n'
  const config = parseConfig(yaml, 'faults.yml', PROBE_KINDS, {})
  daemon = await Daemon.create({ load: async () => config, log: silentLogger })
  const view = daemon.view()
  const service = (name: string) => view.status().services.find((s) => s.name === name)!

  // Poll /status the whole run: states and reasons as a reader of /status sees them.
  const seenReasons = new Map<string, Map<string, number>>()
  const seenErrors = new Map<string, Set<string>>()
  const lastRun = new Map<string, string | null>()
  let peak: Sample = sample()
  let polling = true
  const poller = (async () => {
    while (polling) {
      for (const s of view.status().services) {
        if (s.last_run !== lastRun.get(s.name)) {
          lastRun.set(s.name, s.last_run)
          if (s.reason) {
            const m = seenReasons.get(s.name) ?? new Map<string, number>()
            m.set(s.reason, (m.get(s.reason) ?? 0) + 1)
            seenReasons.set(s.name, m)
            const e = seenErrors.get(s.name) ?? new Set<string>()
            if (s.error && e.size < 6) e.add(`${s.reason}: ${s.error.slice(0, 90)}`)
            seenErrors.set(s.name, e)
          }
        }
      }
      const s = sample()
      peak = { fds: Math.max(peak.fds, s.fds), sockets: Math.max(peak.sockets, s.sockets), rss: Math.max(peak.rss, s.rss) }
      await sleep(POLL_MS)
    }
  })()

  async function waitState(name: string, want: string, boundMs: number): Promise<{ ms?: number; states: string[] }> {
    const from = performance.now()
    const states: string[] = []
    while (performance.now() - from < boundMs) {
      const st = service(name).state
      if (states[states.length - 1] !== st) states.push(st)
      if (st === want) return { ms: performance.now() - from, states }
      await sleep(POLL_MS)
    }
    return { states }
  }

  void daemon.startProbing()
  for (const p of peers) {
    const r = await waitState(p.name, 'ready', 30_000)
    if (r.ms === undefined) throw new Error(`${p.name} never ready at start (states ${r.states.join('→')}, last: ${service(p.name).reason} ${service(p.name).error})`)
  }
  const steadyBefore = await window(3000)

  const figures: PeerFigures[] = []
  const deadline = performance.now() + DEADLINE_MS
  for (const peer of peers) {
    const before = service(peer.name)
    const fig: PeerFigures = {
      peer,
      cycles: [],
      reasons: new Map(),
      errors: new Set(),
      probes0: before.probes,
      probes1: 0,
      changes0: before.state_changes,
      changes1: 0,
      failures0: { ...before.failures },
      failures1: {},
    }
    figures.push(fig)
    seenReasons.set(peer.name, new Map())
    seenErrors.set(peer.name, new Set())
    for (let i = 0; i < CYCLES; i++) {
      if (performance.now() > deadline) {
        fig.note = `deadline reached after ${i} cycles`
        break
      }
      const mode: StopMode = i % 2 === 0 ? 'crash' : 'graceful'
      // Stop at a random point of the probe interval, not always just after a run.
      await sleep(Math.random() * 1000)
      const s0 = performance.now()
      // The listener can go well before the stop returns (rabbitmqctl stop
      // closes it first, then takes a second or two): "gone" is the first
      // refused connection while stopping, or the stop's return if earlier.
      let stopping = true
      let goneAt: number | undefined
      const watch = (async () => {
        while (stopping && goneAt === undefined) {
          if (!(await portAccepts(peer.port))) goneAt = performance.now()
          else await sleep(POLL_MS)
        }
      })()
      let downAt: number | undefined
      const watchDown = (async () => {
        while (stopping && downAt === undefined) {
          if (service(peer.name).state === 'down') downAt = performance.now()
          else await sleep(POLL_MS)
        }
      })()
      await peer.stop(mode)
      const returned = performance.now()
      stopping = false
      await Promise.all([watch, watchDown])
      const gone = Math.min(goneAt ?? returned, returned)
      const stopMs = returned - s0
      const down = downAt === undefined ? await waitState(peer.name, 'down', DOWN_WAIT_MS) : { ms: 0, states: ['down (before the stop returned)'] }
      const seenDownAt = downAt ?? (down.ms === undefined ? undefined : returned + down.ms)
      const cycle: Cycle = {
        mode,
        stopMs,
        goneMs: gone - s0,
        downMs: seenDownAt === undefined ? undefined : seenDownAt - gone,
        statesAfterStop: down.states,
        statesAfterStart: [],
      }
      fig.cycles.push(cycle)
      // Stay down a moment so a few failing runs are seen.
      await sleep(1500)
      const b0 = performance.now()
      await peer.start()
      const listening = await waitListening(peer.port, peer.startBoundMs)
      if (listening === undefined) {
        fig.note = `cycle ${i + 1}: not listening again after ${peer.startBoundMs} ms; cycling stopped`
        break
      }
      cycle.bootMs = listening - b0
      const up = await waitState(peer.name, 'ready', 30_000)
      cycle.upMs = up.ms
      cycle.statesAfterStart = up.states
      if (up.ms === undefined) {
        fig.note = `cycle ${i + 1}: listening but not ready within 30 s (${service(peer.name).reason}: ${service(peer.name).error}); cycling stopped`
        break
      }
    }
    const after = service(peer.name)
    fig.probes1 = after.probes
    fig.changes1 = after.state_changes
    fig.failures1 = { ...after.failures }
    fig.reasons = seenReasons.get(peer.name) ?? new Map()
    fig.errors = seenErrors.get(peer.name) ?? new Set()
  }

  const steadyAfter = await window(3000)
  polling = false
  await poller
  await daemon.stop()
  daemon = undefined
  await sleep(500)
  ;(globalThis as { gc?: () => void }).gc?.()
  const afterStop = sample()
  const totalS = (performance.now() - t0) / 1000

  // ------------------------------------------------------------ figures
  const pct = (xs: number[], p: number) => {
    if (xs.length === 0) return NaN
    const sorted = [...xs].sort((a, b) => a - b)
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
  }
  const ms = (x: number) => (Number.isNaN(x) ? '—' : `${x.toFixed(0)}`)
  const trio = (xs: number[]) => `${ms(pct(xs, 50))}/${ms(pct(xs, 95))}/${ms(xs.length ? Math.max(...xs) : NaN)}`.padStart(16)
  const mib = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`

  console.log(`\nfault injection: ${CYCLES} cycles per peer (even: crash, odd: graceful), probes every 1s with a 500 ms timeout, ${totalS.toFixed(0)} s in all`)
  console.log('times in ms, p50/p95/max; detect-down counts from the listener gone (first refused connection), detect-up from the port accepting again\n')
  console.log(`${'peer'.padEnd(9)} ${'cycles'.padStart(6)} ${'transitions'.padStart(11)} ${'probe runs'.padStart(10)} ${'detect-down'.padStart(16)} ${'boot'.padStart(16)} ${'detect-up'.padStart(16)}  failures by reason (status counters)`)
  for (const f of figures) {
    const downs = f.cycles.flatMap((c) => (c.downMs === undefined ? [] : [c.downMs]))
    const ups = f.cycles.flatMap((c) => (c.upMs === undefined ? [] : [c.upMs]))
    const boots = f.cycles.flatMap((c) => (c.bootMs === undefined ? [] : [c.bootMs]))
    const failures = Object.entries(f.failures1)
      .map(([r, n]) => [r, n - (f.failures0[r] ?? 0)] as const)
      .filter(([, n]) => n > 0)
      .map(([r, n]) => `${r}=${n}`)
      .join(' ')
    console.log(
      `${f.peer.name.padEnd(9)} ${String(f.cycles.length).padStart(6)} ${String(f.changes1 - f.changes0).padStart(11)} ${String(f.probes1 - f.probes0).padStart(10)} ${trio(downs)} ${trio(boots)} ${trio(ups)}  ${failures || '—'}`,
    )
  }
  console.log('\nper peer, by stop mode (detect-down p50/max, ms) and what /status showed')
  for (const f of figures) {
    for (const mode of ['crash', 'graceful'] as const) {
      const cs = f.cycles.filter((c) => c.mode === mode)
      const downs = cs.flatMap((c) => (c.downMs === undefined ? [] : [c.downMs]))
      const missed = cs.filter((c) => c.downMs === undefined).length
      const stops = cs.map((c) => c.stopMs)
      const gones = cs.map((c) => c.goneMs)
      console.log(
        `  ${f.peer.name.padEnd(9)} ${mode.padEnd(8)} (${f.peer.modes[mode]}): ${cs.length} stops: listener gone after ${ms(pct(gones, 50))} ms p50, stop returned after ${ms(pct(stops, 50))} ms p50; detect-down p50/max ${ms(pct(downs, 50))}/${ms(downs.length ? Math.max(...downs) : NaN)}${missed ? `, ${missed} never seen down within ${DOWN_WAIT_MS} ms` : ''}`,
      )
    }
    const paths = new Map<string, number>()
    for (const c of f.cycles) {
      const key = `${c.statesAfterStop.join('→')} | ${c.statesAfterStart.join('→')}`
      paths.set(key, (paths.get(key) ?? 0) + 1)
    }
    for (const [k, n] of paths) console.log(`  ${f.peer.name.padEnd(9)} states seen (after stop | after start) ×${n}: ${k}`)
    console.log(`  ${f.peer.name.padEnd(9)} reasons of failed runs seen: ${[...f.reasons].map(([r, n]) => `${r}×${n}`).join(', ') || '—'}`)
    for (const e of f.errors) console.log(`  ${f.peer.name.padEnd(9)}   e.g. ${e}`)
    if (f.note) console.log(`  ${f.peer.name.padEnd(9)} NOTE: ${f.note}`)
  }
  for (const s of skipped) console.log(`  not run: ${s}`)

  const row = (label: string, s: Sample) => console.log(`  ${label.padEnd(44)} fds ${String(s.fds).padStart(4)}  sockets ${String(s.sockets).padStart(3)}  rss ${mib(s.rss)}`)
  console.log('\nprocess (this Node process: /proc/self/fd, sockets among them, RSS)')
  row('before the daemon', baseline)
  row('daemon running, all ready, before: min', steadyBefore.min)
  row('daemon running, all ready, before: max', steadyBefore.max)
  row('peak during the faults', peak)
  row('daemon running, all ready, after: min', steadyAfter.min)
  row('daemon running, all ready, after: max', steadyAfter.max)
  row('daemon stopped', afterStop)
} catch (err) {
  console.error(`fault injection aborted: ${(err as Error).stack ?? err}`)
  process.exitCode = 1
} finally {
  if (daemon) await daemon.stop().catch(() => {})
  daemon = undefined
  scope.close()
}
