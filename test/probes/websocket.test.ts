// The websocket probe against real `ws` servers started here (an echo, a
// greeter, a server that checks a bearer token, one that closes at once, one
// that sends a message bigger than the bound, the same over TLS), a plain
// HTTP server that answers the upgrade with 404 or 200, a closed port, a
// tarpit and a peer that answers garbage.
import { randomBytes } from 'node:crypto'
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import t from 'tap'
import { WebSocketServer, type WebSocket } from 'ws'
import websocketKind from '../../probes/websocket.js'
import { ConfigError } from '../../src/config/errors.js'
import type { RunResult } from '../../src/runner.js'
import { capturePrinted } from '../helpers/console.js'
import { checkPairs, configOf, detailOf, lateness, runService, type Ran } from '../helpers/probe-run.js'
import { bannerServer, closedPort, httpServer, listen, serverPool, tarpit } from '../helpers/servers.js'
import { nothingLeftOpen, socketHandles } from '../helpers/sockets.js'
import { makeCert } from '../helpers/tls.js'

const baseline = socketHandles()
const printed = capturePrinted(t)

const suffix = randomBytes(6).toString('hex')
const TOKEN = `gt-ws-token-${suffix}`
const PASSWORD = `gt-ws-pw-${suffix}`
const SENT_SECRET = `gt-ws-sent-${suffix}`
const results: RunResult[] = []

async function probe(url: string, extra: Record<string, unknown> = {}, sentinel?: number): Promise<Ran> {
  const ran = await runService({ probe: 'websocket', url, timeout: '3s', ...extra }, { sentinel })
  results.push(ran.result)
  return ran
}

const { keep, closeAll } = serverPool()
const wsServers: WebSocketServer[] = []
async function closeServers(): Promise<void> {
  for (const wss of wsServers.splice(0)) {
    for (const client of wss.clients) client.terminate()
    wss.close()
  }
  await closeAll()
}
t.teardown(closeServers)

/** What the servers saw: the close codes the probe sent, the headers of each upgrade. */
const closeCodes: number[] = []
const upgrades: IncomingMessage[] = []

/** One behaviour per path, on a server that speaks WebSocket on every path but /nope. */
function behave(ws: WebSocket, req: IncomingMessage): void {
  upgrades.push(req)
  ws.on('close', (code) => closeCodes.push(code))
  ws.on('error', () => {})
  switch (req.url) {
    case '/echo':
      ws.on('message', (data, binary) => ws.send(data, { binary }))
      break
    case '/greet':
      ws.send('hello from the greeter')
      break
    case '/binary':
      ws.send(Buffer.from([0xde, 0xad, 0xbe, 0xef]))
      break
    case '/bye':
      ws.close(1001, 'going away')
      break
    case '/vanish':
      ws.terminate()
      break
    case '/done':
      ws.close(1000)
      break
    case '/huge':
      ws.send('x'.repeat(1024 * 1024))
      break
    default: // silent
  }
}

/** A WebSocket endpoint on every path; /private wants the bearer token; /nope is plain HTTP (404). */
function wsServer(server: Server): WebSocketServer {
  // Picks graphql-transport-ws when offered; offers nothing else.
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (offered) => (offered.has('graphql-transport-ws') ? 'graphql-transport-ws' : false) })
  wsServers.push(wss)
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {})
    if (req.url === '/nope') return void socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n')
    if (req.url === '/private' && req.headers.authorization !== `Bearer ${TOKEN}`) {
      return void socket.end('HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n')
    }
    // A connection reset (RST) right after the upgrade.
    if (req.url === '/reset') return void wss.handleUpgrade(req, socket, head, () => (socket as Socket).resetAndDestroy())
    wss.handleUpgrade(req, socket, head, (ws) => behave(ws, req))
  })
  return wss
}

const cert = makeCert(30)
const otherCa = makeCert(30).caFile
let plain: string
let secure: string
let securePort: number
let httpOnly: string
let closed: number

t.before(async () => {
  const server = createHttpServer((_req, res) => res.writeHead(200).end('plain HTTP'))
  wsServer(server)
  plain = (await keep(listen(server, 'ws'))).url
  const tlsServer = createHttpsServer({ key: cert.key, cert: cert.cert }, (_req, res) => res.writeHead(200).end())
  wsServer(tlsServer)
  const tls = await keep(listen(tlsServer, 'wss'))
  secure = tls.url
  securePort = tls.port
  // No upgrade listener: Node answers the upgrade as an ordinary request.
  httpOnly = (await keep(httpServer((req, res) => res.writeHead(req.url === '/ok' ? 200 : 404).end('no websocket here')))).url.replace('http:', 'ws:')
  closed = await closedPort()
})

t.test('the handshake alone: 101, and the connection closed with a close frame', async (t) => {
  closeCodes.length = 0
  const { result } = await probe(`${plain}/silent`, { expect: { max_latency: '2s' } })
  t.equal(result.ok, true, result.error ?? '')
  t.same(checkPairs(result), [
    ['handshake', true],
    ['max_latency', true],
  ])
  t.equal(detailOf(result, 'handshake'), '101 Switching Protocols')
  t.match(detailOf(result, 'max_latency'), /to connect and upgrade \(limit 2s\)$/)
  t.equal(result.info.status_code, 101)
  t.type(result.info.handshake_ms, 'number')
  await waitFor(() => closeCodes.length > 0)
  t.same(closeCodes, [1000], 'the server saw a normal closure (1000)')
})

t.test('a message: echoed, matched or not; the first message judged', async (t) => {
  const echo = await probe(`${plain}/echo`, { send: '{"op":"ping"}', expect: { message_contains: '"op"', message_matches: '^\\{"op":"p' } })
  t.equal(echo.result.ok, true, echo.result.error ?? '')
  t.same(checkPairs(echo.result), [
    ['handshake', true],
    ['message', true],
  ])
  t.equal(detailOf(echo.result, 'message'), 'first message "***"', 'what was sent is masked where it is echoed')
  t.equal(echo.result.info.message_bytes, 13)

  const greet = await probe(`${plain}/greet`, { expect: { message_contains: 'hello' } })
  t.equal(greet.result.ok, true)
  t.equal(detailOf(greet.result, 'message'), 'first message "hello from the greeter"')

  const mismatch = await probe(`${plain}/greet`, { expect: { message_contains: 'pong', message_matches: '^bye' } })
  t.equal(mismatch.result.ok, false)
  t.equal(mismatch.result.reason, 'expectation')
  t.equal(detailOf(mismatch.result, 'message'), 'first message "hello from the greeter" lacks "pong" and does not match /^bye/')

  const binary = await probe(`${plain}/binary`, { expect: { message_matches: '.' } })
  t.match(detailOf(binary.result, 'message'), /^first binary message /)
  t.equal(binary.result.info.message_bytes, 4)

  const sent = await probe(`${plain}/echo`, { send: SENT_SECRET })
  t.equal(sent.result.ok, true, 'send alone: any message passes')
})

t.test('no message: a close before one is expectation, a lost connection error, silence timeout', async (t) => {
  const bye = await probe(`${plain}/bye`, { expect: { message_contains: 'x' } })
  t.equal(bye.result.reason, 'expectation')
  t.equal(detailOf(bye.result, 'message'), 'the server closed the connection (code 1001, "going away") before any message')

  const done = await probe(`${plain}/done`, { send: 'hi' })
  t.equal(detailOf(done.result, 'message'), 'the server closed the connection (code 1000) before any message')

  const vanish = await probe(`${plain}/vanish`, { send: 'hi' })
  t.equal(vanish.result.reason, 'error')
  t.equal(vanish.result.error, 'the connection was lost (1006, no close frame) before any message')

  const reset = await probe(`${plain}/reset`, { send: 'hi' })
  t.equal(reset.result.reason, 'error')
  t.match(reset.result.error, /^the connection was lost before any message: .*ECONNRESET/)

  const silent = await probe(`${plain}/silent`, { send: 'hi', timeout: '300ms' }, 300)
  t.equal(silent.result.reason, 'timeout')
  t.same(checkPairs(silent.result), [
    ['handshake', false],
    ['message', false],
  ])
  t.ok(lateness(silent) <= 30, `at the timeout (${silent.ms.toFixed(0)}ms)`)
})

t.test('subprotocols: offered, and the one the server picked shown', async (t) => {
  const picked = await probe(`${plain}/silent`, { subprotocols: ['graphql-transport-ws', 'v2'] })
  t.equal(picked.result.ok, true, picked.result.error ?? '')
  t.equal(picked.result.info.subprotocol, 'graphql-transport-ws')
  const none = await probe(`${plain}/silent`, { subprotocols: ['v2'] })
  t.equal(none.result.reason, 'error', 'the server picked none of them')
  t.equal(none.result.error, 'Server sent no subprotocol (offered: v2; see subprotocols)')
})

t.test('a message bigger than max_message_bytes fails the run there', async (t) => {
  const { result } = await probe(`${plain}/huge`, { expect: { message_contains: 'x' } })
  t.equal(result.reason, 'error')
  t.equal(result.error, 'the server sent a message larger than max_message_bytes (64 KiB): the connection was closed there')
  t.equal(result.info.max_message_bytes, 65536)
  const roomy = await probe(`${plain}/huge`, { max_message_bytes: 2 * 1024 * 1024, expect: { message_contains: 'x' } })
  t.equal(roomy.result.ok, true, roomy.result.error ?? '')
})

t.test('not a WebSocket endpoint: the answer is status (auth for 401/403)', async (t) => {
  const notFound = await probe(`${httpOnly}/ws`, { send: 'x' })
  t.equal(notFound.result.ok, false)
  t.equal(notFound.result.reason, 'status')
  t.same(checkPairs(notFound.result), [
    ['handshake', false],
    ['message', false],
  ])
  t.equal(detailOf(notFound.result, 'handshake'), 'got 404 Not Found, expected 101 Switching Protocols: WebSocket not available at this URL')
  t.equal(detailOf(notFound.result, 'message'), 'not evaluated: no WebSocket connection')
  t.equal(notFound.result.info.status_code, 404)

  const ok200 = await probe(`${httpOnly}/ok`)
  t.equal(ok200.result.reason, 'status')
  t.match(detailOf(ok200.result, 'handshake'), /^got 200 OK, expected 101/)

  const nope = await probe(`${plain}/nope`)
  t.equal(nope.result.reason, 'status')
})

t.test('headers: a bearer token reaches the server, a wrong one is auth, and neither is shown', async (t) => {
  upgrades.length = 0
  const ok = await probe(`${plain}/private`, { headers: { Authorization: `Bearer ${TOKEN}`, 'X-Trace': 'probe' } })
  t.equal(ok.result.ok, true, ok.result.error ?? '')
  t.equal(upgrades[0]?.headers['x-trace'], 'probe')
  t.equal(upgrades[0]?.headers['user-agent'], 'groundtruth')

  const wrong = await probe(`${plain}/private`, { headers: { Authorization: `Bearer ${TOKEN}-wrong` } })
  t.equal(wrong.result.reason, 'auth')
  t.equal(detailOf(wrong.result, 'handshake'), 'got 401 Unauthorized, expected 101 Switching Protocols: WebSocket not available at this URL')

  const withUser = await probe(`${plain.replace('ws://', `ws://probe:${PASSWORD}@`)}/greet`, { expect: { message_contains: 'hello' } })
  t.equal(withUser.result.ok, true)
  t.equal(upgrades.at(-1)?.headers.authorization, `Basic ${Buffer.from(`probe:${PASSWORD}`).toString('base64')}`, 'URL credentials as basic auth')
})

t.test('TLS (wss)', async (t) => {
  const right = await probe(`${secure}/greet`, { tls: { ca_file: cert.caFile }, expect: { message_contains: 'hello' } })
  t.equal(right.result.ok, true, right.result.error ?? '')
  const byName = await probe(`wss://localhost:${securePort}/silent`, { tls: { ca_file: cert.caFile } })
  t.equal(byName.result.ok, true, byName.result.error ?? '')

  const wrongCa = await probe(`${secure}/silent`, { tls: { ca_file: otherCa } })
  t.equal(wrongCa.result.reason, 'tls', wrongCa.result.error ?? '')
  const insecure = await probe(`${secure}/silent`, { tls: { ca_file: otherCa, insecure: true } })
  t.equal(insecure.result.ok, true, insecure.result.error ?? '')

  const named = await probe(`${secure}/silent`, { tls: { ca_file: cert.caFile, server_name: 'localhost' } })
  t.equal(named.result.ok, true, named.result.error ?? '')
  const misnamed = await probe(`${secure}/silent`, { tls: { ca_file: cert.caFile, server_name: 'not-this.example' } })
  t.equal(misnamed.result.reason, 'tls', `server_name is the name verified: ${misnamed.result.error}`)

  const wssToPlain = await probe(`${plain.replace('ws:', 'wss:')}/silent`, { tls: { ca_file: cert.caFile } })
  t.equal(wssToPlain.result.reason, 'tls', wssToPlain.result.error ?? '')
  const wsToTls = await probe(`${secure.replace('wss:', 'ws:')}/silent`, { timeout: '1s' }, 1000)
  t.equal(wsToTls.result.ok, false)
  t.ok(lateness(wsToTls) <= 100, `plaintext to a TLS server fails within the timeout: ${wsToTls.result.reason}: ${wsToTls.result.error}`)
  t.match(wsToTls.result.error, /does it want TLS\? then use wss:\/\//, 'and is told the likely cause')

  const tlsOnPlainUrl = await probe(`${plain}/silent`, { tls: { ca_file: cert.caFile } })
  t.equal(tlsOnPlainUrl.result.reason, 'error')
  t.match(tlsOnPlainUrl.result.error, /use wss:\/\/ for TLS/)
})

t.test('wrong port is refused; a tarpit is timeout; garbage is a bounded failure', async (t) => {
  const refused = await probe(`ws://127.0.0.1:${closed}/`)
  t.equal(refused.result.reason, 'refused', refused.result.error ?? '')

  const pit = await keep(tarpit())
  const slow = await probe(`ws://127.0.0.1:${pit.port}/`, { timeout: '400ms' }, 400)
  t.equal(slow.result.reason, 'timeout', slow.result.error ?? '')
  t.ok(lateness(slow) <= 40, `${slow.ms.toFixed(0)}ms, the plain timer at ${slow.sentinelMs?.toFixed(0)}ms`)

  const garbage = await keep(bannerServer('\x00\xff not HTTP at all\r\n\r\n'))
  const ran = await probe(`ws://127.0.0.1:${garbage.port}/`, { timeout: '2s' }, 2000)
  t.equal(ran.result.reason, 'error', ran.result.error ?? '')
  t.equal(ran.sentinelMs, undefined, `ended before the timeout (${ran.ms.toFixed(0)}ms)`)
})

t.test('target: scheme://host:port/path, never credentials or query', async (t) => {
  const target = (url: string) => configOf({ probe: 'websocket', url }).service.bound.target
  t.equal(target(`ws://probe:${PASSWORD}@127.0.0.1:8080/socket?token=${TOKEN}`), 'ws://127.0.0.1:8080/socket')
  t.equal(target('wss://chat.example.com'), 'wss://chat.example.com')
})

function problems(fields: Record<string, unknown>): string[] {
  try {
    configOf({ probe: 'websocket', ...fields })
    return []
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    return err.problems.map((p) => `${p.path}: ${p.message}`)
  }
}

t.test('settings are validated at load', async (t) => {
  t.match(problems({ url: 'http://127.0.0.1/' }), [/url: expected a URL starting with ws:\/\/ or wss:\/\//])
  t.match(problems({ url: 'ws://h/', max_message_bytes: 32 * 1024 * 1024 }), [/max_message_bytes: expected at most 16777216 \(16 MiB\)/])
  t.match(problems({ url: 'ws://h/', headers: { 'Bad Name': 'x' } }), [/headers/])
  t.match(problems({ url: 'ws://h/', expect: { message_matches: '(a' } }), [/message_matches/])
  t.match(problems({ url: 'ws://h/', subprotocols: ['a b'] }), [/subprotocol name/])
  t.match(problems({ url: 'ws://h/', subprotocols: ['a', 'a'] }), [/each subprotocol once/])
  t.same(problems({ url: 'wss://h/', send: 'x', headers: { Authorization: 'Bearer x' }, expect: { message_contains: 'y' }, tls: { insecure: true } }), [])
})

t.test('discovery: WS_URL, WEBSOCKET_URL and *_WS_URL with a ws:// or wss:// value', async (t) => {
  const found = websocketKind.discover!({
    WS_URL: 'ws://127.0.0.1:8080/ws',
    CHAT_WS_URL: 'wss://chat.example.com/socket',
    NEXT_PUBLIC_WS_URL: '/relative',
    OTHER: 'ws://x/',
  })
  t.same(found, [
    { from: 'WS_URL', service: { name: 'websocket', group: 'infrastructure', probe: 'websocket', url: 'ws://127.0.0.1:8080/ws' } },
    { from: 'CHAT_WS_URL', service: { name: 'chat-ws', group: 'infrastructure', probe: 'websocket', url: 'wss://chat.example.com/socket' } },
  ])
  t.same(websocketKind.discover!({ WEBSOCKET_URL: 'wss://h/' }).map((d) => d.service.name), ['websocket'])
  t.same(websocketKind.discover!({}), [])
})

t.test('no secret in any result, nothing printed', async (t) => {
  const text = JSON.stringify(results)
  for (const secret of [TOKEN, PASSWORD, SENT_SECRET]) t.notOk(text.includes(secret), `${secret.slice(0, 9)}... appears in no result`)
  t.same(
    printed.splice(0).filter((line) => [TOKEN, PASSWORD, SENT_SECRET].some((s) => line.includes(s)) || /unhandled/i.test(line)),
    [],
  )
})

t.test('nothing left open', async (t) => {
  await nothingLeftOpen(t, baseline, closeServers)
})

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i++) await new Promise((r) => setTimeout(r, 10))
}
