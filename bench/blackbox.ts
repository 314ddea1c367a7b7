// groundtruth's GET /probe against Prometheus' blackbox_exporter, in the same
// run, on the same targets (one local nginx: an HTTP GET of /health and a TCP
// connect to its port). For each target the two tools take turns under wrk
// (bb, gt, bb, gt, after a short warm-up of each) so that the machine's
// drift hits both alike. Per run: probes/s, CPU per probe of the exporter
// (and of nginx), the exporter's RSS at the end, non-2xx answers. Also the
// idle RSS of both and the floor of an empty Node process. Prints figures;
// asserts nothing. Every child and the temp dir go away on every exit path.
//
// Run: npm run build && npm run bench:blackbox [-- --duration 8 --connections 16]
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
  type Peer,
  type Scope,
} from './lib/peers.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const WARMUP_S = 2
/** Runs per tool and target, alternated bb, gt, bb, gt. */
const ROUNDS = 2

type Tool = 'blackbox' | 'groundtruth'
type Target = 'http' | 'tcp'

interface Options {
  durationS: number
  connections: number
}

interface RunFigures {
  target: Target
  tool: Tool
  run: number
  probesPerSec: number
  cpuMsPerProbe: number
  nginxCpuMsPerProbe: number
  /** Target hits (nginx requests for http, accepted connections for tcp) per /probe answer. */
  hitsPerProbe: number
  rss: number
  non2xx: number
  socketErrors: number
}

function options(): Options {
  const { values } = parseArgs({ options: { duration: { type: 'string', default: '8' }, connections: { type: 'string', default: '16' } } })
  const positive = (name: string, v: string) => {
    const n = Number(v)
    if (!Number.isInteger(n) || n < 1) {
      console.error(`--${name} expects a positive integer, not "${v}"`)
      process.exit(2)
    }
    return n
  }
  return { durationS: positive('duration', values.duration), connections: positive('connections', values.connections) }
}

function machineLine(): string {
  const model = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown cpu'
  // Its version goes to stdout or stderr depending on the kingpin release: read both.
  const v = spawnSync('/usr/bin/prometheus-blackbox-exporter', ['--version'], { encoding: 'utf8' })
  const bbVersion = /version (\S+)/.exec(`${v.stdout}${v.stderr}`)?.[1] ?? 'unknown'
  return `machine: ${model}, ${availableParallelism()} cores, node ${process.version}, blackbox_exporter ${bbVersion}`
}

function gtConfig(nginxPort: number): string {
  return `defaults: { interval: 1h, timeout: 5s }
services:
  - { name: web, group: bench, probe: http, url: "http://127.0.0.1:${nginxPort}/health" }
  - { name: port, group: bench, probe: tcp, address: "127.0.0.1:${nginxPort}" }
`
}

/** The /probe URL each tool is loaded with, per target. */
function probeUrls(bb: Peer, gt: Peer, nginx: Peer): Record<Target, Record<Tool, string>> {
  return {
    http: {
      blackbox: `http://127.0.0.1:${bb.port}/probe?target=${encodeURIComponent(`http://127.0.0.1:${nginx.port}/health`)}&module=http_2xx`,
      groundtruth: `http://127.0.0.1:${gt.port}/probe?service=web`,
    },
    tcp: {
      blackbox: `http://127.0.0.1:${bb.port}/probe?target=127.0.0.1:${nginx.port}&module=tcp_connect`,
      groundtruth: `http://127.0.0.1:${gt.port}/probe?service=port`,
    },
  }
}

/** A throughput figure means nothing if the probe failed: each answer must say success first. */
async function verifySuccess(urls: Record<Target, Record<Tool, string>>): Promise<void> {
  const says: Record<Tool, RegExp> = {
    blackbox: /^probe_success 1$/m,
    groundtruth: /^groundtruth_service_up\{[^}]*\} 1$/m,
  }
  for (const target of ['http', 'tcp'] as const) {
    for (const tool of ['blackbox', 'groundtruth'] as const) {
      const { status, body } = await httpText(urls[target][tool])
      if (status !== 200 || !says[tool].test(body)) {
        throw new Error(`${tool}'s ${target} probe does not say success (HTTP ${status}, expected ${says[tool]}); not measuring a failing probe.\n${urls[target][tool]}\n${body.slice(0, 1500)}`)
      }
    }
  }
}

/** One wrk run against url, with the CPU the exporter and nginx spent meanwhile. */
async function measure(target: Target, url: string, exporter: Peer, nginx: Peer, o: Options): Promise<Omit<RunFigures, 'target' | 'tool' | 'run'>> {
  const hits0 = await nginxCounters(nginx)
  const cpu0 = cpuMs(exporter.pid)
  const ngx0 = cpuMs(nginx.pid)
  const wrk = await runWrk(url, { connections: o.connections, durationS: o.durationS })
  const cpu1 = cpuMs(exporter.pid)
  const ngx1 = cpuMs(nginx.pid)
  const rss = rssBytes(exporter.pid)
  const hits1 = await nginxCounters(nginx)
  // An answer is not necessarily a probe: concurrent identical /probe requests may share one run.
  const hits = target === 'http' ? hits1.requests - hits0.requests - 1 : hits1.accepts - hits0.accepts
  const per = (x: number) => (wrk.requests > 0 ? x / wrk.requests : NaN)
  return {
    probesPerSec: wrk.requestsPerSec,
    cpuMsPerProbe: per(cpu1 - cpu0),
    nginxCpuMsPerProbe: per(ngx1 - ngx0),
    hitsPerProbe: per(hits),
    rss,
    non2xx: wrk.non2xx,
    socketErrors: wrk.socketErrors,
  }
}

async function measureTarget(target: Target, urls: Record<Tool, string>, peers: Record<Tool, Peer>, nginx: Peer, o: Options): Promise<RunFigures[]> {
  // Warm-up: connection pools, JIT and Go's heap reach their working size before anything counts.
  for (const tool of ['blackbox', 'groundtruth'] as const) await runWrk(urls[tool], { connections: o.connections, durationS: WARMUP_S })
  const figures: RunFigures[] = []
  for (let run = 1; run <= ROUNDS; run++) {
    for (const tool of ['blackbox', 'groundtruth'] as const) {
      figures.push({ target, tool, run, ...(await measure(target, urls[tool], peers[tool], nginx, o)) })
    }
  }
  return figures
}

function printFigures(figures: readonly RunFigures[]): void {
  const rows = figures.map((f) => [
    f.target,
    f.tool,
    String(f.run),
    f.probesPerSec.toFixed(0),
    f.cpuMsPerProbe.toFixed(3),
    f.nginxCpuMsPerProbe.toFixed(3),
    f.hitsPerProbe.toFixed(2),
    mib(f.rss),
    String(f.non2xx) + (f.non2xx > 0 || f.socketErrors > 0 ? ' !' : ''),
    String(f.socketErrors),
  ])
  console.log(table(['target', 'tool', 'run', 'probes/s', 'cpu ms/probe', 'nginx ms/probe', 'hits/probe', 'rss MiB', 'non-2xx', 'sock err'], rows))
  if (figures.some((f) => f.non2xx > 0 || f.socketErrors > 0)) console.log('! this run had non-2xx answers or socket errors: its figures are not comparable')
}

function printRatios(figures: readonly RunFigures[]): void {
  const med = (target: Target, tool: Tool, pick: (f: RunFigures) => number) => median(figures.filter((f) => f.target === target && f.tool === tool).map(pick))
  const ratio = (target: Target, pick: (f: RunFigures) => number) => `${(med(target, 'groundtruth', pick) / med(target, 'blackbox', pick)).toFixed(2)}x`
  const parts = (['http', 'tcp'] as const).map(
    (t) => `${t} throughput ${ratio(t, (f) => f.probesPerSec)}, cpu/probe ${ratio(t, (f) => f.cpuMsPerProbe)}, rss ${ratio(t, (f) => f.rss)}`,
  )
  console.log(`ratio (groundtruth / blackbox, median of runs): ${parts.join('; ')}`)
  const hits = (['http', 'tcp'] as const).map((t) => `${t} ${ratio(t, (f) => f.probesPerSec * f.hitsPerProbe)}`)
  console.log(`ratio of target hits/s (probes/s x hits/probe: the probes really run): ${hits.join(', ')}`)
  console.log('hits/probe: nginx requests (http) or accepted connections (tcp) per /probe answer; below 1, concurrent answers shared a run')
}

async function main(scope: Scope, o: Options): Promise<void> {
  console.log(machineLine())
  console.log(`wrk -t2 -c${o.connections} -d${o.durationS}s per run, ${WARMUP_S}s warm-up per tool and target, runs alternated bb, gt, bb, gt`)
  const floor = await nodeFloorRss(scope)
  const nginx = await startNginx(scope)
  const bb = await startBlackbox(scope)
  const gt = await startGroundtruth(scope, ROOT, gtConfig(nginx.port))
  await sleep(1000) // let both settle after start before the idle figure
  const idle = { blackbox: rssBytes(bb.pid), groundtruth: rssBytes(gt.pid) }

  const urls = probeUrls(bb, gt, nginx)
  await verifySuccess(urls)
  const peers = { blackbox: bb, groundtruth: gt }
  const figures = [...(await measureTarget('http', urls.http, peers, nginx, o)), ...(await measureTarget('tcp', urls.tcp, peers, nginx, o))]

  console.log()
  printFigures(figures)
  console.log()
  printRatios(figures)
  console.log(`idle rss: blackbox ${mib(idle.blackbox)} MiB, groundtruth ${mib(idle.groundtruth)} MiB, node floor ${mib(floor)} MiB`)
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
