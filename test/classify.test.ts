// Errors from client libraries onto the bounded reason set.
import t from 'tap'
import { classifyError, describeError } from '../src/classify.js'
import { ProbeError } from '../src/probe.js'
import { formatDuration, parseDuration } from '../src/duration.js'

const coded = (code: string, message = code) => Object.assign(new Error(message), { code })

t.test('reasons by code, name and cause', async (t) => {
  const cases: Array<[unknown, string]> = [
    [coded('ECONNREFUSED'), 'refused'],
    [coded('EHOSTUNREACH'), 'refused'],
    [coded('ENOTFOUND'), 'dns'],
    [coded('EAI_AGAIN'), 'dns'],
    [coded('ETIMEDOUT'), 'timeout'],
    [coded('DEPTH_ZERO_SELF_SIGNED_CERT'), 'tls'],
    [coded('CERT_HAS_EXPIRED'), 'tls'],
    [coded('ERR_TLS_CERT_ALTNAME_INVALID'), 'tls'],
    [coded('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), 'tls'],
    [Object.assign(new Error('aborted'), { name: 'AbortError' }), 'timeout'],
    [new ProbeError('auth', 'bad password'), 'auth'],
    [new AggregateError([coded('ECONNREFUSED')], ''), 'refused'],
    [Object.assign(new Error('wrapped'), { cause: coded('ENOTFOUND') }), 'dns'],
    [coded('ESOMETHINGELSE'), 'error'],
    [new Error('plain'), 'error'],
    ['a string', 'error'],
    [null, 'error'],
  ]
  for (const [err, reason] of cases) t.equal(classifyError(err), reason, String((err as Error)?.message ?? err))
})

t.test('descriptions carry the code once', async (t) => {
  t.equal(describeError(coded('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1')), 'connect ECONNREFUSED 127.0.0.1:1')
  t.equal(describeError(coded('CERT_HAS_EXPIRED', 'certificate has expired')), 'CERT_HAS_EXPIRED: certificate has expired')
  t.equal(describeError(new AggregateError([new Error('inner')], '')), 'inner')
  t.equal(describeError('text'), 'text')
})

t.test('durations', async (t) => {
  t.equal(parseDuration('500ms'), 500)
  t.equal(parseDuration('1m30s'), 90_000)
  t.equal(parseDuration('2h'), 7_200_000)
  t.equal(parseDuration('14d'), 14 * 86_400_000)
  t.equal(parseDuration('5 s'), undefined)
  t.equal(parseDuration('5'), undefined)
  t.equal(parseDuration(''), undefined)
  t.equal(formatDuration(12.4), '12ms')
  t.equal(formatDuration(1500), '1.5s')
  t.equal(formatDuration(120_000), '2m')
  t.equal(formatDuration(90_000), '90s')
  t.equal(formatDuration(14 * 86_400_000), '14d')
  t.equal(formatDuration(7_200_000), '2h')
})
