// GET /sd: Prometheus' http_sd format, one target group per service (its
// name as the target, service and group as labels), the same on every
// replica with the same config, following a reload, and never a URL or a
// password.
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { PROBE_KINDS } from '../../probes/index.js'
import { parseConfig, type Config } from '../../src/config/load.js'
import { Daemon } from '../../src/daemon.js'
import { silentLogger } from '../../src/log.js'

const PASSWORD = 'pl4nted-sd-Secret-7731'

const yaml = (extra = '') => `defaults: { interval: 1h, timeout: 300ms }
services:
  - { name: db, group: infrastructure, probe: tcp, address: "127.0.0.1:1" }
  - { name: api, group: backend, probe: http, url: "http://user:${PASSWORD}@127.0.0.1:1/health?token=${PASSWORD}", depends_on: [db] }
  - { name: web, probe: http, url: "http://127.0.0.1:1/" }
${extra}`

async function replica(t: Test, load: () => Promise<Config>): Promise<{ daemon: Daemon; base: string }> {
  const daemon = await Daemon.create({ load, log: silentLogger })
  const server = await daemon.listen(0, '127.0.0.1')
  t.teardown(() => daemon.stop())
  return { daemon, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

t.test('one target group per service, in config order, names and groups only', async (t) => {
  let text = yaml()
  const load = async () => parseConfig(text, 'sd.yml', PROBE_KINDS, {})
  const one = await replica(t, load)
  const two = await replica(t, load)

  const res = await fetch(`${one.base}/sd`)
  t.equal(res.status, 200)
  t.match(res.headers.get('content-type'), /^application\/json(;\s*charset=utf-8)?$/i, 'the Content-Type Prometheus requires of http_sd')
  const body = await res.text()
  t.same(JSON.parse(body), [
    { targets: ['db'], labels: { service: 'db', group: 'infrastructure' } },
    { targets: ['api'], labels: { service: 'api', group: 'backend' } },
    { targets: ['web'], labels: { service: 'web', group: 'default' } },
  ])
  t.notOk(body.includes(PASSWORD), 'no password')
  t.notMatch(body, /127\.0\.0\.1|http|token/, 'no address, URL or query of a service')
  t.equal(await (await fetch(`${two.base}/sd`)).text(), body, 'another replica with the same config serves the same document')

  text = yaml('  - { name: worker, group: backend, probe: tcp, address: "127.0.0.1:1" }\n')
  t.same(await one.daemon.reload(), { ok: true })
  t.same((JSON.parse(await (await fetch(`${one.base}/sd`)).text()) as Array<{ targets: string[] }>).map((g) => g.targets[0]), ['db', 'api', 'web', 'worker'], 'a reload changes the targets')
})
