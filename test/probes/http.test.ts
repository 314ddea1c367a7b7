// The http probe against real local servers, through the real config path
// (parseConfig) and the real runner (hard timeout, reason classification).
import { X509Certificate } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import t from 'tap'
import { beatSentinel, checkPairs, detailOf, lateness, notBeforeTimeout, runService } from '../helpers/probe-run.js'
import { closedPort, httpServer, httpsServer, serverPool, tarpit, type Running } from '../helpers/servers.js'
import { nothingLeftOpen, socketHandles } from '../helpers/sockets.js'
import { makeCert, type TestCert } from '../helpers/tls.js'

// Taken before any server or probe exists: what the test process holds on its own.
const baseline = socketHandles()

const JSON_BODY = {
  status: 'ok',
  version: '1.4.2',
  db: { connected: true, pool: { size: 10, idle: 3 } },
  items: [
    { id: 1, name: 'a' },
    { id: 2, name: 'b', tags: ['x', 'y'] },
  ],
  nothing: null,
  zero: 0,
}

interface Seen {
  method?: string
  headers?: IncomingMessage['headers']
  body?: string
}
const seen: Seen = {}
const connections: Array<{ port: number; connection?: string }> = []
let endlessBytesSent = 0
let endlessClosed = false

function route(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x')
  switch (url.pathname) {
    case '/ok':
      res.end('ok')
      return
    case '/500':
      res.writeHead(500).end('boom')
      return
    case '/201':
      res.writeHead(201).end('created')
      return
    case '/204':
      res.writeHead(204).end()
      return
    case '/json':
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(JSON_BODY))
      return
    case '/list':
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(JSON_BODY.items))
      return
    case '/loop':
      res.writeHead(302, { location: '/loop' }).end()
      return
    case '/text':
      res.writeHead(200, { 'content-type': 'text/plain' }).end('hello   world, all systems nominal\n')
      return
    case '/slow': {
      const timer = setTimeout(() => res.end('late'), Number(url.searchParams.get('ms')))
      res.on('close', () => clearTimeout(timer))
      return
    }
    case '/redirect':
      res.writeHead(302, { location: '/ok' }).end()
      return
    case '/echo': {
      // Answers 200 only when the probe sent exactly what the config says.
      let body = ''
      req.setEncoding('utf8')
      req.on('data', (d: string) => (body += d))
      req.on('end', () => {
        Object.assign(seen, { method: req.method, headers: req.headers, body })
        const good = req.method === 'POST' && req.headers['x-trace'] === 'abc-123' && req.headers.authorization === 'Bearer s3cr3t-token-value' && body === '{"ping":true}'
        res.writeHead(good ? 200 : 418).end(good ? 'pong' : 'not what I expected')
      })
      return
    }
    case '/endless': {
      // A hostile peer: a body that never ends, written as fast as the client reads.
      res.writeHead(200, { 'content-type': 'text/plain' })
      const chunk = Buffer.alloc(16 * 1024, 'x')
      const pump = (): void => {
        while (!res.destroyed) {
          endlessBytesSent += chunk.length
          if (!res.write(chunk)) {
            res.once('drain', pump)
            return
          }
        }
      }
      res.on('error', () => {})
      res.on('close', () => (endlessClosed = true))
      pump()
      return
    }
    case '/cut':
      // Promises 100 bytes, sends 10, then hangs up.
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100' })
      res.write('0123456789', () => res.socket?.destroy())
      return
    case '/who':
      // Which connection asked, and whether it said it would close.
      connections.push({ port: req.socket.remotePort ?? 0, connection: req.headers.connection })
      res.end('ok')
      return
    default:
      res.writeHead(404).end('not found')
  }
}

const { keep, closeAll } = serverPool()
t.teardown(closeAll)

let web: Running
let cert30: TestCert
let cert2: TestCert
let tls30: Running
let tls2: Running

t.before(async () => {
  web = await keep(httpServer(route))
  cert30 = makeCert(30)
  cert2 = makeCert(2)
  tls30 = await keep(httpsServer(cert30, route))
  tls2 = await keep(httpsServer(cert2, route))
})

// "At once" means before a plain timer of a third of the 3s timeout, armed with the probe, fired.
const http = (path: string, extra: Record<string, unknown> = {}) => runService({ probe: 'http', url: `${web.url}${path}`, timeout: '3s', ...extra }, { sentinel: 1000 })

t.test('200 is up with one passing status check', async (t) => {
  const { result } = await http('/ok')
  t.equal(result.ok, true)
  t.equal(result.reason, undefined)
  t.equal(result.error, undefined)
  t.same(checkPairs(result), [['status', true]])
  t.equal(result.info.status_code, 200)
  t.equal(result.service, 'svc')
  t.equal(result.facts.tls?.certExpiresAt, undefined)
})

t.test('500 is a status failure', async (t) => {
  const { result } = await http('/500')
  t.equal(result.ok, false)
  t.equal(result.reason, 'status')
  t.same(checkPairs(result), [['status', false]])
  t.equal(detailOf(result, 'status'), 'got 500, expected 2xx')
  t.equal(result.error, 'status: got 500, expected 2xx')
  t.equal(result.info.status_code, 500)
})

t.test('expect.status lists the accepted codes', async (t) => {
  for (const path of ['/201', '/204']) {
    const { result } = await http(path, { expect: { status: [201, 204] } })
    t.equal(result.ok, true, path)
    t.same(checkPairs(result), [['status', true]], path)
  }
  const { result } = await http('/ok', { expect: { status: [201, 204] } })
  t.equal(result.ok, false)
  t.equal(result.reason, 'status')
  t.same(checkPairs(result), [['status', false]])
  t.equal(detailOf(result, 'status'), 'got 200, expected 201 or 204')
})

t.test('expect.json is a subset match', async (t) => {
  t.test('passes with extra keys ignored, nested objects and array elements', async (t) => {
    const { result } = await http('/json', {
      expect: { json: { status: 'ok', db: { pool: { size: 10 } }, items: [{ id: 2, tags: ['y'] }], nothing: null, zero: 0 } },
    })
    t.equal(result.ok, true)
    t.same(checkPairs(result), [
      ['status', true],
      ['json', true],
    ])
  })

  t.test('each expected array element may match any actual element, in any order', async (t) => {
    const { result } = await http('/json', { expect: { json: { items: [{ name: 'b' }, { id: 1 }] } } })
    t.equal(result.ok, true)
  })

  t.test('a top-level array body against a top-level array expectation', async (t) => {
    const pass = await http('/list', { expect: { json: [{ id: 2, tags: ['x'] }] } })
    t.equal(pass.result.ok, true)
    const fail = await http('/json', { expect: { json: [{ id: 2 }] } })
    t.equal(fail.result.ok, false)
    t.match(detailOf(fail.result, 'json'), /^\$: expected an array, got \{"status":"ok"/)
  })

  t.test('a wrong nested value fails and names the JSON path', async (t) => {
    const { result } = await http('/json', { expect: { json: { status: 'ok', db: { pool: { size: 20 } } } } })
    t.equal(result.ok, false)
    t.equal(result.reason, 'expectation')
    t.same(checkPairs(result), [
      ['status', true],
      ['json', false],
    ])
    t.equal(detailOf(result, 'json'), '$.db.pool.size: expected 20, got 10')
    t.equal(result.error, 'json: $.db.pool.size: expected 20, got 10')
  })

  t.test('a value of another type fails (no coercion)', async (t) => {
    const { result } = await http('/json', { expect: { json: { zero: false } } })
    t.equal(result.ok, false)
    t.equal(detailOf(result, 'json'), '$.zero: expected false, got 0')
  })

  t.test('a missing key fails and names the path', async (t) => {
    const { result } = await http('/json', { expect: { json: { db: { replica: true } } } })
    t.equal(result.ok, false)
    t.equal(detailOf(result, 'json'), '$.db.replica: missing')
  })

  t.test('a key only Object.prototype has is missing, not "equal to a function"', async (t) => {
    const { result } = await http('/json', { expect: { json: { db: { constructor: 'x' } } } })
    t.equal(result.ok, false)
    t.equal(detailOf(result, 'json'), '$.db.constructor: missing')
    // An own "__proto__" key in the config (YAML allows it) once matched any object.
    const proto = await http('/json', { expect: { json: JSON.parse('{"db": {"__proto__": {}}}') } })
    t.match(proto.yaml, /__proto__/)
    t.equal(proto.result.ok, false)
    t.equal(detailOf(proto.result, 'json'), '$.db.__proto__: missing')
  })

  t.test('an array element nobody matches fails', async (t) => {
    const { result } = await http('/json', { expect: { json: { items: [{ id: 3 }] } } })
    t.equal(result.ok, false)
    t.equal(detailOf(result, 'json'), '$.items: no element matches expected[0] {"id":3}')
  })

  t.test('a body that is not JSON fails the json check only', async (t) => {
    const { result } = await http('/text', { expect: { json: { status: 'ok' } } })
    t.equal(result.ok, false)
    t.equal(result.reason, 'expectation')
    t.same(checkPairs(result), [
      ['status', true],
      ['json', false],
    ])
    t.equal(detailOf(result, 'json'), 'body is not JSON')
  })
})

t.test('expect.body_contains', async (t) => {
  const pass1 = await http('/text', { expect: { body_contains: 'systems nominal' } })
  t.equal(pass1.result.ok, true)
  t.same(checkPairs(pass1.result), [
    ['status', true],
    ['body_contains', true],
  ])

  const passList = await http('/text', { expect: { body_contains: ['hello', 'nominal'] } })
  t.equal(passList.result.ok, true)
  t.same(checkPairs(passList.result), [
    ['status', true],
    ['body_contains', true],
  ])

  const fail1 = await http('/text', { expect: { body_contains: 'degraded' } })
  t.equal(fail1.result.ok, false)
  t.equal(fail1.result.reason, 'expectation')
  t.same(checkPairs(fail1.result), [
    ['status', true],
    ['body_contains', false],
  ])
  t.equal(detailOf(fail1.result, 'body_contains'), 'body lacks "degraded"')

  const failList = await http('/text', { expect: { body_contains: ['hello', 'mars', 'nominal', 'venus'] } })
  t.equal(failList.result.ok, false)
  t.equal(failList.result.reason, 'expectation')
  t.equal(detailOf(failList.result, 'body_contains'), 'body lacks "mars", "venus"')
})

t.test('expect.body_matches', async (t) => {
  const pass = await http('/text', { expect: { body_matches: '^hello\\s+world' } })
  t.equal(pass.result.ok, true)
  t.same(checkPairs(pass.result), [
    ['status', true],
    ['body_matches', true],
  ])

  const fail = await http('/text', { expect: { body_matches: '^world' } })
  t.equal(fail.result.ok, false)
  t.equal(fail.result.reason, 'expectation')
  t.same(checkPairs(fail.result), [
    ['status', true],
    ['body_matches', false],
  ])
  t.equal(detailOf(fail.result, 'body_matches'), 'body does not match /^world/')
})

t.test('connection refused reports every declared check as 0', async (t) => {
  const port = await closedPort()
  const ran = await runService(
    {
      probe: 'http',
      url: `http://127.0.0.1:${port}/health`,
      timeout: '3s',
      expect: { json: { status: 'ok' }, body_contains: 'ok', body_matches: 'ok', max_latency: '1s' },
    },
    { sentinel: 1000 },
  )
  const { result, ms } = ran
  t.equal(result.ok, false)
  t.equal(result.reason, 'refused')
  t.match(result.error, /ECONNREFUSED/)
  t.same(checkPairs(result), [
    ['status', false],
    ['json', false],
    ['body_contains', false],
    ['body_matches', false],
    ['max_latency', false],
  ])
  for (const c of result.checks) t.equal(c.detail, 'not evaluated: refused', c.name)
  t.ok(beatSentinel(ran), `refused at once (${ms.toFixed(1)}ms, before a 1s timer)`)
})

t.test('a tarpit (accepts, never answers) times out at the deadline, not later', async (t) => {
  const pit = await keep(tarpit())
  const ran = await runService({ probe: 'http', url: `http://127.0.0.1:${pit.port}/`, timeout: '300ms', expect: { body_contains: 'x' } }, { sentinel: 300 })
  const { result, ms, sentinelMs } = ran
  const lag = `a plain 300ms timer fired at ${sentinelMs?.toFixed(1)}ms`
  t.comment(`http tarpit, timeout 300ms: runProbe returned after ${ms.toFixed(1)}ms (durationSeconds ${result.durationSeconds.toFixed(4)}; ${lag})`)
  t.equal(result.ok, false)
  t.equal(result.reason, 'timeout')
  t.equal(result.error, 'no answer within the 300ms timeout')
  t.same(checkPairs(result), [
    ['status', false],
    ['body_contains', false],
  ])
  t.equal(detailOf(result, 'status'), 'not evaluated: timeout')
  t.ok(notBeforeTimeout(ms, 300), `not before the timeout (${ms.toFixed(1)}ms)`)
  t.ok(lateness(ran) <= 300 * 0.1, `within 10% of the timeout after a plain timer of the same length fired (${ms.toFixed(1)}ms; ${lag})`)
  t.ok(notBeforeTimeout(result.durationSeconds * 1000, 300), `durationSeconds ${result.durationSeconds} not before the timeout`)
  t.ok(result.durationSeconds * 1000 - (sentinelMs ?? 300) <= 300 * 0.1, `durationSeconds ${result.durationSeconds} within 10% of the timeout after the plain timer fired (${lag})`)
})

t.test('max_latency', async (t) => {
  const slow = await http('/slow?ms=250', { expect: { max_latency: '100ms' } })
  t.equal(slow.result.ok, false)
  t.equal(slow.result.reason, 'expectation')
  t.same(checkPairs(slow.result), [
    ['status', true],
    ['max_latency', false],
  ])
  t.match(detailOf(slow.result, 'max_latency'), /^\d+ms \(limit 100ms\)$/)
  t.ok(Number(slow.result.info.latency_ms) >= 250, `latency_ms ${String(slow.result.info.latency_ms)}`)

  const fast = await http('/ok', { expect: { max_latency: '1s' } })
  t.equal(fast.result.ok, true)
  t.same(checkPairs(fast.result), [
    ['status', true],
    ['max_latency', true],
  ])
})

t.test('redirects', async (t) => {
  const judged = await http('/redirect')
  t.equal(judged.result.ok, false, 'a 302 is judged as a 302 by default')
  t.equal(judged.result.reason, 'status')
  t.equal(judged.result.info.status_code, 302)
  t.equal(detailOf(judged.result, 'status'), 'got 302, expected 2xx')
  t.equal(judged.result.info.final_url, undefined)

  const expected302 = await http('/redirect', { expect: { status: [302] } })
  t.equal(expected302.result.ok, true, 'a 302 can be what is expected')

  const followed = await http('/redirect', { follow_redirects: true, expect: { body_contains: 'ok' } })
  t.equal(followed.result.ok, true)
  t.equal(followed.result.info.status_code, 200)
  t.equal(followed.result.info.final_url, `${web.url}/ok`)
  t.same(checkPairs(followed.result), [
    ['status', true],
    ['body_contains', true],
  ])
})

t.test('a redirect loop is cut after 5 hops', async (t) => {
  const ran = await http('/loop', { follow_redirects: true })
  const { result, ms } = ran
  t.equal(result.ok, false)
  t.equal(result.reason, 'error')
  t.equal(result.error, 'more than 5 redirects')
  t.same(checkPairs(result), [['status', false]])
  t.ok(beatSentinel(ran), `${ms.toFixed(1)}ms, before a 1s timer`)
})

t.test('credentials are not carried to another origin when following a redirect', async (t) => {
  let sentAuth: string | undefined = 'not called'
  const other = await keep(
    httpServer((req, res) => {
      sentAuth = req.headers.authorization
      res.end('elsewhere')
    }),
  )
  const hop = await keep(httpServer((_req, res) => res.writeHead(302, { location: `${other.url}/landing` }).end()))
  const { result } = await runService({ probe: 'http', url: `${hop.url}/start`, follow_redirects: true, headers: { Authorization: 'Bearer s3cr3t-token-value' } })
  t.equal(result.ok, true)
  t.equal(result.info.final_url, `${other.url}/landing`)
  t.equal(sentAuth, undefined)
})

t.test('method, headers and body are sent as configured', async (t) => {
  const { result } = await http('/echo', {
    method: 'POST',
    headers: { 'X-Trace': 'abc-123', Authorization: 'Bearer s3cr3t-token-value' },
    body: '{"ping":true}',
    expect: { status: [200], body_contains: 'pong' },
  })
  t.equal(result.ok, true, 'server accepted what it received')
  t.equal(seen.method, 'POST')
  t.equal(seen.headers?.['x-trace'], 'abc-123')
  t.equal(seen.headers?.authorization, 'Bearer s3cr3t-token-value')
  t.equal(seen.headers?.['user-agent'], 'groundtruth')
  t.equal(seen.body, '{"ping":true}')

  // The default is a plain GET, which this endpoint refuses.
  const get = await http('/echo')
  t.equal(get.result.ok, false)
  t.equal(get.result.info.status_code, 418)
  t.equal(seen.method, 'GET')
  t.equal(seen.body, '')
})

t.test('an endless body is cut at max_body_bytes and the probe returns at once', async (t) => {
  const ran = await http('/endless', { timeout: '5s', max_body_bytes: 65536, expect: { body_contains: 'xxxx' } })
  const { result, ms } = ran
  t.comment(`endless body: probe returned after ${ms.toFixed(1)}ms, server had written ${endlessBytesSent} bytes`)
  t.equal(result.ok, true)
  t.same(checkPairs(result), [
    ['status', true],
    ['body_contains', true],
  ])
  t.equal(result.info.body_truncated_at, 65536)
  t.ok(beatSentinel(ran), `returned in ${ms.toFixed(1)}ms, before a 1s timer: far from the 5s timeout`)
  // The connection was really dropped, not left draining in the background.
  const before = endlessBytesSent
  await new Promise((r) => setTimeout(r, 50))
  t.equal(endlessClosed, true, 'the server saw the connection close')
  t.ok(endlessBytesSent - before <= 64 * 1024, `and wrote (almost) nothing more: ${endlessBytesSent - before} bytes`)
})

t.test('a connection closed before the end of the body is down, at once, with the reason said', async (t) => {
  const ran = await http('/cut', { timeout: '5s', expect: { body_contains: '0123' } })
  const { result, ms } = ran
  t.equal(result.ok, false)
  t.equal(result.reason, 'error')
  t.match(result.error, /aborted|closed before the end of the body/)
  t.same(checkPairs(result), [
    ['status', false],
    ['body_contains', false],
  ])
  t.ok(beatSentinel(ran), `returned in ${ms.toFixed(1)}ms, before a 1s timer: far from the 5s timeout`)
})

t.test('every plain http probe opens its own connection and says it will close it', async (t) => {
  connections.length = 0
  for (let i = 0; i < 3; i++) t.equal((await http('/who')).result.ok, true)
  t.equal(connections.length, 3)
  t.equal(new Set(connections.map((c) => c.port)).size, 3, `three source ports: ${connections.map((c) => c.port).join(', ')}`)
  t.same(
    connections.map((c) => c.connection),
    ['close', 'close', 'close'],
  )
})

t.test('a body within max_body_bytes is not marked truncated', async (t) => {
  const { result } = await http('/text', { max_body_bytes: 1024 })
  t.equal(result.ok, true)
  t.equal(result.info.body_truncated_at, undefined)
})

t.test('valid JSON longer than max_body_bytes fails and the detail says it was cut', async (t) => {
  const { result } = await http('/json', { max_body_bytes: 40, expect: { json: { status: 'ok' }, body_contains: 'items' } })
  t.equal(result.ok, false)
  t.equal(result.reason, 'expectation')
  t.equal(result.info.body_truncated_at, 40)
  t.same(checkPairs(result), [
    ['status', true],
    ['json', false],
    ['body_contains', false],
  ])
  t.equal(detailOf(result, 'json'), 'body is not JSON (only the first 40 bytes were read: max_body_bytes)')
  t.equal(detailOf(result, 'body_contains'), 'body lacks "items" (only the first 40 bytes were read: max_body_bytes)')
})

t.test('an unknown host is a dns failure', async (t) => {
  const { result } = await runService({ probe: 'http', url: 'http://nonexistent.invalid/health', timeout: '3s' })
  t.equal(result.ok, false)
  t.equal(result.reason, 'dns')
  t.match(result.error, /nonexistent\.invalid/)
  t.same(checkPairs(result), [['status', false]])
})

t.test('https with a private CA', async (t) => {
  t.test('without ca_file the certificate is not trusted: tls', async (t) => {
    const { result } = await runService({ probe: 'http', url: `${tls30.url}/ok`, timeout: '3s' })
    t.equal(result.ok, false)
    t.equal(result.reason, 'tls')
    t.match(result.error, /UNABLE_TO_VERIFY_LEAF_SIGNATURE|unable to verify/)
    t.same(checkPairs(result), [
      ['status', false],
      ['cert_expiry', false],
    ])
  })

  t.test('with tls.ca_file it is ok and the expiry is the certificate notAfter', async (t) => {
    const { result } = await runService({ probe: 'http', url: `${tls30.url}/ok`, timeout: '3s', tls: { ca_file: cert30.caFile } })
    t.equal(result.ok, true)
    t.same(checkPairs(result), [
      ['status', true],
      ['cert_expiry', true],
    ])
    const notAfter = Date.parse(new X509Certificate(cert30.cert).validTo)
    t.type(result.facts.tls?.certExpiresAt, 'number')
    t.ok(Math.abs((result.facts.tls?.certExpiresAt ?? 0) - notAfter) < 1000, `certExpiresAt ${result.facts.tls?.certExpiresAt} vs notAfter ${notAfter}`)
    // openssl started the validity "now": 30 days from now, give or take the test's run time.
    t.ok(Math.abs((result.facts.tls?.certExpiresAt ?? 0) - (Date.now() + 30 * 86_400_000)) < 120_000)
  })

  t.test('with tls.insecure it is ok without the CA', async (t) => {
    const { result } = await runService({ probe: 'http', url: `${tls30.url}/ok`, timeout: '3s', tls: { insecure: true } })
    t.equal(result.ok, true)
    t.same(checkPairs(result), [
      ['status', true],
      ['cert_expiry', true],
    ])
  })

  t.test('a certificate valid 2 days fails the default 14d cert_min_validity', async (t) => {
    const { result } = await runService({ probe: 'http', url: `${tls2.url}/ok`, timeout: '3s', tls: { ca_file: cert2.caFile } })
    t.equal(result.ok, false)
    t.equal(result.reason, 'expectation')
    t.same(checkPairs(result), [
      ['status', true],
      ['cert_expiry', false],
    ])
    const notAfter = new Date(Date.parse(new X509Certificate(cert2.cert).validTo)).toISOString()
    t.match(detailOf(result, 'cert_expiry'), `certificate expires ${notAfter}`)
    t.ok(Math.abs((result.facts.tls?.certExpiresAt ?? 0) - Date.parse(notAfter)) < 1000)
  })

  t.test('the same certificate passes cert_min_validity: 1d', async (t) => {
    const { result } = await runService({ probe: 'http', url: `${tls2.url}/ok`, timeout: '3s', tls: { ca_file: cert2.caFile }, expect: { cert_min_validity: '1d' } })
    t.equal(result.ok, true)
    t.same(checkPairs(result), [
      ['status', true],
      ['cert_expiry', true],
    ])
  })

  t.test('tls.server_name is the name the certificate is verified against', async (t) => {
    const good = await runService({ probe: 'http', url: `${tls30.url}/ok`, timeout: '3s', tls: { ca_file: cert30.caFile, server_name: 'localhost' } })
    t.equal(good.result.ok, true)
    const bad = await runService({ probe: 'http', url: `${tls30.url}/ok`, timeout: '3s', tls: { ca_file: cert30.caFile, server_name: 'db.example.com' } })
    t.equal(bad.result.ok, false)
    t.equal(bad.result.reason, 'tls')
    t.match(bad.result.error, /ERR_TLS_CERT_ALTNAME_INVALID/)
  })

  t.test('https spoken to a plain http port is a tls failure', async (t) => {
    const { result } = await runService({ probe: 'http', url: `${web.url.replace('http:', 'https:')}/ok`, timeout: '3s' })
    t.equal(result.ok, false)
    t.equal(result.reason, 'tls')
  })

  t.test('a TLS handshake nobody answers times out at the deadline', async (t) => {
    const pit = await keep(tarpit())
    const ran = await runService({ probe: 'http', url: `https://127.0.0.1:${pit.port}/`, timeout: '300ms' }, { sentinel: 300 })
    const { result, ms, sentinelMs } = ran
    t.comment(`https tarpit, timeout 300ms: runProbe returned after ${ms.toFixed(1)}ms (a plain 300ms timer fired at ${sentinelMs?.toFixed(1)}ms)`)
    t.equal(result.reason, 'timeout')
    t.same(checkPairs(result), [
      ['status', false],
      ['cert_expiry', false],
    ])
    t.ok(notBeforeTimeout(ms, 300), `not before the timeout (${ms.toFixed(1)}ms)`)
    // Judged against a timer armed at the same moment, so a loaded machine's
    // event-loop lag (the same for both) does not count against the runner.
    t.ok(lateness(ran) <= 300 * 0.1, `within 10% of the timeout after the deadline really fired (${ms.toFixed(1)}ms vs ${sentinelMs?.toFixed(1)}ms)`)
  })
})

t.test('nothing is left open once the servers are closed', (t) => nothingLeftOpen(t, baseline, closeAll))
