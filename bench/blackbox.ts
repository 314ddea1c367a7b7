// groundtruth's GET /probe against Prometheus' blackbox_exporter, in the same
// run, on the same targets (one local nginx: an HTTP GET of /health and a TCP
// connect to its port), each tool doing the same real work.
//
// groundtruth's /probe has single flight: identical concurrent requests share
// one run. Loading one service name from 16 connections would measure shared
// answers, not probes. So groundtruth is configured with N distinct services
// per target (web0..web<N-1>: http to nginx's /health?i=<n>; port0..port<N-1>:
// tcp to nginx's port) and wrk, through a Lua script, rotates the request
// across the N of them, each wrk thread over its own block of N/threads (so
// two threads never collide; see writeWrkRotation). blackbox_exporter
// has no single flight; it gets the same rotation over the same N targets
// anyway (/health?i=<n> for http; for tcp, N times the one address). With
// -c16 over 64 services two requests in flight almost never name the same
// service: the hits/probe column (nginx's stub_status counters per /probe
// answer) shows it, ≈1.00 for both.
//
// For each target the two tools take turns under wrk (bb, gt, bb, gt, after a
// short warm-up of each) so that the machine's drift hits both alike. Per run:
// answers/s, target hits/s (the probes really run), hits per answer, CPU of
// the exporter (and of nginx) per target hit, the exporter's RSS at the end,
// non-2xx answers. Also the idle RSS of both and the floor of an empty Node
// process. --same-service adds the old mode (every request names web0 /
// port0, where single flight shares runs) as a separate table. Prints
// figures; asserts nothing. Every child and the temp dir go away on every
// exit path.
//
// Run: npm run build && npm run bench:blackbox [-- --duration 8 --connections 16 --services 64 --same-service]
// Needs (installs nothing): apt-get install prometheus-blackbox-exporter nginx wrk
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import {
  cpuMs,
  createScope,
  httpText,
  median,
  mib,
  nginxCounters,
  nodeFloorRss,
  requireBinaries,
  requireFreshBuild,
  rssBytes,
  runWrk,
  sleep,
  startBlackbox,
  startGroundtruth,
  startNginx,
  table,
  writeWrkRotation,
  wrkThreads,
  type Peer,
  type Scope,
} from './lib/peers.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const WARMUP_S = 2
/** Runs per tool and target, alternated bb, gt, bb, gt. */
const ROUNDS = 2
const TOOLS = ['blackbox', 'groundtruth'] as const
const TARGETS = ['http', 'tcp'] as const

type Tool = (typeof TOOLS)[number]
type Target = (typeof TARGETS)[number]
/** distinct: rotate over N services per target; same: every request names the first one. */
type Mode = 'distinct' | 'same'

interface Options {
  durationS: number
  connections: number
  services: number
  sameService: boolean
}

/** What wrk loads for one tool and target: the base URL and the rotated paths (via a Lua script). */
interface Load {
  /** The first full URL (wrk takes host and port from it; the script gives every path). */
  url: string
  paths: string[]
  script: string
}

interface RunFigures {
  target: Target
  tool: Tool
  run: number
  /** /probe answers per second, as wrk counts them. */
  answersPerSec: number
  /** Target hits (nginx requests for http, accepted connections for tcp) per second: the probes really run. */
  hitsPerSec: number
  /** Target hits per /probe answer: 1 when every answer ran its own probe, below 1 when answers shared a run. */
  hitsPerProbe: number
  /** Exporter CPU per target hit, i.e. per real probe. */
  cpuMsPerHit: number
  nginxCpuMsPerHit: number
  rss: number
  non2xx: number
  socketErrors: number
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '8' },
      connections: { type: 'string', default: '16' },
      services: { type: 'string', default: '64' },
      'same-service': { type: 'boolean', default: false },
    },
  })
  const positive = (name: string, v: string) => {
    const n = Number(v)
    if (!Number.isInteger(n) || n < 1) {
      console.error(`--${name} expects a positive integer, not "${v}"`)
      process.exit(2)
    }
    return n
  }
  return {
    durationS: positive('duration', values.duration),
    connections: positive('connections', values.connections),
    services: positive('services', values.services),
    sameService: values['same-service'],
  }
}

function machineLine(): string {
  const model = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown cpu'
  // Its version goes to stdout or stderr depending on the kingpin release: read both.
  const v = spawnSync('/usr/bin/prometheus-blackbox-exporter', ['--version'], { encoding: 'utf8' })
  const bbVersion = /version (\S+)/.exec(`${v.stdout}${v.stderr}`)?.[1] ?? 'unknown'
  return `machine: ${model}, ${availableParallelism()} cores, node ${process.version}, blackbox_exporter ${bbVersion}`
}

const healthUrl = (nginx: Peer, i: number) => `http://127.0.0.1:${nginx.port}/health?i=${i}`
const indices = (n: number) => Array.from({ length: n }, (_, i) => i)

/** N http services web<i> and N tcp services port<i>, all on the one nginx. */
function gtConfig(nginx: Peer, n: number): string {
  const lines = [
    ...indices(n).map((i) => `  - { name: web${i}, group: bench, probe: http, url: "${healthUrl(nginx, i)}" }`),
    ...indices(n).map((i) => `  - { name: port${i}, group: bench, probe: tcp, address: "127.0.0.1:${nginx.port}" }`),
  ]
  return `defaults: { interval: 1h, timeout: 5s }\nservices:\n${lines.join('\n')}\n`
}

/** The /probe paths each tool is loaded with, per target: n of them, or 1 in same-service mode. */
function probePaths(nginx: Peer, n: number): Record<Target, Record<Tool, string[]>> {
  return {
    http: {
      blackbox: indices(n).map((i) => `/probe?target=${encodeURIComponent(healthUrl(nginx, i))}&module=http_2xx`),
      groundtruth: indices(n).map((i) => `/probe?service=web${i}`),
    },
    tcp: {
      // No query to vary on a TCP target: the same address n times, rotated all the same.
      blackbox: indices(n).map(() => `/probe?target=127.0.0.1:${nginx.port}&module=tcp_connect`),
      groundtruth: indices(n).map((i) => `/probe?service=port${i}`),
    },
  }
}

function loads(scope: Scope, mode: Mode, peers: Record<Tool, Peer>, nginx: Peer, o: Options): Record<Target, Record<Tool, Load>> {
  const all = probePaths(nginx, o.services)
  const threads = wrkThreads(o)
  const load = (target: Target, tool: Tool): Load => {
    const paths = mode === 'same' ? all[target][tool].slice(0, 1) : all[target][tool]
    return { url: `http://127.0.0.1:${peers[tool].port}${paths[0]}`, paths, script: writeWrkRotation(scope.dir, `wrk-${mode}-${target}-${tool}`, paths, threads) }
  }
  return { http: { blackbox: load('http', 'blackbox'), groundtruth: load('http', 'groundtruth') }, tcp: { blackbox: load('tcp', 'blackbox'), groundtruth: load('tcp', 'groundtruth') } }
}

/** A throughput figure means nothing if the probe failed: every answer (each of the n paths) must say success first. */
async function verifySuccess(l: Record<Target, Record<Tool, Load>>, peers: Record<Tool, Peer>): Promise<void> {
  const says: Record<Tool, RegExp> = {
    blackbox: /^probe_success 1$/m,
    groundtruth: /^groundtruth_service_up\{[^}]*\} 1$/m,
  }
  for (const target of TARGETS) {
    for (const tool of TOOLS) {
      for (const path of new Set(l[target][tool].paths)) {
        const url = `http://127.0.0.1:${peers[tool].port}${path}`
        const { status, body } = await httpText(url)
        if (status !== 200 || !says[tool].test(body)) {
          throw new Error(`${tool}'s ${target} probe does not say success (HTTP ${status}, expected ${says[tool]}); not measuring a failing probe.\n${url}\n${body.slice(0, 1500)}`)
        }
      }
    }
  }
}

/** One wrk run of a load, with the target hits and the CPU the exporter and nginx spent meanwhile. */
async function measure(target: Target, load: Load, exporter: Peer, nginx: Peer, o: Options): Promise<Omit<RunFigures, 'target' | 'tool' | 'run'>> {
  const hits0 = await nginxCounters(nginx)
  const cpu0 = cpuMs(exporter.pid)
  const ngx0 = cpuMs(nginx.pid)
  const wrk = await runWrk(load.url, { connections: o.connections, durationS: o.durationS, script: load.script })
  const cpu1 = cpuMs(exporter.pid)
  const ngx1 = cpuMs(nginx.pid)
  const rss = rssBytes(exporter.pid)
  const hits1 = await nginxCounters(nginx)
  // An answer is not necessarily a probe (single flight): count what reached the target.
  // The second stub_status read is a request itself, hence the -1.
  const hits = target === 'http' ? hits1.requests - hits0.requests - 1 : hits1.accepts - hits0.accepts
  const perHit = (x: number) => (hits > 0 ? x / hits : NaN)
  return {
    answersPerSec: wrk.requestsPerSec,
    // wrk's own elapsed time: requests / requests per second.
    hitsPerSec: wrk.requests > 0 ? (hits * wrk.requestsPerSec) / wrk.requests : NaN,
    hitsPerProbe: wrk.requests > 0 ? hits / wrk.requests : NaN,
    cpuMsPerHit: perHit(cpu1 - cpu0),
    nginxCpuMsPerHit: perHit(ngx1 - ngx0),
    rss,
    non2xx: wrk.non2xx,
    socketErrors: wrk.socketErrors,
  }
}

async function measureTarget(target: Target, l: Record<Tool, Load>, peers: Record<Tool, Peer>, nginx: Peer, o: Options): Promise<RunFigures[]> {
  // Warm-up: connection pools, JIT and Go's heap reach their working size before anything counts.
  for (const tool of TOOLS) await runWrk(l[tool].url, { connections: o.connections, durationS: WARMUP_S, script: l[tool].script })
  const figures: RunFigures[] = []
  for (let run = 1; run <= ROUNDS; run++) {
    for (const tool of TOOLS) figures.push({ target, tool, run, ...(await measure(target, l[tool], peers[tool], nginx, o)) })
  }
  return figures
}

function printFigures(figures: readonly RunFigures[]): void {
  const rows = figures.map((f) => [
    f.target,
    f.tool,
    String(f.run),
    f.answersPerSec.toFixed(0),
    f.hitsPerSec.toFixed(0),
    f.hitsPerProbe.toFixed(2),
    f.cpuMsPerHit.toFixed(3),
    f.nginxCpuMsPerHit.toFixed(3),
    mib(f.rss),
    String(f.non2xx) + (f.non2xx > 0 || f.socketErrors > 0 ? ' !' : ''),
    String(f.socketErrors),
  ])
  console.log(table(['target', 'tool', 'run', 'answers/s', 'hits/s', 'hits/probe', 'cpu ms/probe', 'nginx ms/probe', 'rss MiB', 'non-2xx', 'sock err'], rows))
  if (figures.some((f) => f.non2xx > 0 || f.socketErrors > 0)) console.log('! this run had non-2xx answers or socket errors: its figures are not comparable')
}

function printRatios(figures: readonly RunFigures[]): void {
  const med = (target: Target, tool: Tool, pick: (f: RunFigures) => number) => median(figures.filter((f) => f.target === target && f.tool === tool).map(pick))
  const ratio = (target: Target, pick: (f: RunFigures) => number) => `${(med(target, 'groundtruth', pick) / med(target, 'blackbox', pick)).toFixed(2)}x`
  const parts = TARGETS.map((t) => `${t} probes/s ${ratio(t, (f) => f.hitsPerSec)}, cpu/probe ${ratio(t, (f) => f.cpuMsPerHit)}, rss ${ratio(t, (f) => f.rss)}`)
  console.log(`ratio (groundtruth / blackbox, median of runs), real probes (target hits): ${parts.join('; ')}`)
  console.log(`ratio of answered requests/s (wrk's figure): ${TARGETS.map((t) => `${t} ${ratio(t, (f) => f.answersPerSec)}`).join(', ')}`)
}

function printLegend(): void {
  console.log('hits/s: nginx requests (http) or accepted connections (tcp) per second, i.e. real probes/s; cpu ms/probe and nginx ms/probe: CPU over those hits')
  console.log('hits/probe: target hits per /probe answer; 1.00 when every answer ran its own probe, below 1 when concurrent answers shared a run')
}

/** Both targets, one after the other, each with its warm-up and alternated runs. */
async function measureAll(l: Record<Target, Record<Tool, Load>>, peers: Record<Tool, Peer>, nginx: Peer, o: Options): Promise<RunFigures[]> {
  const figures: RunFigures[] = []
  for (const target of TARGETS) figures.push(...(await measureTarget(target, l[target], peers, nginx, o)))
  return figures
}

async function main(scope: Scope, o: Options): Promise<void> {
  console.log(machineLine())
  console.log(`wrk -t${wrkThreads(o)} -c${o.connections} -d${o.durationS}s per run, ${WARMUP_S}s warm-up per tool and target, runs alternated bb, gt, bb, gt`)
  console.log(
    `load: a wrk Lua script rotates every request over ${o.services} distinct probes per tool and target (groundtruth: services web0..web${o.services - 1} and port0..port${o.services - 1}; blackbox: target /health?i=0..${o.services - 1} for http, the one address for tcp), each wrk thread over its own block of ${Math.floor(o.services / wrkThreads(o))}`,
  )
  const floor = await nodeFloorRss(scope)
  const nginx = await startNginx(scope)
  const bb = await startBlackbox(scope)
  const gt = await startGroundtruth(scope, ROOT, gtConfig(nginx, o.services))
  await sleep(1000) // let both settle after start before the idle figure
  const idle = { blackbox: rssBytes(bb.pid), groundtruth: rssBytes(gt.pid) }
  const peers = { blackbox: bb, groundtruth: gt }

  const distinct = loads(scope, 'distinct', peers, nginx, o)
  await verifySuccess(distinct, peers)
  const figures = await measureAll(distinct, peers, nginx, o)
  let same: RunFigures[] | undefined
  if (o.sameService) {
    const l = loads(scope, 'same', peers, nginx, o)
    await verifySuccess(l, peers)
    same = await measureAll(l, peers, nginx, o)
  }

  console.log()
  console.log(`== distinct services: ${o.services} per target, rotated (the comparison) ==`)
  printFigures(figures)
  console.log()
  printRatios(figures)
  printLegend()
  console.log(
    `single flight is off the table by construction: ${o.connections} connections rotate over ${o.services} distinct services, each wrk thread over a block of its own, so two requests in flight almost never name the same one (hits/probe ≈ 1.00 for both tools says so)`,
  )
  if (same) {
    console.log()
    console.log('== same service (--same-service): every request names web0 / port0; groundtruth shares concurrent identical requests (single flight), blackbox_exporter does not ==')
    printFigures(same)
    console.log()
    printRatios(same)
    console.log('here hits/probe below 1 is single flight: answers/s counts shared answers; hits/s and the probes/s ratio count real probes')
  }
  console.log()
  console.log(`idle rss: blackbox ${mib(idle.blackbox)} MiB, groundtruth ${mib(idle.groundtruth)} MiB (with ${2 * o.services} services configured), node floor ${mib(floor)} MiB`)
  for (const p of [gt, bb, nginx]) await p.stop()
}

const o = options()
requireBinaries(['/usr/bin/prometheus-blackbox-exporter', '/usr/sbin/nginx', '/usr/bin/wrk'], 'needs: apt-get install prometheus-blackbox-exporter nginx wrk')
requireFreshBuild(ROOT)
const scope = createScope('gt-bb-')
try {
  await main(scope, o)
} finally {
  scope.close()
}
