// The minio probe through parseConfig and runProbe. No MinIO runs on this
// machine: buckets are checked against s3rver (a protocol-level S3 fake, on
// port 0 in a temp dir), MinIO's health paths and the S3 errors s3rver cannot
// produce against small local HTTP servers, and a real MinIO when MINIO_URL is set.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { Agent, type IncomingMessage, type ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from 'minio'
import S3rver from 's3rver'
import t from 'tap'
import { parseConfig } from '../../src/config/load.js'
import { PROBE_KINDS } from '../../probes/index.js'
import type { RunResult } from '../../src/runner.js'
import { beatSentinel, checkPairs, detailOf, lateness, notBeforeTimeout, runService as run } from '../helpers/probe-run.js'
import { closedPort, httpServer, httpsServer, serverPool, tarpit } from '../helpers/servers.js'
import { clientSockets, nothingLeftOpen, settle, socketHandles } from '../helpers/sockets.js'
import { makeCert } from '../helpers/tls.js'

const baseline = socketHandles()
const unique = () => randomBytes(6).toString('hex')

// Planted in every keyed run below; no output may ever contain it.
const SECRET = `gt-secret-${unique()}`
const results: RunResult[] = []
async function runService(fields: Record<string, unknown>, opts: { sentinel?: number } = {}) {
  const ran = await run(fields, opts)
  results.push(ran.result)
  return ran
}

const { keep, closeAll } = serverPool()

// s3rver, with two buckets made through the S3 API by the minio client itself.
const s3dir = mkdtempSync(join(tmpdir(), 'gt-s3rver-'))
const s3rver = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: s3dir })
const { port: s3port } = await s3rver.run()
const s3url = `http://127.0.0.1:${s3port}`
const present = `gt-present-${unique()}`
const other = `gt-other-${unique()}`
const absent = `gt-absent-${unique()}`
{
  const agent = new Agent({ keepAlive: true })
  const admin = new Client({ endPoint: '127.0.0.1', port: s3port, useSSL: false, accessKey: 'S3RVER', secretKey: 'S3RVER', transportAgent: agent })
  await admin.makeBucket(present)
  await admin.makeBucket(other)
  agent.destroy()
}
let s3rverOpen = true
async function closeS3rver() {
  if (!s3rverOpen) return
  s3rverOpen = false
  await s3rver.close()
  rmSync(s3dir, { recursive: true, force: true })
}
t.teardown(async () => {
  await closeAll()
  await closeS3rver()
})

// s3rver checks that the access key exists but does not verify SigV4
// signatures, so any secret passes with the key S3RVER: the planted secret
// travels in real signed requests here, and SignatureDoesNotMatch comes from
// the fake server further down.
const s3 = (extra: Record<string, unknown> = {}) =>
  runService({ probe: 'minio', url: s3url, access_key: 'S3RVER', secret_key: SECRET, timeout: '3s', ...extra })

t.test('buckets present and absent (s3rver)', async (t) => {
  const { result } = await s3({ expect: { health: false, buckets: [present, absent] } })
  t.equal(result.ok, false)
  t.equal(result.reason, 'expectation')
  t.same(checkPairs(result), [
    [`bucket:${present}`, true],
    [`bucket:${absent}`, false],
  ])
  t.equal(detailOf(result, `bucket:${present}`), 'exists')
  t.equal(detailOf(result, `bucket:${absent}`), 'no such bucket')
  t.equal(result.error, `bucket:${absent}: no such bucket`)

  const pass = await s3({ expect: { health: false, buckets: [present, other] } })
  t.equal(pass.result.ok, true)
  t.equal(pass.result.reason, undefined)
  t.same(checkPairs(pass.result), [
    [`bucket:${present}`, true],
    [`bucket:${other}`, true],
  ])
  t.type(pass.result.info.latency_ms, 'number')
})

t.test('expect.max_latency, judged by the runner on the whole run, comes after the kind\'s checks (s3rver)', async (t) => {
  const { result } = await s3({ expect: { health: false, buckets: [present], max_latency: '10s' } })
  t.equal(result.ok, true)
  t.same(checkPairs(result), [
    [`bucket:${present}`, true],
    ['max_latency', true],
  ])
  t.match(detailOf(result, 'max_latency'), /^\d+ms \(limit 10s\)$/)
})

t.test('with a region set, buckets are checked by HEAD alone (s3rver)', async (t) => {
  const { result } = await s3({ region: 'us-east-1', expect: { health: false, buckets: [present, absent] } })
  t.same(checkPairs(result), [
    [`bucket:${present}`, true],
    [`bucket:${absent}`, false],
  ])
  t.equal(result.reason, 'expectation')
})

t.test('keys and no bucket listed: ListBuckets proves the keys (s3rver)', async (t) => {
  const { result } = await s3({ expect: { health: false } })
  t.equal(result.ok, true)
  t.same(checkPairs(result), [])
  t.equal(result.info.bucket_count, 2)
})

t.test('an unknown access key is reason auth (s3rver)', async (t) => {
  const key = `GTUNKNOWN${unique().toUpperCase()}`
  // Without a region the client first asks for the bucket's location: an XML InvalidAccessKeyId.
  const located = await s3({ access_key: key, expect: { health: false, buckets: [present, other] } })
  t.equal(located.result.ok, false)
  t.equal(located.result.reason, 'auth')
  t.equal(located.result.error, `bucket:${present}: InvalidAccessKeyId: The AWS Access Key Id you provided does not exist in our records.`)
  t.same(checkPairs(located.result), [
    [`bucket:${present}`, false],
    [`bucket:${other}`, false],
  ])
  t.equal(detailOf(located.result, `bucket:${present}`), 'not evaluated: auth')

  // With a region, HEAD bucket answers a bare 403, which the client names AccessDenied.
  const head = await s3({ access_key: key, region: 'us-east-1', expect: { health: false, buckets: [present] } })
  t.equal(head.result.reason, 'auth')
  t.equal(head.result.error, `bucket:${present}: AccessDenied: Valid and authorized credentials required`)

  const listed = await s3({ access_key: key, expect: { health: false } })
  t.equal(listed.result.reason, 'auth')
  t.equal(
    listed.result.error,
    'ListBuckets: InvalidAccessKeyId: The AWS Access Key Id you provided does not exist in our records.',
  )
})

/** An S3 stand-in that answers every request with one S3 XML error. */
function s3ErrorServer(status: number, code: string, message: string, seen: string[] = []) {
  return httpServer((req: IncomingMessage, res: ServerResponse) => {
    seen.push(`${req.method} ${req.url}`)
    res.statusCode = status
    res.setHeader('content-type', 'application/xml')
    res.end(
      `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><Resource>${req.url}</Resource><RequestId>1</RequestId></Error>`,
    )
  })
}

t.test('a wrong secret key is reason auth (fake S3 server: s3rver does not verify signatures)', async (t) => {
  const seen: string[] = []
  const fake = await keep(s3ErrorServer(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.', seen))
  const { result } = await runService({
    probe: 'minio',
    url: fake.url,
    access_key: 'minioadmin',
    secret_key: SECRET,
    timeout: '3s',
    expect: { health: false, buckets: ['recordings'] },
  })
  t.equal(result.ok, false)
  t.equal(result.reason, 'auth')
  t.equal(result.error, 'bucket:recordings: SignatureDoesNotMatch: The request signature we calculated does not match the signature you provided.')
  t.same(checkPairs(result), [['bucket:recordings', false]])
  t.same(seen, ['GET /recordings?location'], 'one attempt, no retry')

  const denied = await keep(s3ErrorServer(403, 'AccessDenied', 'Access Denied.'))
  const d = await runService({ probe: 'minio', url: denied.url, access_key: 'minioadmin', secret_key: SECRET, timeout: '3s', expect: { health: false, buckets: ['recordings'] } })
  t.equal(d.result.reason, 'auth')
  // The client then falls back to HEAD, whose bare 403 it names itself.
  t.equal(d.result.error, 'bucket:recordings: AccessDenied: Valid and authorized credentials required')
  const dl = await runService({ probe: 'minio', url: denied.url, access_key: 'minioadmin', secret_key: SECRET, timeout: '3s', expect: { health: false } })
  t.equal(dl.result.reason, 'auth')
  t.equal(dl.result.error, 'ListBuckets: AccessDenied: Access Denied. (keys limited to some buckets: list those in expect.buckets)')
})

t.test('a server error on a bucket fails that check with reason status (fake S3 server)', async (t) => {
  const seen: string[] = []
  const fake = await keep(s3ErrorServer(400, 'InvalidRequest', 'Bad bucket request.', seen))
  const { result } = await runService({ probe: 'minio', url: fake.url, access_key: 'minioadmin', secret_key: SECRET, timeout: '3s', expect: { health: false, buckets: ['recordings', 'exports'] } })
  t.equal(result.ok, false)
  t.equal(result.reason, 'status')
  t.same(checkPairs(result), [
    ['bucket:recordings', false],
    ['bucket:exports', false],
  ])
  t.equal(detailOf(result, 'bucket:recordings'), 'InvalidRequest: Bad bucket request.')

  // 5xx and 429 are "retryable" to the client: with retries off it keeps only the status.
  const busy = await keep(s3ErrorServer(503, 'XMinioServerNotInitialized', 'Server not initialized, please try again.', seen))
  seen.length = 0
  const b = await runService({ probe: 'minio', url: busy.url, access_key: 'minioadmin', secret_key: SECRET, timeout: '3s', expect: { health: false, buckets: ['recordings'] } })
  t.equal(b.result.reason, 'status')
  t.same(checkPairs(b.result), [['bucket:recordings', false]])
  t.equal(detailOf(b.result, 'bucket:recordings'), 'HTTP 503')
  t.same(seen, ['GET /recordings?location'], 'one attempt, no retry')
})

/** MinIO's health paths with chosen answers, and HEAD bucket for `buckets`. */
function minioServer(live: number, ready: number, buckets: string[] = [], seen: string[] = []) {
  return httpServer(minioHandler(live, ready, buckets, seen))
}

function minioHandler(live: number, ready: number, buckets: string[] = [], seen: string[] = []) {
  return (req: IncomingMessage, res: ServerResponse) => {
    seen.push(`${req.method} ${req.url} ${req.headers.authorization ? 'signed' : 'anonymous'}`)
    if (req.url === '/minio/health/live') res.statusCode = live
    else if (req.url === '/minio/health/ready') res.statusCode = ready
    else if (req.method === 'HEAD') res.statusCode = buckets.includes(req.url!.slice(1)) ? 200 : 404
    else res.statusCode = 403
    res.end()
  }
}

t.test('health paths: live and ready (local HTTP server)', async (t) => {
  const healthy = await keep(minioServer(200, 200))
  const ok = await runService({ probe: 'minio', url: healthy.url, timeout: '3s' })
  t.equal(ok.result.ok, true)
  t.same(checkPairs(ok.result), [
    ['live', true],
    ['ready', true],
  ])
  t.equal(detailOf(ok.result, 'ready'), 'HTTP 200')
  t.match(ok.result.info, { live_status: 200, ready_status: 200 })

  // Up but not ready (e.g. no write quorum): the answer's status is the reason.
  const notReady = await keep(minioServer(200, 503))
  const nr = await runService({ probe: 'minio', url: notReady.url, timeout: '3s' })
  t.equal(nr.result.ok, false)
  t.equal(nr.result.reason, 'status')
  t.same(checkPairs(nr.result), [
    ['live', true],
    ['ready', false],
  ])
  t.equal(detailOf(nr.result, 'ready'), 'HTTP 503, expected 200')
  t.equal(nr.result.error, 'ready: HTTP 503, expected 200')
  t.match(nr.result.info, { live_status: 200, ready_status: 503 })
})

t.test('health and buckets together, health requests unsigned (local HTTP server)', async (t) => {
  const seen: string[] = []
  const server = await keep(minioServer(200, 200, ['recordings'], seen))
  const { result } = await runService({
    probe: 'minio',
    url: server.url,
    access_key: 'minioadmin',
    secret_key: SECRET,
    region: 'us-east-1',
    timeout: '3s',
    expect: { buckets: ['recordings', 'exports'] },
  })
  t.same(checkPairs(result), [
    ['live', true],
    ['ready', true],
    ['bucket:recordings', true],
    ['bucket:exports', false],
  ])
  t.equal(result.reason, 'expectation')
  t.same(seen, ['GET /minio/health/live anonymous', 'GET /minio/health/ready anonymous', 'HEAD /recordings signed', 'HEAD /exports signed'])

  // Not MinIO (no health paths, 404): with health off, nothing but the buckets is judged.
  const s3only = await keep(minioServer(404, 404, ['recordings']))
  const off = await runService({ probe: 'minio', url: s3only.url, access_key: 'k', secret_key: SECRET, region: 'us-east-1', timeout: '3s', expect: { health: false, buckets: ['recordings'] } })
  t.equal(off.result.ok, true)
  t.same(checkPairs(off.result), [['bucket:recordings', true]])
})

t.test('TLS with a private CA, for the health paths and the minio client alike (local HTTPS server)', async (t) => {
  const cert = makeCert(30)
  const seen: string[] = []
  const server = await keep(httpsServer({ key: cert.key, cert: cert.cert }, minioHandler(200, 200, ['recordings'], seen)))
  const url = `https://127.0.0.1:${server.port}`
  const keyed = { access_key: 'minioadmin', secret_key: SECRET, region: 'us-east-1' }

  const untrusted = await runService({ probe: 'minio', url, timeout: '3s', ...keyed, expect: { buckets: ['recordings'] } })
  t.equal(untrusted.result.reason, 'tls')
  const untrustedClient = await runService({ probe: 'minio', url, timeout: '3s', ...keyed, expect: { health: false, buckets: ['recordings'] } })
  t.equal(untrustedClient.result.reason, 'tls', 'the minio client verifies the certificate too')

  seen.length = 0
  const trusted = await runService({ probe: 'minio', url, timeout: '3s', ...keyed, tls: { ca_file: cert.caFile }, expect: { buckets: ['recordings'] } })
  t.equal(trusted.result.ok, true, trusted.result.error ?? 'ok')
  t.same(checkPairs(trusted.result), [
    ['live', true],
    ['ready', true],
    ['bucket:recordings', true],
  ])
  t.same(seen, ['GET /minio/health/live anonymous', 'GET /minio/health/ready anonymous', 'HEAD /recordings signed'])
  const insecure = await runService({ probe: 'minio', url, timeout: '3s', ...keyed, tls: { insecure: true }, expect: { buckets: ['recordings'] } })
  t.equal(insecure.result.ok, true)
})

t.test('nothing expected and no keys: any HTTP answer shows the endpoint is there', async (t) => {
  const server = await keep(minioServer(404, 404))
  const { result } = await runService({ probe: 'minio', url: server.url, timeout: '3s', expect: { health: false } })
  t.equal(result.ok, true)
  t.same(checkPairs(result), [])
  t.equal(result.info.status_code, 403)
})

t.test('an access key without a secret key is a config error at run time', async (t) => {
  const { result } = await runService({ probe: 'minio', url: s3url, access_key: 'S3RVER', timeout: '3s', expect: { health: false, buckets: [present] } })
  t.equal(result.reason, 'error')
  t.equal(result.error, 'access_key and secret_key go together: set both or neither')
  t.same(checkPairs(result), [[`bucket:${present}`, false]])
})

t.test('config: target, checks, secrets, validation, discovery', async (t) => {
  const kind = PROBE_KINDS.get('minio')!
  const yaml = `services:
  - name: storage
    probe: minio
    url: https://minio.example.com
    access_key: \${MINIO_ACCESS_KEY}
    secret_key: \${MINIO_SECRET_KEY}
    expect: { buckets: [recordings, exports] }
`
  const env = { MINIO_ACCESS_KEY: 'gtaccess', MINIO_SECRET_KEY: SECRET }
  const config = parseConfig(yaml, 'minio.yml', PROBE_KINDS, env)
  const svc = config.services[0]!
  t.equal(kind.target(svc as never), 'minio.example.com:443')
  t.equal(kind.target({ ...svc, url: 'http://10.1.2.3:9000' } as never), '10.1.2.3:9000')
  t.same(kind.checkNames(svc as never), ['live', 'ready', 'bucket:recordings', 'bucket:exports'])
  t.same(kind.checkNames({ ...svc, expect: { health: false, buckets: [] } } as never), [])
  t.equal(config.secrets.redact(`x ${SECRET} y`), 'x *** y')
  // A secret key written literally (as discovery does) is registered by the probe itself.
  const literal = parseConfig(yaml.replace('${MINIO_SECRET_KEY}', SECRET), 'minio.yml', PROBE_KINDS, env)
  t.equal(literal.secrets.redact(`x ${SECRET} y`), 'x *** y')

  t.throws(() => parseConfig(yaml.replace('https://minio.example.com', `http://user:${SECRET}@minio:9000`), 'minio.yml', PROBE_KINDS, env), /services\[0\]\.url: expected the endpoint alone/)
  t.throws(() => parseConfig(yaml.replace('https://minio.example.com', 'http://minio:9000/bucket'), 'minio.yml', PROBE_KINDS, env), /services\[0\]\.url: expected the endpoint alone/)
  t.throws(() => parseConfig(yaml.replace('recordings, exports', 'Recordings'), 'minio.yml', PROBE_KINDS, env), /services\[0\]\.expect\.buckets\[0\]: expected an S3 bucket name/)
  t.throws(() => parseConfig(yaml.replace('recordings, exports', 'exports, exports'), 'minio.yml', PROBE_KINDS, env), /expected each bucket once/)
  // The one tls: schema, without server_name: the minio client verifies the URL's host.
  t.throws(() => parseConfig(`${yaml}    tls: { server_name: minio.internal }\n`, 'minio.yml', PROBE_KINDS, env), /services\[0\]\.tls\.server_name: unknown key/)

  const d = kind.discover!
  t.same(d({ MINIO_ENDPOINT: 'localhost:9000', MINIO_ACCESS_KEY: 'ak', MINIO_SECRET_KEY: 'sk' }), [
    {
      from: 'MINIO_ENDPOINT, MINIO_ACCESS_KEY, MINIO_SECRET_KEY',
      service: { name: 'minio', group: 'infrastructure', probe: 'minio', url: 'http://localhost:9000', access_key: 'ak', secret_key: 'sk' },
    },
  ])
  t.same(d({ MINIO_ENDPOINT: 'minio.internal', MINIO_PORT: '9100', MINIO_USE_SSL: 'true', MINIO_ROOT_USER: 'root', MINIO_ROOT_PASSWORD: 'rootpass' }), [
    {
      from: 'MINIO_ENDPOINT, MINIO_USE_SSL, MINIO_PORT, MINIO_ROOT_USER, MINIO_ROOT_PASSWORD',
      service: { name: 'minio', group: 'infrastructure', probe: 'minio', url: 'https://minio.internal:9100', access_key: 'root', secret_key: 'rootpass' },
    },
  ])
  t.same(d({ MINIO_ENDPOINT: 'http://minio:9000', MINIO_USE_SSL: 'true' }), [
    { from: 'MINIO_ENDPOINT', service: { name: 'minio', group: 'infrastructure', probe: 'minio', url: 'http://minio:9000' } },
  ])
  t.same(d({ S3_ENDPOINT: 'https://s3.eu-west-1.amazonaws.com', MINIO_ACCESS_KEY: 'ak' }), [
    { from: 'S3_ENDPOINT', service: { name: 'minio', group: 'infrastructure', probe: 'minio', url: 'https://s3.eu-west-1.amazonaws.com', expect: { health: false } } },
  ])
  t.same(d({ REDIS_URL: 'redis://x' }), [])
})

t.test('a closed port is refused at once, on the health path and through the minio client', async (t) => {
  const port = await closedPort()
  const health = await runService({ probe: 'minio', url: `http://127.0.0.1:${port}`, timeout: '3s', expect: { buckets: [present] } }, { sentinel: 1000 })
  t.equal(health.result.reason, 'refused')
  t.match(health.result.error, /ECONNREFUSED/)
  t.same(checkPairs(health.result), [
    ['live', false],
    ['ready', false],
    [`bucket:${present}`, false],
  ])
  t.equal(detailOf(health.result, 'live'), 'not evaluated: refused')
  t.ok(beatSentinel(health), `refused at once (${health.ms.toFixed(1)}ms, before a 1s timer)`)

  const buckets = await runService(
    { probe: 'minio', url: `http://127.0.0.1:${port}`, access_key: 'S3RVER', secret_key: SECRET, timeout: '3s', expect: { health: false, buckets: [present] } },
    { sentinel: 1000 },
  )
  t.equal(buckets.result.reason, 'refused')
  t.match(buckets.result.error, /ECONNREFUSED/)
  t.ok(beatSentinel(buckets), `refused at once (${buckets.ms.toFixed(1)}ms, before a 1s timer)`)
})

t.test('a tarpit times out at the deadline and its sockets are closed, minio client included', async (t) => {
  const pit = await keep(tarpit())
  for (const expect of [{ buckets: [present] }, { health: false, buckets: [present] }]) {
    const ran = await runService({ probe: 'minio', url: `http://127.0.0.1:${pit.port}`, access_key: 'S3RVER', secret_key: SECRET, timeout: '500ms', expect }, { sentinel: 500 })
    const { result, ms } = ran
    t.equal(result.reason, 'timeout')
    t.equal(result.error, 'no answer within the 500ms timeout')
    t.equal(checkPairs(result).every(([, ok]) => !ok), true)
    t.ok(notBeforeTimeout(ms, 500), `not before the timeout (${ms.toFixed(1)}ms)`)
    t.ok(lateness(ran) <= 500 * 0.1, `within 10% of the timeout after a plain 500ms timer fired (${ms.toFixed(1)}ms; the timer at ${ran.sentinelMs?.toFixed(1)}ms)`)
    await settle()
    t.same(clientSockets(), [], `no socket left to the tarpit (${JSON.stringify(expect)})`)
  }
})

t.test('a real MinIO (MINIO_URL)', { skip: process.env.MINIO_URL ? false : 'set MINIO_URL=http://host:9000 (and MINIO_ACCESS_KEY, MINIO_SECRET_KEY) to probe a real MinIO' }, async (t) => {
  const keys = process.env.MINIO_ACCESS_KEY && process.env.MINIO_SECRET_KEY ? { access_key: process.env.MINIO_ACCESS_KEY, secret_key: process.env.MINIO_SECRET_KEY } : {}
  const { result } = await run({ probe: 'minio', url: process.env.MINIO_URL!, timeout: '5s', ...keys })
  t.equal(result.ok, true, result.error ?? 'healthy')
  t.same(checkPairs(result), [
    ['live', true],
    ['ready', true],
  ])
  if (keys.access_key) {
    const missing = `gt-missing-${unique()}`
    const b = await run({ probe: 'minio', url: process.env.MINIO_URL!, timeout: '5s', ...keys, expect: { buckets: [missing] } })
    t.same(checkPairs(b.result), [
      ['live', true],
      ['ready', true],
      [`bucket:${missing}`, false],
    ])
    const wrong = await runService({ probe: 'minio', url: process.env.MINIO_URL!, timeout: '5s', access_key: keys.access_key, secret_key: SECRET, expect: { buckets: [missing] } })
    t.equal(wrong.result.reason, 'auth')
  }
})

t.test('the planted secret key is in no output', async (t) => {
  t.ok(results.length >= 20, `${results.length} results looked at`)
  for (const result of results) {
    t.notOk(JSON.stringify(result).includes(SECRET), `${result.service}: ${result.reason ?? 'ok'}`)
  }
})

t.test('nothing is left open once the servers are closed', (t) =>
  nothingLeftOpen(t, baseline, async () => {
    await closeAll()
    await closeS3rver()
  }),
)
