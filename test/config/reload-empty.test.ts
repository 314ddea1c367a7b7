// Issue 13 item 2: a config file truncated to nothing is an error, at start
// and on reload; a reload of it returns 500 and the old config stays in force.
import { truncateSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { main } from '../../src/cli.js'
import { loadConfig } from '../../src/config/load.js'
import { Daemon } from '../../src/daemon.js'
import { createLogger } from '../../src/log.js'
import { writeConfig } from '../helpers/config.js'
import { find, parseExposition, value } from '../helpers/metrics.js'
import { httpServer } from '../helpers/servers.js'
import { PROBE_KINDS } from '../../probes/index.js'
import { captureIo as capture } from '../helpers/io.js'


t.test('validate and check exit 2 on an empty, blank, comment-only or ~ file', async (t) => {
  for (const text of ['', ' \n\t\n', '# nothing here\n', '~\n']) {
    for (const command of ['validate', 'check']) {
      const { dir, file } = writeConfig(text)
      const io = capture(dir)
      t.equal(await main([command, '--config', file], io), 2, `${command} on ${JSON.stringify(text)}`)
      t.ok(io.err.includes(`${file}: the file holds no configuration`), io.err)
    }
  }
})

t.test('a reload of a file truncated to 0 bytes is refused and the old config stays', async (t) => {
  const api = await httpServer((_req, res) => res.end('ok'))
  t.teardown(api.close)
  const { file } = writeConfig(`defaults: { interval: 1h, timeout: 2s }\nservices:\n  - { name: api, probe: http, url: "${api.url}/" }\n`)
  const logs: string[] = []
  const daemon = await Daemon.create({ load: () => loadConfig(file, PROBE_KINDS, {}), log: createLogger({ level: 'debug', secrets: () => daemon.config.secrets, write: (l) => logs.push(l) }) })
  const server = await daemon.listen(0, '127.0.0.1', { enableLifecycle: true })
  t.teardown(() => daemon.stop())
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  await daemon.startProbing()
  const metrics = async () => parseExposition(await (await fetch(`${base}/metrics`)).text())

  let s = await metrics()
  t.equal(value(s, 'groundtruth_service_up', { service: 'api' }), 1)
  t.equal(value(s, 'groundtruth_config_last_reload_successful'), 1)

  truncateSync(file, 0)
  const res = await fetch(`${base}/-/reload`, { method: 'POST' })
  t.equal(res.status, 500, 'the reload is refused')
  t.match(await res.text(), /the file holds no configuration/)
  s = await metrics()
  t.equal(value(s, 'groundtruth_config_last_reload_successful'), 0)
  t.equal(find(s, 'groundtruth_service_up', { service: 'api' }).length, 1, 'the series of the old config are still there')
  t.equal(value(s, 'groundtruth_service_up', { service: 'api' }), 1, 'the old config keeps running')
  t.equal(daemon.config.services.length, 1)
  t.match(logs.join('\n'), /config reload failed/)

  // Whitespace and comments only: the same.
  writeFileSync(file, '\n# emptied by a deploy script\n')
  t.equal((await fetch(`${base}/-/reload`, { method: 'POST' })).status, 500)
  t.equal(value(await metrics(), 'groundtruth_service_up', { service: 'api' }), 1)
})
