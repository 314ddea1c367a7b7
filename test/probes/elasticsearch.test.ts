// The elasticsearch probe through parseConfig and runProbe. No Elasticsearch
// runs on this machine, so cluster behaviour comes from the vendor's test
// double (@elastic/elasticsearch-mock, swapped in as the client's Connection
// so the probe's own code path is unchanged), wire behaviour (auth headers,
// TLS, refused, DNS, tarpit, leaks) from real local sockets, and a real
// cluster is used when ES_URL is set.
import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import t from 'tap'
import Mock from '@elastic/elasticsearch-mock'
import * as realEs from '@elastic/elasticsearch'
import { stringify } from 'yaml'
import { parseConfig } from '../../src/config/load.js'
import { probeKinds } from '../../src/probe.js'
import { runProbe } from '../../src/runner.js'
import { PROBE_KINDS } from '../../probes/index.js'
import { beatSentinel, checkPairs, detailOf, lateness, notBeforeTimeout, runService } from '../helpers/probe-run.js'
import { closedPort, httpServer, httpsServer, serverPool, tarpit } from '../helpers/servers.js'
import { clientSockets, nothingLeftOpen, settle, socketHandles } from '../helpers/sockets.js'
import { makeCert } from '../helpers/tls.js'

const baseline = socketHandles()

// The mock throws and recognises the CommonJS build's error classes.
const { errors: cjsErrors } = createRequire(import.meta.url)('@elastic/elasticsearch') as typeof realEs
// The package is CommonJS (`module.exports = ClientMock`) but its types declare a default export.
const mock = new (Mock as unknown as (typeof Mock)['default'])()

// The probe module loaded with a Client that talks to the mock instead of a
// socket (tap's module mocks do not follow the .js -> .ts mapping of deeper
// imports, so the kind is loaded directly), then run exactly as runService
// does: YAML -> parseConfig -> runProbe.
const { default: mockedKind } = await t.mockImport<typeof import('../../probes/elasticsearch.js')>('../../probes/elasticsearch.js', {
  '@elastic/elasticsearch': {
    ...realEs,
    Client: class extends realEs.Client {
      constructor(options: ConstructorParameters<typeof realEs.Client>[0]) {
        super({ ...options, Connection: mock.getConnection() as never })
      }
    },
  },
})

async function runMocked(fields: Record<string, unknown>) {
  // The mocked kind stands in for the real one: validation binds services to the kinds it is given.
  const kinds = probeKinds(...PROBE_KINDS.values(), mockedKind)
  const config = parseConfig(stringify({ services: [{ name: 'svc', ...fields }] }), 'probe-test.yml', kinds, {})
  const result = await runProbe(config.services[0]!, config.secrets)
  return { result }
}

const { keep, closeAll } = serverPool()
t.teardown(closeAll)

const unique = () => randomBytes(8).toString('hex')

function health(status: string, extra: Record<string, unknown> = {}) {
  return {
    cluster_name: 'gt-test',
    status,
    timed_out: false,
    number_of_nodes: 3,
    number_of_data_nodes: 2,
    active_primary_shards: 10,
    active_shards: status === 'green' ? 20 : 12,
    relocating_shards: 0,
    initializing_shards: status === 'red' ? 1 : 0,
    unassigned_shards: status === 'green' ? 0 : 8,
    delayed_unassigned_shards: 0,
    number_of_pending_tasks: 0,
    number_of_in_flight_fetch: 0,
    task_max_waiting_in_queue_millis: 0,
    active_shards_percent_as_number: status === 'green' ? 100 : 60,
    ...extra,
  }
}

function onHealth(body: unknown) {
  mock.clearAll()
  mock.add({ method: 'GET', path: '/_cluster/health' }, () => body as Record<string, unknown>)
}

function responseError(statusCode: number, body: Record<string, unknown>) {
  return new cjsErrors.ResponseError({ body, statusCode, headers: {}, warnings: null, meta: {} as never })
}

const es = (fields: Record<string, unknown> = {}) => runMocked({ probe: 'elasticsearch', url: 'http://es.mock:9200', timeout: '2s', ...fields })

t.test('green cluster, default minimum yellow (elasticsearch-mock)', async (t) => {
  onHealth(health('green'))
  const { result } = await es()
  t.equal(result.ok, true)
  t.equal(result.reason, undefined)
  t.same(checkPairs(result), [['cluster_status', true]])
  t.equal(detailOf(result, 'cluster_status'), 'green; expected yellow or better')
  t.match(result.info, {
    cluster_status: 'green',
    cluster_name: 'gt-test',
    number_of_nodes: 3,
    number_of_data_nodes: 2,
    active_shards: 20,
    unassigned_shards: 0,
    active_shards_percent: 100,
  })
  t.type(result.info.latency_ms, 'number')
})

t.test('yellow cluster against minimum green and the default yellow (elasticsearch-mock)', async (t) => {
  onHealth(health('yellow'))
  const strict = await es({ expect: { status: 'green' } })
  t.equal(strict.result.ok, false)
  t.equal(strict.result.reason, 'expectation')
  t.same(checkPairs(strict.result), [['cluster_status', false]])
  t.equal(detailOf(strict.result, 'cluster_status'), 'yellow (8 unassigned, 0 initializing, 0 relocating shards); expected green')
  t.equal(strict.result.error, 'cluster_status: yellow (8 unassigned, 0 initializing, 0 relocating shards); expected green')
  t.equal(strict.result.info.cluster_status, 'yellow')

  const lenient = await es()
  t.equal(lenient.result.ok, true)
  t.same(checkPairs(lenient.result), [['cluster_status', true]])
  t.equal(detailOf(lenient.result, 'cluster_status'), 'yellow (8 unassigned, 0 initializing, 0 relocating shards); expected yellow or better')
})

t.test('red cluster fails the default, passes a minimum of red (elasticsearch-mock)', async (t) => {
  onHealth(health('red'))
  const def = await es()
  t.equal(def.result.ok, false)
  t.equal(def.result.reason, 'expectation')
  t.same(checkPairs(def.result), [['cluster_status', false]])
  t.equal(detailOf(def.result, 'cluster_status'), 'red (8 unassigned, 1 initializing, 0 relocating shards); expected yellow or better')
  t.equal(def.result.info.cluster_status, 'red')

  const any = await es({ expect: { status: 'red' } })
  t.equal(any.result.ok, true)
  t.same(checkPairs(any.result), [['cluster_status', true]])
})

t.test('expected indices: present, and missing (404 from indices.exists) (elasticsearch-mock)', async (t) => {
  const present = `gt-present-${unique()}`
  const absent = `gt-absent-${unique()}`
  onHealth(health('green'))
  mock.add({ method: 'HEAD', path: `/${present}` }, () => '')
  mock.add({ method: 'HEAD', path: `/${absent}` }, () => responseError(404, {}))

  const { result } = await es({ expect: { indices: [present, absent] } })
  t.equal(result.ok, false)
  t.equal(result.reason, 'expectation')
  t.same(checkPairs(result), [
    ['cluster_status', true],
    [`index:${present}`, true],
    [`index:${absent}`, false],
  ])
  t.equal(detailOf(result, `index:${present}`), 'exists')
  t.equal(detailOf(result, `index:${absent}`), 'no such index or alias')
  t.equal(result.error, `index:${absent}: no such index or alias`)

  const onlyPresent = await es({ expect: { status: 'green', indices: [present] } })
  t.equal(onlyPresent.result.ok, true)
  t.same(checkPairs(onlyPresent.result), [
    ['cluster_status', true],
    [`index:${present}`, true],
  ])
})

t.test('expect.max_latency, judged by the runner on the whole run, comes after the kind\'s checks (elasticsearch-mock)', async (t) => {
  onHealth(health('green'))
  mock.add({ method: 'HEAD', path: '/logs' }, () => '')
  const { result } = await es({ expect: { indices: ['logs'], max_latency: '10s' } })
  t.equal(result.ok, true)
  t.same(checkPairs(result), [
    ['cluster_status', true],
    ['index:logs', true],
    ['max_latency', true],
  ])
  t.match(detailOf(result, 'max_latency'), /^\d+ms \(limit 10s\)$/)
})

t.test('HTTP 500 from _cluster/health is reason status (elasticsearch-mock)', async (t) => {
  mock.clearAll()
  mock.add({ method: 'GET', path: '/_cluster/health' }, () =>
    responseError(500, { error: { type: 'illegal_state_exception', reason: 'something broke' }, status: 500 }),
  )
  const { result } = await es({ expect: { indices: ['logs'] } })
  t.equal(result.ok, false)
  t.equal(result.reason, 'status')
  t.equal(result.error, 'GET /_cluster/health: HTTP 500: illegal_state_exception: something broke')
  t.same(checkPairs(result), [
    ['cluster_status', false],
    ['index:logs', false],
  ])
  t.equal(detailOf(result, 'cluster_status'), 'not evaluated: status')
})

t.test('HTTP 503 (no master) is reason status, not retried (elasticsearch-mock)', async (t) => {
  let calls = 0
  mock.clearAll()
  mock.add({ method: 'GET', path: '/_cluster/health' }, () => {
    calls++
    return responseError(503, { error: { type: 'master_not_discovered_exception', reason: null }, status: 503 })
  })
  const { result } = await es()
  t.equal(result.reason, 'status')
  t.equal(result.error, 'GET /_cluster/health: HTTP 503: master_not_discovered_exception')
  t.equal(calls, 1, 'one attempt: maxRetries 0')
})

t.test('HTTP 401 and 403 are reason auth (elasticsearch-mock)', async (t) => {
  const password = `pw-${unique()}`
  mock.clearAll()
  mock.add({ method: 'GET', path: '/_cluster/health' }, () =>
    responseError(401, {
      error: { type: 'security_exception', reason: 'unable to authenticate user [elastic] for REST request [/_cluster/health]' },
      status: 401,
    }),
  )
  const { result } = await es({ url: `http://elastic:${password}@es.mock:9200`, expect: { indices: ['logs'] } })
  t.equal(result.ok, false)
  t.equal(result.reason, 'auth')
  t.equal(
    result.error,
    'GET /_cluster/health: HTTP 401: security_exception: unable to authenticate user [elastic] for REST request [/_cluster/health] (check the URL\'s credentials or api_key)',
  )
  t.same(checkPairs(result), [
    ['cluster_status', false],
    ['index:logs', false],
  ])
  t.notMatch(JSON.stringify(result), password)

  // Health allowed, the index not: still an auth problem, and the health already seen is kept.
  onHealth(health('green'))
  mock.add({ method: 'HEAD', path: '/secret-index' }, () => responseError(403, { error: { type: 'security_exception', reason: 'action [indices:admin/get] is unauthorized' } }))
  const forbidden = await es({ expect: { indices: ['secret-index'] } })
  t.equal(forbidden.result.reason, 'auth')
  t.match(forbidden.result.error, /^HEAD \/secret-index: HTTP 403: security_exception: action \[indices:admin\/get\] is unauthorized/)
  t.equal(forbidden.result.info.cluster_status, 'green')
})

t.test('an answer without a cluster status is an error, not a colour (elasticsearch-mock)', async (t) => {
  onHealth({ hello: 'world' })
  const { result } = await es()
  t.equal(result.reason, 'error')
  t.equal(result.error, 'GET /_cluster/health answered without a cluster status (undefined): is this Elasticsearch?')
})

t.test('config: target, checks, secrets, validation, discovery', async (t) => {
  const kind = PROBE_KINDS.get('elasticsearch')!
  const password = `pw-${unique()}`
  const apiKey = `key-${unique()}`
  const yaml = `services:
  - name: search
    probe: elasticsearch
    url: https://elastic:${password}@es.example.com/prefix
    api_key: ${apiKey}
    expect: { status: green, indices: [logs, metrics] }
`
  const config = parseConfig(yaml, 'es.yml', PROBE_KINDS, {})
  const svc = config.services[0]!
  t.equal(kind.target(svc as never), 'es.example.com:443')
  t.equal(kind.target({ ...svc, url: 'http://10.0.0.5:9200' } as never), '10.0.0.5:9200')
  t.same(kind.checkNames(svc as never), ['cluster_status', 'index:logs', 'index:metrics'])
  t.equal(config.secrets.redact(`a ${password} b ${apiKey}`), 'a *** b ***')

  t.throws(() => parseConfig(yaml.replace('status: green', 'status: blue'), 'es.yml', PROBE_KINDS, {}), /services\[0\]\.expect\.status/)
  t.throws(() => parseConfig(yaml.replace('[logs, metrics]', '[logs, logs]'), 'es.yml', PROBE_KINDS, {}), /expected each index once/)
  t.throws(() => parseConfig(yaml.replace('https://', 'tcp://'), 'es.yml', PROBE_KINDS, {}), /services\[0\]\.url/)
  // The one tls: schema, without server_name: the client's agent verifies the URL's host.
  t.throws(() => parseConfig(`${yaml}    tls: { server_name: es.internal }\n`, 'es.yml', PROBE_KINDS, {}), /services\[0\]\.tls\.server_name: unknown key/)
  t.doesNotThrow(() => parseConfig(`${yaml}    tls: { insecure: true }\n`, 'es.yml', PROBE_KINDS, {}))

  t.same(kind.discover!({ ELASTICSEARCH_URL: 'http://elastic:changeme@localhost:9200' }), [
    {
      from: 'ELASTICSEARCH_URL',
      service: { name: 'elasticsearch', group: 'infrastructure', probe: 'elasticsearch', url: 'http://elastic:changeme@localhost:9200' },
    },
  ])
  t.same(kind.discover!({ ELASTICSEARCH_URL: 'https://es:9200', ELASTICSEARCH_API_KEY: 'abc' }), [
    {
      from: 'ELASTICSEARCH_URL, ELASTICSEARCH_API_KEY',
      service: { name: 'elasticsearch', group: 'infrastructure', probe: 'elasticsearch', url: 'https://es:9200', api_key: 'abc' },
    },
  ])
  t.same(kind.discover!({ DATABASE_URL: 'postgres://x' }), [])
})

/** A stand-in for Elasticsearch over a real socket: records what the client sent. */
function fakeEs(seen: { authorization?: string; paths: string[] }) {
  return (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    seen.authorization = req.headers.authorization
    seen.paths.push(`${req.method} ${req.url}`)
    res.setHeader('x-elastic-product', 'Elasticsearch')
    if (req.url?.startsWith('/_cluster/health')) {
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify(health('green')))
    } else if (req.method === 'HEAD') {
      res.statusCode = req.url === '/present' ? 200 : 404
      res.end()
    } else {
      res.statusCode = 404
      res.end()
    }
  }
}

t.test('over a real socket: basic auth from the URL, or the API key (fake server)', async (t) => {
  const seen = { authorization: undefined as string | undefined, paths: [] as string[] }
  const server = await keep(httpServer(fakeEs(seen)))
  const password = `p@ss:${unique()}`
  const url = `http://elastic:${encodeURIComponent(password)}@127.0.0.1:${server.port}`
  const { result } = await runService({ probe: 'elasticsearch', url, timeout: '2s', expect: { indices: ['present', 'absent'] } })
  t.same(checkPairs(result), [
    ['cluster_status', true],
    ['index:present', true],
    ['index:absent', false],
  ])
  t.equal(seen.authorization, `Basic ${Buffer.from(`elastic:${password}`).toString('base64')}`)
  t.same(seen.paths, ['GET /_cluster/health', 'HEAD /present', 'HEAD /absent'])
  t.notMatch(JSON.stringify(result), password)
  t.notMatch(JSON.stringify(result), encodeURIComponent(password))

  const apiKey = Buffer.from(`id:${unique()}`).toString('base64')
  const keyed = await runService({ probe: 'elasticsearch', url: `http://127.0.0.1:${server.port}`, api_key: apiKey, timeout: '2s' })
  t.equal(keyed.result.ok, true)
  t.equal(seen.authorization, `ApiKey ${apiKey}`)
  t.notMatch(JSON.stringify(keyed.result), apiKey)
  await settle()
  t.same(clientSockets(), [], 'the keep-alive socket was closed with the client')
})

t.test('over a real socket: TLS with a private CA (fake server)', async (t) => {
  const cert = makeCert(30)
  const seen = { paths: [] as string[] }
  const server = await keep(httpsServer({ key: cert.key, cert: cert.cert }, fakeEs(seen)))
  const url = `https://127.0.0.1:${server.port}`
  const untrusted = await runService({ probe: 'elasticsearch', url, timeout: '2s' })
  t.equal(untrusted.result.reason, 'tls')
  t.match(untrusted.result.error, /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|unable to verify/i)
  const trusted = await runService({ probe: 'elasticsearch', url, timeout: '2s', tls: { ca_file: cert.caFile } })
  t.equal(trusted.result.ok, true)
  const insecure = await runService({ probe: 'elasticsearch', url, timeout: '2s', tls: { insecure: true } })
  t.equal(insecure.result.ok, true)
})

t.test('a peer that hangs up mid-request is reason error, with the text kept (local server)', async (t) => {
  const server = await keep(httpServer((req) => req.socket.destroy()))
  const { result } = await runService({ probe: 'elasticsearch', url: `http://127.0.0.1:${server.port}`, timeout: '3s' })
  t.equal(result.reason, 'error')
  t.match(result.error, /^GET \/_cluster\/health: socket hang up/)
  t.same(checkPairs(result), [['cluster_status', false]])
})

t.test('a closed port is refused at once', async (t) => {
  const port = await closedPort()
  const ran = await runService({ probe: 'elasticsearch', url: `http://127.0.0.1:${port}`, timeout: '3s', expect: { indices: ['logs'] } }, { sentinel: 1000 })
  const { result, ms } = ran
  t.equal(result.ok, false)
  t.equal(result.reason, 'refused')
  t.match(result.error, /ECONNREFUSED/)
  t.same(checkPairs(result), [
    ['cluster_status', false],
    ['index:logs', false],
  ])
  t.equal(detailOf(result, 'cluster_status'), 'not evaluated: refused')
  t.ok(beatSentinel(ran), `refused at once (${ms.toFixed(1)}ms, before a 1s timer)`)
})

t.test('an unknown host is reason dns', async (t) => {
  const { result } = await runService({ probe: 'elasticsearch', url: `http://gt-${unique()}.invalid:9200`, timeout: '3s' })
  t.equal(result.reason, 'dns')
  t.match(result.error, /ENOTFOUND/)
})

t.test('a tarpit times out at the deadline, not later', async (t) => {
  const pit = await keep(tarpit())
  const ran = await runService({ probe: 'elasticsearch', url: `http://127.0.0.1:${pit.port}`, timeout: '500ms' }, { sentinel: 500 })
  const { result, ms } = ran
  t.equal(result.ok, false)
  t.equal(result.reason, 'timeout')
  t.equal(result.error, 'no answer within the 500ms timeout')
  t.same(checkPairs(result), [['cluster_status', false]])
  t.ok(notBeforeTimeout(ms, 500), `not before the timeout (${ms.toFixed(1)}ms)`)
  t.ok(lateness(ran) <= 500 * 0.1, `within 10% of the timeout after a plain 500ms timer fired (${ms.toFixed(1)}ms; the timer at ${ran.sentinelMs?.toFixed(1)}ms)`)
  await settle()
  t.same(clientSockets(), [], 'the probe closed its socket to the tarpit')
})

t.test('a real cluster (ES_URL)', { skip: process.env.ES_URL ? false : 'set ES_URL=http(s)://[user:pass@]host:9200 to probe a real cluster' }, async (t) => {
  const { result } = await runService({ probe: 'elasticsearch', url: process.env.ES_URL!, timeout: '5s', expect: { status: 'red' } })
  t.equal(result.ok, true, result.error ?? 'reachable')
  t.same(checkPairs(result), [['cluster_status', true]])
  t.match(result.info.cluster_status, /^(green|yellow|red)$/)
  t.type(result.info.number_of_nodes, 'number')
  t.type(result.info.cluster_name, 'string')
  const missing = `gt-missing-${unique()}`
  const idx = await runService({ probe: 'elasticsearch', url: process.env.ES_URL!, timeout: '5s', expect: { status: 'red', indices: [missing] } })
  t.same(checkPairs(idx.result), [
    ['cluster_status', true],
    [`index:${missing}`, false],
  ])
})

t.test('nothing is left open once the servers are closed', (t) => nothingLeftOpen(t, baseline, closeAll))
