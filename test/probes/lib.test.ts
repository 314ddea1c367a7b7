// The plumbing the probe kinds share (probes/lib): targets, the one `tls:`
// setting, the abort helpers. Each kind's tests exercise them end to end;
// these pin the edges no real peer reaches.
import { writeFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { ProbeError } from '../../src/probe.js'
import { abortable, onAbort, settledOrAborted } from '../../probes/lib/abort.js'
import { configured } from '../../probes/lib/checks.js'
import { formatEndpoint, HTTP_PORTS, parseAddress, socketAddress, urlEndpoint, urlWith, userInfo } from '../../probes/lib/target.js'
import { loadCa, refusePlaintextWithTls, tlsOptions, tlsSettings } from '../../probes/lib/tls.js'

t.test('targets: settings, parsing and display', async (t) => {
  t.equal(socketAddress.safeParse('db.internal:5432').success, true)
  t.equal(socketAddress.safeParse('[::1]:6379').success, true)
  for (const bad of ['db.internal', 'db:0', 'db:65536', ':80', 'a b:80']) t.equal(socketAddress.safeParse(bad).success, false, bad)
  t.same(parseAddress('[::1]:6379'), { host: '::1', port: 6379 })
  t.same(parseAddress('cache:6380'), { host: 'cache', port: 6380 })

  t.same(urlEndpoint(new URL('https://es.example.com/prefix'), HTTP_PORTS), { host: 'es.example.com', port: 443 })
  t.same(urlEndpoint(new URL('http://[::1]:9200'), HTTP_PORTS), { host: '::1', port: 9200 })
  t.same(urlEndpoint(new URL('redis:///0'), { 'redis:': 6379 }), { host: 'localhost', port: 6379 }, 'no host is localhost')
  t.same(urlEndpoint(new URL('gopher://x'), HTTP_PORTS), { host: 'x', port: 0 }, 'a scheme without a known default port')
  t.equal(formatEndpoint({ host: '::1', port: 6379 }), '[::1]:6379')
  t.equal(formatEndpoint({ host: '10.0.0.5', port: 9000 }), '10.0.0.5:9000')

  t.same(userInfo(new URL('amqp://u%40x:p%2Fw@h/')), { username: 'u@x', password: 'p/w' })
  t.same(userInfo(new URL('amqp://:pw@h/')), { password: 'pw' })
  t.same(userInfo(new URL('amqp://h/')), {})

  const url = urlWith('redis', 'rediss')
  t.equal(url.safeParse('rediss://h:6380').success, true)
  t.equal(url.safeParse('http://h').success, false)
  t.equal(url.safeParse('not a url').success, false)
  t.match(url.safeParse(42).error?.issues[0]?.message, /expected a URL starting with redis:\/\/ or rediss:\/\//)
})

t.test('one tls: schema, narrowed by the kinds that cannot honour a key', async (t) => {
  t.same(tlsSettings.parse({}), { insecure: false })
  t.equal(tlsSettings.safeParse({ ca_file: '/nonexistent/ca.pem' }).success, false, 'ca_file must be readable at load')
  t.equal(tlsSettings.safeParse({ verify: false }).success, false, 'unknown keys are refused')
  const narrowed = tlsSettings.omit({ server_name: true })
  t.equal(narrowed.safeParse({ server_name: 'x' }).success, false)

  const dir = mkdtempSync(join(tmpdir(), 'gt-lib-'))
  const file = join(dir, 'ca.pem')
  writeFileSync(file, 'PEM')
  t.equal((await loadCa({ ca_file: file }))?.toString(), 'PEM')
  t.equal(await loadCa({}), undefined)
  t.equal(await loadCa(undefined), undefined)

  t.same(tlsOptions(undefined, undefined), { ca: undefined, rejectUnauthorized: true })
  t.same(tlsOptions({ insecure: true, server_name: 'db.example' }, Buffer.from('x')), { ca: Buffer.from('x'), rejectUnauthorized: false, servername: 'db.example' })

  t.doesNotThrow(() => refusePlaintextWithTls(undefined, new URL('redis://h'), 'rediss'))
  t.doesNotThrow(() => refusePlaintextWithTls({ insecure: true }, new URL('rediss://h'), 'rediss'))
  t.throws(() => refusePlaintextWithTls({ insecure: true }, new URL('amqp://h'), 'amqps'), new ProbeError('error', 'tls settings are given but the url is amqp://; use amqps:// for TLS'))
})

t.test('abort helpers', async (t) => {
  const done = new AbortController()
  done.abort(new Error('over'))
  let calls = 0
  onAbort(done.signal, () => calls++)()
  t.equal(calls, 1, 'an aborted signal calls at once')

  const live = new AbortController()
  const stop = onAbort(live.signal, () => calls++)
  stop()
  live.abort()
  t.equal(calls, 1, 'a removed listener is not called')

  t.equal(await abortable(Promise.resolve(7), new AbortController().signal), 7)
  await t.rejects(abortable(Promise.reject(new Error('no')), new AbortController().signal), /no/)
  await t.rejects(abortable(new Promise(() => {}), done.signal), /over/, 'an aborted signal rejects at once')
  const later = new AbortController()
  const pending = abortable(new Promise(() => {}), later.signal)
  later.abort(new Error('timeout'))
  await t.rejects(pending, /timeout/)

  await settledOrAborted(Promise.reject(new Error('ignored')), new AbortController().signal)
  await settledOrAborted(new Promise(() => {}), done.signal)
  t.pass('settledOrAborted returns on settling and on abort, never throws')
})

t.test('configured: the expectations set, in the order given', async (t) => {
  t.same(configured({ a: 1, b: undefined, c: 'x' } as { a?: number; b?: number; c?: string }, ['c', 'b', 'a']), ['c', 'a'])
})
