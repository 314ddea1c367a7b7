// The tcp probe against real local peers, through parseConfig and runProbe.
import { createServer, type AddressInfo, type Socket } from 'node:net'
import t from 'tap'
import { checkPairs, clientSockets, detailOf, runService, settle, socketHandles } from './helpers/probe-run.js'
import { bannerServer, closedPort, tarpit, type Running } from './helpers/servers.js'

// Taken before any server or probe exists: what the test process holds on its own.
const baseline = socketHandles()

const servers: Running[] = []
async function keep(server: Promise<Running>): Promise<Running> {
  const s = await server
  servers.push(s)
  return s
}
async function closeAll(): Promise<void> {
  await Promise.all(servers.splice(0).map((s) => s.close()))
}
t.teardown(closeAll)

/** Accepts, then closes without a byte: a crashed worker behind a live listener. */
function hangUpServer(): Promise<Running> {
  const sockets = new Set<Socket>()
  const server = createServer((s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    s.on('error', () => {})
    s.end()
  })
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port
      resolve({
        port,
        url: `tcp://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy()
            server.close(() => done())
          }),
      })
    })
  })
}

const tcp = (port: number, extra: Record<string, unknown> = {}) => runService({ probe: 'tcp', address: `127.0.0.1:${port}`, timeout: '3s', ...extra })

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
  const { result, ms } = await tcp(port, { expect: { banner_contains: 'SSH' } })
  t.equal(result.ok, false)
  t.equal(result.reason, 'refused')
  t.match(result.error, /ECONNREFUSED/)
  t.same(checkPairs(result), [['banner_contains', false]])
  t.equal(detailOf(result, 'banner_contains'), 'not evaluated: refused')
  t.ok(ms < 1000, `refused at once (${ms.toFixed(1)}ms)`)
})

t.test('banner expectations', async (t) => {
  const ssh = await keep(bannerServer('SSH-2.0-OpenSSH_9.6 Ubuntu\r\n'))

  t.test('banner_contains matches', async (t) => {
    const { result } = await tcp(ssh.port, { expect: { banner_contains: 'SSH-2.0-OpenSSH' } })
    t.equal(result.ok, true)
    t.same(checkPairs(result), [['banner_contains', true]])
  })

  t.test('banner_contains mismatch fails as soon as the line is complete', async (t) => {
    const { result, ms } = await tcp(ssh.port, { expect: { banner_contains: '220 ' } })
    t.equal(result.ok, false)
    t.equal(result.reason, 'expectation')
    t.same(checkPairs(result), [['banner_contains', false]])
    t.equal(detailOf(result, 'banner_contains'), 'banner "SSH-2.0-OpenSSH_9.6 Ubuntu\\r\\n"')
    t.ok(ms < 1000, `did not wait for the 3s timeout (${ms.toFixed(1)}ms)`)
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
  const { result, ms, sentinelMs } = await runService({ probe: 'tcp', address: `127.0.0.1:${pit.port}`, timeout: '300ms', expect: { banner_contains: 'SSH' } }, { sentinel: 300 })
  const lag = `a plain 300ms timer fired at ${sentinelMs?.toFixed(1)}ms`
  t.comment(`tcp tarpit, timeout 300ms: runProbe returned after ${ms.toFixed(1)}ms (durationSeconds ${result.durationSeconds.toFixed(4)}; ${lag})`)
  t.equal(result.ok, false)
  t.equal(result.reason, 'timeout')
  t.equal(result.error, 'no answer within the 300ms timeout')
  t.same(checkPairs(result), [['banner_contains', false]])
  t.equal(detailOf(result, 'banner_contains'), 'not evaluated: timeout')
  t.ok(ms >= 300, `not before the timeout (${ms.toFixed(1)}ms)`)
  t.ok(ms <= 330, `within timeout + 10% (${ms.toFixed(1)}ms; ${lag})`)
})

t.test('a connection closed before any banner is not ok', async (t) => {
  const hangUp = await keep(hangUpServer())
  const { result, ms } = await tcp(hangUp.port, { expect: { banner_contains: 'SSH' } })
  t.equal(result.ok, false)
  t.equal(result.reason, 'expectation')
  t.equal(result.error, 'connection closed before any banner arrived')
  t.same(checkPairs(result), [['banner_contains', false]])
  t.ok(ms < 1000, `did not wait for the timeout (${ms.toFixed(1)}ms)`)

  // With nothing expected, a peer that accepts and hangs up still counts as an open port.
  const bare = await tcp(hangUp.port)
  t.equal(bare.result.ok, true)
})

t.test('nothing is left open once the servers are closed', async (t) => {
  // Every probe connection is gone while the servers still listen: no probe
  // relied on the peer hanging up (a tarpit never would). The tarpit helper
  // never reads, so its end of a connection lingers until closeAll; hence
  // client-side sockets are counted here, and all kinds after the close.
  await settle()
  t.same(clientSockets(), [], 'no probe socket outlives its probe')
  await closeAll()
  await settle()
  const now = socketHandles()
  for (const kind of ['TCPSocketWrap', 'TLSWrap', 'TCPServerWrap']) {
    t.ok((now[kind] ?? 0) <= (baseline[kind] ?? 0), `${kind}: ${now[kind] ?? 0} now, ${baseline[kind] ?? 0} at the start`)
  }
})
