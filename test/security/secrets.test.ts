// Issue 13 item 8: secrets are masked before any text is cut, in their
// JSON-escaped, percent-encoded and base64 forms too; `send` is a secret; a
// password with an unencoded "/" is refused by key path; and a target that
// echoes a planted secret gets it into no output.
import t, { type Test } from 'tap'
import { ConfigError } from '../../src/config/errors.js'
import { parseConfig } from '../../src/config/load.js'
import { runProbe, type RunResult } from '../../src/runner.js'
import { displayTarget, SecretSet } from '../../src/redact.js'
import { loadFailure } from '../helpers/config-problems.js'
import { configOf, detailOf } from '../helpers/probe-run.js'
import { bannerServer, httpServer, serverPool } from '../helpers/servers.js'
import { PROBE_KINDS } from '../../probes/index.js'

const { keep, closeAll } = serverPool()
t.teardown(closeAll)

const b64 = (s: string) => Buffer.from(s).toString('base64')

/** Neither the secret nor its first four characters anywhere in the text. */
function clean(t: Test, text: string, secrets: string[], what: string): void {
  for (const s of secrets) {
    t.notOk(text.includes(s), `${what}: free of "${s}"`)
    t.notOk(text.includes(s.slice(0, 4)), `${what}: free of the start of "${s}" (${s.slice(0, 4)})`)
  }
}

t.test('a text cut short before masking does not leak the start of a secret', async (t) => {
  const secret = 'Kv7-truncated-s3cret-Q'
  const set = new SecretSet()
  set.add(secret)
  for (let keep = 3; keep < secret.length; keep++) {
    const cut = `banner "${'x'.repeat(20)}${secret.slice(0, keep)}..."`
    t.equal(set.redact(cut), `banner "${'x'.repeat(20)}***..."`, `cut after ${keep} characters`)
  }
  t.equal(set.redact('connecting…'), 'connecting…', 'an ellipsis after ordinary text is left alone')
  t.equal(set.redact(`${secret.slice(0, 2)}...`), `${secret.slice(0, 2)}...`, 'two characters are not worth a mask')
})

t.test('JSON-escaped, percent-encoded and base64 forms of a secret are masked', async (t) => {
  const secret = 'p@ss "quoted" \\ w/ spaces+plus'
  const set = new SecretSet()
  set.add(secret)
  const texts = [
    JSON.stringify({ password: secret }),
    `https://h/cb?pw=${encodeURIComponent(secret)}`,
    `pw=${encodeURIComponent(secret).replace(/%20/g, '+')}`,
    `Authorization: Basic ${b64(`reader:${secret}`)}`,
    `token ${b64(secret)} and ${b64(`x${secret}`)} and ${b64(`xy${secret}`)}`,
    `url-safe ${b64(`xy${secret}`).replace(/\+/g, '-').replace(/\//g, '_')}`,
  ]
  for (const text of texts) {
    const out = set.redact(text)
    t.notOk(out.includes(secret), out)
    t.notOk(out.includes(JSON.stringify(secret).slice(1, -1)), `JSON form: ${out}`)
    t.notOk(out.includes(encodeURIComponent(secret)), `percent form: ${out}`)
    t.match(out, /\*\*\*/, out)
  }
})

t.test('an Authorization: Basic header masks the token, user:password and the password', async (t) => {
  const password = 'Bas1c-pw-77aa31'
  const config = parseConfig(
    `services:\n  - name: api\n    probe: http\n    url: http://api.internal/\n    headers:\n      Authorization: "Basic ${b64(`reader:${password}`)}"\n`,
    'f.yml',
    PROBE_KINDS,
    {},
  )
  t.equal(config.secrets.redact(`password ${password} rejected`), 'password *** rejected')
  t.equal(config.secrets.redact(`reader:${password}`), '***')
  t.equal(config.secrets.redact(`Basic ${b64(`reader:${password}`)}`), 'Basic ***')
})

t.test('tcp send is a secret: an echoing peer gets it into no output, cut or not', async (t) => {
  const secret = 'AUTH s3nd-t0ken-91bd'
  // The echo puts the secret across the 77-character cut of the shown banner.
  const peer = await keep(bannerServer('', (data) => `+ERR ${'x'.repeat(70)}${data}`))
  const { config, service } = configOf({ probe: 'tcp', address: `127.0.0.1:${peer.port}`, timeout: '3s', send: `${secret}\r\n`, expect: { banner_contains: '+OK' } })
  const result = await runProbe(service, config.secrets)
  t.equal(result.ok, false)
  // Masked first: what is left is short enough to show whole.
  t.equal(detailOf(result, 'banner_contains'), `banner "+ERR ${'x'.repeat(70)}***"`)
  clean(t, JSON.stringify(result), [secret, 's3nd-t0ken-91bd'], 'run result')
})

t.test('an http target echoing planted secrets in its body, JSON and redirect gets them into no output', async (t) => {
  const password = 'Htt9-pw-planted-55'
  const token = 'Tok3n-planted-8c1f'
  const api = await keep(
    httpServer((req, res) => {
      if (req.url?.startsWith('/first')) {
        res.statusCode = 302
        res.setHeader('location', `/echo/${token}?again=${token}`)
        res.end()
        return
      }
      res.setHeader('content-type', 'application/json')
      // The echoed values sit across the 57-character cut of the shown mismatch.
      res.end(JSON.stringify({ status: `${'y'.repeat(50)}${token}`, list: [`${'z'.repeat(45)}${password}`], auth: req.headers.authorization }))
    }),
  )
  const { config, service } = configOf({
    probe: 'http',
    url: `http://reader:${password}@127.0.0.1:${api.port}/first`,
    timeout: '3s',
    follow_redirects: true,
    headers: { Authorization: `Bearer ${token}` },
    expect: { json: { status: 'ok' } },
  })
  const first = await runProbe(service, config.secrets)
  t.equal(first.ok, false)
  t.equal(detailOf(first, 'json'), `$.status: expected "ok", got "${'y'.repeat(50)}***"`)
  const { config: c2, service: s2 } = configOf({
    probe: 'http',
    url: `http://reader:${password}@127.0.0.1:${api.port}/plain`,
    timeout: '3s',
    headers: { Authorization: `Bearer ${token}` },
    expect: { json: { list: ['missing'] } },
  })
  const second = await runProbe(s2, c2.secrets)
  t.equal(second.ok, false)
  const results: RunResult[] = [first, second]
  clean(t, JSON.stringify(results), [password, token], 'run results')
})

t.test('a password with an unencoded "/" is refused by key path, its parts never shown', async (t) => {
  const cases: [string, string, string[]][] = [
    ['redis', 'redis://:pa/ssTail9@cache.internal:6379/0', ['pa/ssTail9', 'ssTail9']],
    ['postgres', 'postgres://app:Pg/Tail42@db.internal:5432/core', ['Pg/Tail42', 'Tail42']],
    ['http', 'http://reader:12/HttpTail@api.internal/health', ['HttpTail']],
    ['rabbitmq', 'amqp://app:Mq/Tail77@mq.internal:5672/', ['Mq/Tail77', 'Tail77']],
  ]
  for (const [probe, url, parts] of cases) {
    const { error } = await loadFailure(`services:\n  - name: a\n    probe: ${probe}\n    url: "${url}"\n`)
    t.ok(error instanceof ConfigError)
    t.same(error.problems.map((p) => p.path), ['services[0].url'], url)
    t.match(error.problems[0]?.message, /percent-encoded/, url)
    for (const part of parts) t.notOk(error.message.includes(part), `${url}: "${part}" not shown`)
  }
  // Percent-encoded, the same password is fine.
  const ok = parseConfig(`services:\n  - name: a\n    probe: redis\n    url: "redis://:pa%2FssTail9@cache.internal:6379/0"\n`, 'f.yml', PROBE_KINDS, {})
  t.equal(ok.services[0]!.bound.target.includes('ssTail9'), false)
  t.equal(ok.secrets.redact('pa/ssTail9'), '***')
  // Shown anyway (a URL that never passed validation), the tail is not taken for the host.
  t.equal(displayTarget('postgres://app:Pg/Tail42@db.internal:5432/core'), 'postgres://db.internal:5432/core')
})
