// The HTTP face behind --web.config.file (SPEC §4b), against real TLS clients:
// client certificate policies, basic auth with bcrypt hashes, the configured
// headers on every response, the lifecycle flag and cross-origin refusal.
import bcrypt from 'bcryptjs'
import { writeFileSync } from 'node:fs'
import { request as httpsRequest, type RequestOptions } from 'node:https'
import { request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { PROBE_KINDS } from '../../probes/index.js'
import { loadConfig } from '../../src/config/load.js'
import { Daemon, type ListenOptions } from '../../src/daemon.js'
import { basicAuth } from '../../src/http/auth.js'
import { loadWebConfig } from '../../src/http/web-config.js'
import { createLogger } from '../../src/log.js'
import { writeConfig } from '../helpers/config.js'
import { makePki } from './pki.js'

const PASSWORD = 'pl4nted-scrape-Pa55-4471'
const HASH = bcrypt.hashSync(PASSWORD, 6)
const pki = makePki()

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
}

type Client = Omit<RequestOptions, 'host' | 'port'> & { body?: string }

function call(base: string, path: string, options: Client = {}): Promise<Answer> {
  const url = new URL(path, base)
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, ...options }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (d) => (text += d))
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(options.body)
  })
}

async function start(t: Test, webYaml: string | undefined, listen: ListenOptions = {}) {
  const { file } = writeConfig('defaults: { interval: 1h, timeout: 300ms }\nservices:\n  - { name: self, probe: tcp, address: "127.0.0.1:1" }\n')
  const logs: string[] = []
  const log = createLogger({ level: 'debug', write: (l) => logs.push(l) })
  let web
  if (webYaml !== undefined) {
    const webFile = join(pki.dir, `web-${Math.random().toString(36).slice(2)}.yml`)
    writeFileSync(webFile, webYaml)
    web = await loadWebConfig(webFile)
  }
  const daemon = await Daemon.create({ load: () => loadConfig(file, PROBE_KINDS, {}), log })
  const server = await daemon.listen(0, '127.0.0.1', { ...listen, web })
  t.teardown(() => daemon.stop())
  const scheme = web?.tls ? 'https' : 'http'
  return { daemon, base: `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`, logs }
}

const tlsYaml = (clientAuth: string, extra = '') => `
tls_server_config:
  cert_file: ${pki.files.serverCert}
  key_file: ${pki.files.serverKey}
  client_auth_type: ${clientAuth}
${clientAuth === 'NoClientCert' ? '' : `  client_ca_file: ${pki.files.ca}\n`}${extra}`

const basic = (user: string, password: string) => 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64')

t.test('TLS: RequireAndVerifyClientCert takes only certificates the client CA signed', async (t) => {
  const { base } = await start(t, tlsYaml('RequireAndVerifyClientCert'))
  t.match(base, /^https:/)
  const ok = await call(base, '/-/healthy', { ca: pki.ca, ...pki.client })
  t.equal(ok.status, 200, 'a client certificate from the CA')
  await t.rejects(call(base, '/-/healthy', { ca: pki.ca }), 'no client certificate: the handshake fails')
  await t.rejects(call(base, '/-/healthy', { ca: pki.ca, ...pki.stranger }), 'a certificate of another CA fails')
  await t.rejects(call(base, '/-/healthy', {}), 'the client does not trust an unknown server either')
  await t.rejects(call(base.replace('https:', 'http:'), '/-/healthy'), 'plain HTTP is not served')
})

t.test('TLS: NoClientCert, RequireAnyClientCert, VerifyClientCertIfGiven, client_allowed_sans, min_version', async (t) => {
  t.test('NoClientCert serves any TLS client', async (t) => {
    const { base } = await start(t, tlsYaml('NoClientCert'))
    t.equal((await call(base, '/-/healthy', { ca: pki.ca })).status, 200)
  })
  t.test('RequireAnyClientCert wants a certificate, any', async (t) => {
    const { base } = await start(t, tlsYaml('RequireAnyClientCert'))
    t.equal((await call(base, '/-/healthy', { ca: pki.ca, ...pki.stranger })).status, 200)
    await t.rejects(call(base, '/-/healthy', { ca: pki.ca }))
  })
  t.test('VerifyClientCertIfGiven: none is fine, a bad one is not', async (t) => {
    const { base } = await start(t, tlsYaml('VerifyClientCertIfGiven'))
    t.equal((await call(base, '/-/healthy', { ca: pki.ca })).status, 200)
    t.equal((await call(base, '/-/healthy', { ca: pki.ca, ...pki.client })).status, 200)
    await t.rejects(call(base, '/-/healthy', { ca: pki.ca, ...pki.stranger }))
  })
  t.test('client_allowed_sans', async (t) => {
    const allowed = await start(t, tlsYaml('RequireAndVerifyClientCert', '  client_allowed_sans: [prometheus.example]\n'))
    t.equal((await call(allowed.base, '/-/healthy', { ca: pki.ca, ...pki.client })).status, 200)
    const other = await start(t, tlsYaml('RequireAndVerifyClientCert', '  client_allowed_sans: [grafana.example]\n'))
    await t.rejects(call(other.base, '/-/healthy', { ca: pki.ca, ...pki.client }))
  })
  t.test('min_version TLS13 refuses a TLS 1.2 client', async (t) => {
    const { base } = await start(t, tlsYaml('NoClientCert', '  min_version: TLS13\n'))
    await t.rejects(call(base, '/-/healthy', { ca: pki.ca, maxVersion: 'TLSv1.2' }))
    t.equal((await call(base, '/-/healthy', { ca: pki.ca })).status, 200)
  })
})

t.test('basic auth on every path, over TLS, with the configured headers on every answer', async (t) => {
  const yaml = `${tlsYaml('NoClientCert')}
basic_auth_users:
  prometheus: ${HASH}
  other: ${bcrypt.hashSync('another-password', 6)}
http_server_config:
  headers:
    X-Frame-Options: deny
    X-Content-Type-Options: nosniff
    Content-Security-Policy: "default-src 'self'"
    Strict-Transport-Security: max-age=31536000
`
  const { base, logs } = await start(t, yaml, { enableLifecycle: true })
  const tls = { ca: pki.ca }
  const good = { ...tls, headers: { authorization: basic('prometheus', PASSWORD) } }
  const answers: Answer[] = []
  // /metrics and /probe are answered past Express (src/http/server.ts); /metrics/ and /probe/ go through it: both behind the same gate.
  for (const path of ['/metrics', '/metrics/', '/status', '/', '/-/healthy', '/-/ready', '/probe?service=self', '/probe/?service=self', '/sd', '/nope']) {
    const missing = await call(base, path, tls)
    t.equal(missing.status, 401, `${path} without credentials`)
    t.match(missing.headers['www-authenticate'], /^Basic realm="groundtruth"/)
    const ok = await call(base, path, good)
    t.not(ok.status, 401, `${path} with credentials`)
    answers.push(missing, ok)
  }
  const reload = await call(base, '/-/reload', { ...tls, method: 'POST' })
  t.equal(reload.status, 401, 'reload is behind the lock too')
  answers.push(reload)
  for (const a of answers) {
    t.equal(a.headers['x-frame-options'], 'deny')
    t.equal(a.headers['x-content-type-options'], 'nosniff')
    t.equal(a.headers['content-security-policy'], "default-src 'self'")
    t.equal(a.headers['strict-transport-security'], 'max-age=31536000')
  }
  t.equal((await call(base, '/metrics', { ...tls, headers: { authorization: basic('prometheus', 'wrong') } })).status, 401, 'wrong password')
  t.equal((await call(base, '/metrics', { ...tls, headers: { authorization: basic('nobody', PASSWORD) } })).status, 401, 'unknown user')
  t.equal((await call(base, '/metrics', { ...tls, headers: { authorization: basic('other', PASSWORD) } })).status, 401, "another user's password")
  t.equal((await call(base, '/metrics', { ...tls, headers: { authorization: 'Bearer x' } })).status, 401, 'another scheme')
  t.equal((await call(base, '/metrics', { ...tls, headers: { authorization: basic('other', 'another-password') } })).status, 200, 'the other user')
  t.match((await call(base, '/metrics', good)).text, /groundtruth_build_info/)
  const everything = [logs.join('\n'), ...answers.map((a) => a.text + JSON.stringify(a.headers))].join('\n')
  t.notOk(everything.includes(PASSWORD), 'the password is in no answer and no log line')
  t.notOk(everything.includes(HASH), 'nor the hash')
})

t.test('basic auth remembers successes briefly and failures never; unknown users cost a comparison', async (t) => {
  let calls = 0
  let clock = 0
  const auth = basicAuth(new Map([['prometheus', HASH]]), {
    cacheMs: 1000,
    now: () => clock,
    compare: async (password, hash) => {
      calls++
      return bcrypt.compare(password, hash)
    },
  })
  t.equal(await auth.verify(basic('prometheus', PASSWORD)), true)
  t.equal(await auth.verify(basic('prometheus', PASSWORD)), true)
  t.equal(calls, 1, 'the second verification came from the cache')
  clock = 1001
  t.equal(await auth.verify(basic('prometheus', PASSWORD)), true)
  t.equal(calls, 2, 'expired: verified again')
  t.equal(await auth.verify(basic('prometheus', 'wrong')), false)
  t.equal(await auth.verify(basic('prometheus', 'wrong')), false)
  t.equal(calls, 4, 'failures are verified every time')
  t.equal(await auth.verify(basic('nobody', PASSWORD)), false)
  t.equal(calls, 5, 'an unknown user still costs one bcrypt comparison')
  t.equal(await auth.verify(undefined), false)
  t.equal(await auth.verify('Basic !!!'), false)
  t.equal(await auth.verify('Basic ' + Buffer.from('no-colon').toString('base64')), false)
})

t.test('POST /-/reload: 403 without --web.enable-lifecycle; cross-origin browser requests refused', async (t) => {
  const off = await start(t, undefined)
  const refused = await call(off.base, '/-/reload', { method: 'POST' })
  t.equal(refused.status, 403)
  t.match(refused.text, /Lifecycle API is not enabled/)

  const on = await start(t, undefined, { enableLifecycle: true })
  const host = new URL(on.base).host
  t.equal((await call(on.base, '/-/reload', { method: 'POST' })).status, 200, 'curl -X POST: no Origin')
  t.equal((await call(on.base, '/-/reload', { method: 'POST', headers: { origin: `http://${host}`, 'sec-fetch-site': 'same-origin' } })).status, 200, 'the page itself')
  const evil = await call(on.base, '/-/reload', { method: 'POST', headers: { origin: 'http://evil.example' } })
  t.equal(evil.status, 403)
  t.match(evil.text, /cross-origin/)
  t.equal((await call(on.base, '/-/reload', { method: 'POST', headers: { origin: 'null' } })).status, 403, 'an opaque origin')
  t.equal((await call(on.base, '/-/reload', { method: 'POST', headers: { origin: `https://${host}` } })).status, 403, 'another scheme is another origin')
  t.equal((await call(on.base, '/-/reload', { method: 'POST', headers: { 'sec-fetch-site': 'cross-site' } })).status, 403, 'Sec-Fetch-Site: cross-site')
})

t.test('rate_limit: a token bucket answers 429 when empty', async (t) => {
  const { base } = await start(t, 'rate_limit: { interval: 1h, burst: 2 }\n')
  const statuses = []
  for (let i = 0; i < 3; i++) statuses.push((await call(base, '/-/healthy')).status)
  t.same(statuses, [200, 200, 429])
})

t.test('rate_limit: one bucket for the scrape paths answered past Express and for the others', async (t) => {
  const { base } = await start(t, 'rate_limit: { interval: 1h, burst: 3 }\n')
  const statuses = []
  for (const path of ['/metrics', '/-/healthy', '/probe?service=self', '/metrics', '/probe?service=self', '/status']) statuses.push((await call(base, path)).status)
  t.same(statuses, [200, 200, 200, 429, 429, 429])
})
