// What the README's "adding a probe kind with its own gauge" promises: a kind
// defined in one place (here, this file) and registered by one entry in the
// kinds map gets its settings validated, its generic checks judged, its fact
// exported by its own collector on /metrics and /probe, and its checks shown
// in /status, with nothing else changed.
import { createServer, type Server } from 'node:net'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { z } from 'zod'
import { PROBE_KINDS } from '../../probes/index.js'
import { parseAddress, socketAddress } from '../../probes/lib/target.js'
import { parseConfig } from '../../src/config/load.js'
import { Daemon } from '../../src/daemon.js'
import { collector, gauge, series } from '../../src/exposition/metric.js'
import { silentLogger } from '../../src/log.js'
import { defineProbe, probeKinds, type FactRow } from '../../src/probe.js'
import { expectations } from '../../src/settings/fields.js'
import { parseExposition, value } from '../helpers/metrics.js'

declare module '../../src/probe.js' {
  interface Facts {
    counterDemo: { value: number }
  }
}

const DEMO_VALUE = gauge('groundtruth_demo_counter_value', 'The number the demo peer answered, from the last scheduled run', ['service'])

const demoCollector = collector<readonly FactRow[]>('demo', [
  series(DEMO_VALUE, (rows, emit) => {
    for (const r of rows) if (r.facts.counterDemo) emit({ service: r.service }, r.facts.counterDemo.value)
  }),
])

/** A peer that answers each connection with a number and hangs up. */
async function numberServer(n: number): Promise<Server> {
  const server = createServer((socket) => socket.end(`${n}\n`))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return server
}

const demo = defineProbe({
  kind: 'demo',
  settings: { address: socketAddress, expect: expectations({ max_value: z.int().optional() }).prefault({}) },
  collectors: [demoCollector],
  checkNames: (svc) => (svc.expect.max_value === undefined ? [] : ['max_value']),
  target: (svc) => `tcp://${svc.address}`,
  async run(svc, ctx) {
    const { host, port } = parseAddress(svc.address)
    const res = await fetchNumber(host, port, ctx.signal)
    const checks = svc.expect.max_value === undefined ? [] : [{ name: 'max_value', ok: res <= svc.expect.max_value, detail: `${res}` }]
    return { checks, facts: { counterDemo: { value: res } } }
  },
})

async function fetchNumber(host: string, port: number, signal: AbortSignal): Promise<number> {
  const { connect } = await import('node:net')
  return new Promise((resolve, reject) => {
    const socket = connect(port, host)
    let text = ''
    signal.addEventListener('abort', () => socket.destroy(), { once: true })
    socket.on('data', (d) => (text += d))
    socket.on('error', reject)
    socket.on('close', () => resolve(Number(text.trim())))
  })
}

t.test('a kind with its own gauge, registered by one map entry', async (t) => {
  const peer = await numberServer(42)
  t.teardown(() => peer.close())
  const kinds = probeKinds(...PROBE_KINDS.values(), demo)
  const address = `127.0.0.1:${(peer.address() as AddressInfo).port}`
  const yaml = `services:\n  - { name: widget, probe: demo, address: "${address}", expect: { max_value: 40, max_latency: 5s } }\n`
  t.throws(() => parseConfig(yaml, 'demo.yml', PROBE_KINDS, {}), /services\[0\]\.probe: unknown probe kind "demo"/, 'unknown without its registration')
  const config = parseConfig(yaml, 'demo.yml', kinds, {})
  t.throws(() => parseConfig(yaml.replace('max_value: 40', 'max_value: many'), 'demo.yml', kinds, {}), /services\[0\]\.expect\.max_value/, 'its settings are validated')

  const daemon = await Daemon.create({ load: async () => config, log: silentLogger })
  await daemon.startProbing()
  t.teardown(() => daemon.stop())
  const view = daemon.view()
  const s = parseExposition(String((await view.metrics()).text))
  t.equal(value(s, 'groundtruth_demo_counter_value', { service: 'widget' }), 42, 'its own collector exports its fact')
  t.equal(value(s, 'groundtruth_check_ok', { service: 'widget', check: 'max_value' }), 0)
  t.equal(value(s, 'groundtruth_check_ok', { service: 'widget', check: 'max_latency' }), 1, 'the generic max_latency is judged for it')
  t.equal(value(s, 'groundtruth_service_up', { service: 'widget', group: 'default', probe: 'demo' }), 0)

  const probed = parseExposition(String(((await view.probe({ services: ['widget'], groups: [] })) as { text: Buffer }).text))
  t.equal(value(probed, 'groundtruth_demo_counter_value', { service: 'widget' }), 42, 'and on /probe')

  const status = view.status()
  t.same(
    status.services[0]!.checks.map((c) => [c.name, c.ok]),
    [
      ['max_value', false],
      ['max_latency', true],
    ],
  )
  t.equal(status.services[0]!.target, `tcp://${address}`)
})
