// Where the daemon's garbage comes from (issue 15): the built daemon at work
// (N healthy http services probed every 30 s, scraped every 15 s, as
// bench/scale.ts's `working` part), V8's sampling heap profiler attached over
// the inspector with the objects the collector already took counted too, so
// that the figures are what was allocated, not what is still alive. Prints
// the allocation rate and the sites that allocate most, by their own frame
// and by the nearest frame of groundtruth's own code. Asserts nothing.
//
// Why it matters: V8 keeps the young generation at its largest (8 MiB with
// --max-semi-space-size=4) while allocation stays above about 1 MB/s, and
// everything a probe allocates is CPU spent by the collector.
//
// Run: npm run build && node --import tsx bench/alloc.ts [--services N] [--seconds S]
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import WebSocket from 'ws'
import { cleanupSync, configYaml, every, healthy, ROOT, scrape, sleep, startDaemon, startFleet, tempDir, type DaemonChild, type Fleet } from './lib/fleet.js'
import { freePort, requireFreshBuild } from './lib/peers.js'

const { values: flags } = parseArgs({ options: { services: { type: 'string', default: '1000' }, seconds: { type: 'string', default: '60' }, warmup: { type: 'string', default: '40' } } })
const N = Number(flags.services)
const SECONDS = Number(flags.seconds)
const BIN = requireFreshBuild(ROOT)
process.on('exit', cleanupSync)

interface CallFrame {
  functionName: string
  url: string
  lineNumber: number
}
interface ProfileNode {
  callFrame: CallFrame
  selfSize: number
  children: ProfileNode[]
}

/** A minimal Chrome DevTools Protocol client over the daemon's inspector socket. */
async function inspector(port: number) {
  const [target] = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Array<{ webSocketDebuggerUrl: string }>
  const ws = new WebSocket(target!.webSocketDebuggerUrl)
  await new Promise((ready, fail) => ws.once('open', ready).once('error', fail))
  let id = 0
  const call = <T>(method: string, params: object = {}) =>
    new Promise<T>((done) => {
      const mine = ++id
      const onMessage = (data: WebSocket.RawData) => {
        const reply = JSON.parse(String(data)) as { id?: number; result: T }
        if (reply.id !== mine) return
        ws.off('message', onMessage)
        done(reply.result)
      }
      ws.on('message', onMessage)
      ws.send(JSON.stringify({ id: mine, method, params }))
    })
  return { call, close: () => ws.close() }
}

const where = (f: CallFrame) => `${f.functionName || '(anonymous)'} ${(f.url.split('/node_modules/').at(-1) ?? '').replace(`file://${ROOT}`, '')}:${f.lineNumber + 1}`
const ours = (f: CallFrame) => f.url.startsWith(`file://${ROOT}dist/`)

function tally(head: ProfileNode) {
  const bySelf = new Map<string, number>()
  const byOwnFrame = new Map<string, number>()
  let total = 0
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v)
  const walk = (node: ProfileNode, stack: CallFrame[]) => {
    const frames = [...stack, node.callFrame]
    if (node.selfSize > 0) {
      total += node.selfSize
      add(bySelf, where(node.callFrame), node.selfSize)
      const own = [...frames].reverse().find(ours)
      add(byOwnFrame, own ? where(own) : `(Node or a library) ${where(node.callFrame)}`, node.selfSize)
    }
    for (const child of node.children) walk(child, frames)
  }
  walk(head, [])
  return { total, bySelf, byOwnFrame }
}

const top = (m: Map<string, number>, n: number) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `  ${(v / 1024 / SECONDS).toFixed(1).padStart(7)} KiB/s  ${k}`)
    .join('\n')

let fleet: Fleet | undefined
let daemon: DaemonChild | undefined
try {
  fleet = await startFleet()
  const port = await freePort()
  const config = join(tempDir('gt-alloc-'), 'alloc.yml')
  writeFileSync(config, configYaml('30s', '2s', healthy(fleet, N)))
  process.env.BENCH_DAEMON_FLAGS = `${process.env.BENCH_DAEMON_FLAGS ?? ''} --inspect=127.0.0.1:${port}`
  daemon = await startDaemon(BIN, config)
  const d = daemon
  await d.waitFor('/-/ready', 120_000)
  const scraper = every(15_000, async () => void (await scrape(d.url)))
  console.log(`== allocation: ${N} healthy http services, interval 30s, scraped every 15 s; sampled for ${SECONDS} s after a ${flags.warmup} s warm-up`)
  await sleep(Number(flags.warmup) * 1000)
  const session = await inspector(port)
  await session.call('HeapProfiler.enable')
  await session.call('HeapProfiler.startSampling', { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true })
  await sleep(SECONDS * 1000)
  const { profile } = await session.call<{ profile: { head: ProfileNode } }>('HeapProfiler.stopSampling')
  session.close()
  await scraper.stop()
  const { total, bySelf, byOwnFrame } = tally(profile.head)
  console.log(`allocated ${(total / 1048576).toFixed(1)} MiB in ${SECONDS} s: ${(total / 1024 / SECONDS).toFixed(0)} KiB/s, ${(total / 1024 / ((N / 30) * SECONDS)).toFixed(1)} KiB per probe (all of it counted against the probes)`)
  console.log(`by allocating frame:\n${top(bySelf, 15)}`)
  console.log(`by the nearest frame of groundtruth's code:\n${top(byOwnFrame, 20)}`)
} finally {
  await daemon?.stop()
  await fleet?.stop()
}
