// The tcp probe against real local peers, through parseConfig and runProbe.
import t from 'tap'
import { beatSentinel, checkPairs, detailOf, lateness, notBeforeTimeout, runService } from '../helpers/probe-run.js'
import { bannerServer, closedPort, hangUpServer, serverPool, tarpit } from '../helpers/servers.js'
import { nothingLeftOpen, socketHandles } from '../helpers/sockets.js'

// Taken before any server or probe exists: what the test process holds on its own.
const baseline = socketHandles()

const { keep, closeAll } = serverPool()
t.teardown(closeAll)

// "At once" means before a plain timer of a third of the 3s timeout, armed with the probe, fired.
const tcp = (port: number, extra: Record<string, unknown> = {}) => runService({ probe: 'tcp', address: `127.0.0.1:${port}`, timeout: '3s', ...extra }, { sentinel: 1000 })

t.test('an open port is up', async (t) => {
  const open = await keep(bannerServer(''))
  const { result } = await tcp(open.port)
  t.equal(result.ok, true)
  t.equal(result.reason, undefined)
  t.equal(result.error, undefined)
  t.same(checkPairs(result), [])
  t.type(result.info.latency_ms, 'number')
})

t.test('a closed port is refused', async (t) => {
  const port = await closedPort()
  const ran = await tcp(port, { expect: { banner_contains: 'SSH' } })
  const { result, ms } = ran
  t.equal(result.ok, false)
  t.equal(result.reason, 'refused')
  t.match(result.error, /ECONNREFUSED/)
  t.same(checkPairs(result), [['banner_contains', false]])
  t.equal(detailOf(result, 'banner_contains'), 'not evaluated: refused')
  t.ok(beatSentinel(ran), `refused at once (${ms.toFixed(1)}ms, before a 1s timer)`)
})

t.test('banner expectations', async (t) => {
  const ssh = await keep(bannerServer('SSH-2.0-OpenSSH_9.6 Ubuntu\r\n'))

  t.test('banner_contains matches', async (t) => {
    const { result } = await tcp(ssh.port, { expect: { banner_contains: 'SSH-2.0-OpenSSH' } })
    t.equal(result.ok, true)
    t.same(checkPairs(result), [['banner_contains', true]])
  })

  t.test('banner_contains mismatch fails as soon as the line is complete', async (t) => {
    const ran = await tcp(ssh.port, { expect: { banner_contains: '220 ' } })
    const { result, ms } = ran
    t.equal(result.ok, false)
    t.equal(result.reason, 'expectation')
    t.same(checkPairs(result), [['banner_contains', false]])
    t.equal(detailOf(result, 'banner_contains'), 'banner "SSH-2.0-OpenSSH_9.6 Ubuntu\\r\\n"')
    t.ok(beatSentinel(ran), `did not wait for the 3s timeout (${ms.toFixed(1)}ms, before a 1s timer)`)
  })

  t.test('banner_matches, together with banner_contains', async (t) => {
    const pass = await tcp(ssh.port, { expect: { banner_contains: 'OpenSSH', banner_matches: '^SSH-2\\.0-OpenSSH_\\d+\\.\\d+' } })
    t.equal(pass.result.ok, true)
    t.same(checkPairs(pass.result), [
      ['banner_contains', true],
      ['banner_matches', true],
    ])
    const fail = await tcp(ssh.port, { expect: { banner_contains: 'OpenSSH', banner_matches: '^SSH-1\\.' } })
    t.equal(fail.result.ok, false)
    t.equal(fail.result.reason, 'expectation')
    t.same(checkPairs(fail.result), [
      ['banner_contains', true],
      ['banner_matches', false],
    ])
  })
})

t.test('send, then the expected reply', async (t) => {
  const echo = await keep(bannerServer('', (data) => data))
  const pass = await tcp(echo.port, { send: 'hello groundtruth\n', expect: { banner_contains: 'hello groundtruth' } })
  t.equal(pass.result.ok, true)
  t.same(checkPairs(pass.result), [['banner_contains', true]])

  // Redis' inline PING, with the CRLF escapes a YAML double-quoted string carries.
  const redis = await keep(bannerServer('', (data) => (data === 'PING\r\n' ? '+PONG\r\n' : '-ERR unknown command\r\n')))
  const pong = await tcp(redis.port, { send: 'PING\r\n', expect: { banner_contains: '+PONG' } })
  t.match(pong.yaml, /send: "PING\\r\\n"/)
  t.equal(pong.result.ok, true)
  const wrong = await tcp(redis.port, { send: 'PONG\r\n', expect: { banner_contains: '+PONG' } })
  t.equal(wrong.result.ok, false)
  t.equal(wrong.result.reason, 'expectation')
  t.equal(detailOf(wrong.result, 'banner_contains'), 'banner "-ERR unknown command\\r\\n"')
})

t.test('a tarpit with a banner expected times out at the deadline, not later', async (t) => {
  const pit = await keep(tarpit())
  const ran = await runService({ probe: 'tcp', address: `127.0.0.1:${pit.port}`, timeout: '300ms', expect: { banner_contains: 'SSH' } }, { sentinel: 300 })
  const { result, ms, sentinelMs } = ran
  const lag = `a plain 300ms timer fired at ${sentinelMs?.toFixed(1)}ms`
  t.comment(`tcp tarpit, timeout 300ms: runProbe returned after ${ms.toFixed(1)}ms (durationSeconds ${result.durationSeconds.toFixed(4)}; ${lag})`)
  t.equal(result.ok, false)
  t.equal(result.reason, 'timeout')
  t.equal(result.error, 'no answer within the 300ms timeout')
  t.same(checkPairs(result), [['banner_contains', false]])
  t.equal(detailOf(result, 'banner_contains'), 'not evaluated: timeout')
  t.ok(notBeforeTimeout(ms, 300), `not before the timeout (${ms.toFixed(1)}ms)`)
  t.ok(lateness(ran) <= 300 * 0.1, `within 10% of the timeout after a plain timer of the same length fired (${ms.toFixed(1)}ms; ${lag})`)
})

t.test('a connection closed before any banner is not ok', async (t) => {
  const hangUp = await keep(hangUpServer())
  const ran = await tcp(hangUp.port, { expect: { banner_contains: 'SSH' } })
  const { result, ms } = ran
  t.equal(result.ok, false)
  t.equal(result.reason, 'expectation')
  t.equal(result.error, 'connection closed before any banner arrived')
  t.same(checkPairs(result), [['banner_contains', false]])
  t.ok(beatSentinel(ran), `did not wait for the timeout (${ms.toFixed(1)}ms, before a 1s timer)`)

  // With nothing expected, a peer that accepts and hangs up still counts as an open port.
  const bare = await tcp(hangUp.port)
  t.equal(bare.result.ok, true)
})

t.test('nothing is left open once the servers are closed', (t) => nothingLeftOpen(t, baseline, closeAll))
