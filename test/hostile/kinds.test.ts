// Every registered probe kind against hostile peers (peers.ts): byte streams
// without end (some shaped like the kind's protocol: a Redis bulk string of a
// billion bytes, an AMQP frame of two gigabytes, an HTTP body or headers
// without end), a slowloris, a half-sent answer and a peer that reflects what
// it receives. For each run:
//   - the result is a failure with a bounded reason (`error` or `timeout`
//     unless the row says otherwise) and a message;
//   - it ends within its timeout: at most 10% after a plain timer of the
//     timeout's length, armed with the run, fired;
//   - the process's resident memory grows by less than RSS_BOUND over the
//     run (its peak, sampled during the run, after a full GC before it);
//   - no connection outlives the run: no client socket left, and the peer
//     sees every connection closed.
// A kind registered without a row fails this file: a new kind adds one.
// Last, the kinds whose config takes a regex meet a ReDoS bait.
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import t, { type Test } from 'tap'
import { PROBE_KINDS } from '../../probes/index.js'
import { RUN_BYTE_BUDGET } from '../../probes/lib/budget.js'
import type { Reason } from '../../src/probe.js'
import { beatSentinel, lateness, runService, type Ran } from '../helpers/probe-run.js'
import { clientSockets, settle } from '../helpers/sockets.js'
import { mysqlEndlessPacket, mysqlGreeting } from '../helpers/mariadb.js'
import {
  amqpHeartbeats,
  amqpHugeFrame,
  endless,
  fakeRedisBulk,
  halfSent,
  httpEndlessBody,
  httpBody,
  http2Frames,
  httpEndlessHeaders,
  redosBody,
  reflecting,
  slowloris,
  type Peer,
  type Where,
  wsUpgradeThen,
} from './peers.js'

/** Resident memory a run may add at its peak, whatever its peer sends. */
const RSS_BOUND = 64 * 1024 * 1024
/** Runs against a stream: they must end on their own (a bound, an error), long before this. */
const FLOOD_TIMEOUT_MS = 3000
/** Runs against a peer that trickles or stops: they end at this timeout. */
const SLOW_TIMEOUT_MS = 500
const TRICKLE_MS = 100

// A full collection before each run, so that garbage of the last one is not counted against the next.
setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

/** How a kind is pointed at a peer, and what its protocol's hostile answers look like. */
interface Row {
  /** The transport its peer listens on (the container engine: a unix socket). */
  where?: Where
  /** Service keys (and environment) that point the kind at `peer`. */
  at(peer: Peer): { fields: Record<string, unknown>; env?: Record<string, string> }
  /** The start of a plausible answer, for the slowloris to trickle (then `repeat` for ever). */
  trickle: { script: string | Buffer; repeat?: string | Buffer }
  /** The start of a plausible answer, sent whole, then nothing. */
  halfSent: string | Buffer
  /** Streams shaped like the kind's protocol. */
  floods: Flood[]
}

/**
 * A kind without a network peer (file): none of these peers can be put in
 * front of it. Says why, and where its own hostile cases are tested instead.
 */
interface NoPeer {
  notApplicable: string
}

interface Flood {
  label: string
  start(where: Where): Promise<Peer>
  /** Reasons the run may end with (default: error). */
  reasons?: Reason[]
  /** What the error must say (the bound that stopped it). */
  says?: RegExp
}

const BUDGET_SAID = /sent more than 16 MiB in one run/

const httpFloods: Flood[] = [
  { label: 'an HTTP body without end', start: httpEndlessBody, says: BUDGET_SAID },
  { label: 'HTTP headers without end', start: httpEndlessHeaders, says: /HPE_HEADER_OVERFLOW|Header overflow/i },
]

const HTTP_STATUS = 'HTTP/1.1 200 OK\r\n'
const NATS_INFO = `INFO ${JSON.stringify({ server_id: 'HOSTILE', version: '2.10.0', proto: 1, headers: true, max_payload: 1048576 })}\r\n`

const rows: Record<string, Row | NoPeer> = {
  http: {
    at: (p) => ({ fields: { probe: 'http', url: `http://127.0.0.1:${p.port}/health`, expect: { body_contains: '"ready"' } } }),
    trickle: { script: `${HTTP_STATUS}x-slow: ` },
    halfSent: `${HTTP_STATUS}content-type: application/json\r\ncontent-length: 100\r\n\r\n{"sta`,
    floods: [
      // Cut at max_body_bytes (1 MiB by default), then judged: the body lacks what is expected.
      { label: 'an HTTP body without end', start: httpEndlessBody, reasons: ['expectation'], says: /only the first 1048576 bytes were read/ },
      httpFloods[1]!,
    ],
  },

  tcp: {
    at: (p) => ({ fields: { probe: 'tcp', address: `127.0.0.1:${p.port}`, expect: { banner_contains: 'SSH-' } } }),
    trickle: { script: 'SS' },
    halfSent: 'SS',
    floods: [],
  },

  redis: {
    at: (p) => ({ fields: { probe: 'redis', url: `redis://:secret@127.0.0.1:${p.port}/0` } }),
    trickle: { script: '+', repeat: 'P' },
    halfSent: '$10\r\nPON',
    floods: [{ label: 'a bulk string of a billion bytes ($1000000000)', start: fakeRedisBulk, says: BUDGET_SAID }],
  },

  rabbitmq: {
    at: (p) => ({ fields: { probe: 'rabbitmq', url: `amqp://guest:guest@127.0.0.1:${p.port}/%2F` } }),
    // A method frame on channel 0 of 64 KiB, its payload trickled.
    trickle: { script: Buffer.from([1, 0, 0, 0, 1, 0, 0]), repeat: Buffer.from([0]) },
    halfSent: Buffer.from([1, 0, 0, 0, 0, 1, 0, 0, 10, 0, 10]),
    floods: [
      { label: 'a frame announcing 2 GB', start: amqpHugeFrame, says: /exceeds maxFrameSize 1048576/ },
      { label: 'heartbeat frames without end', start: amqpHeartbeats, reasons: ['error', 'timeout'] },
    ],
  },

  postgres: {
    at: (p) => ({ fields: { probe: 'postgres', url: `postgres://postgres:secret@127.0.0.1:${p.port}/test?sslmode=disable` } }),
    // An authentication request of 4 KiB, trickled.
    trickle: { script: Buffer.from([0x52, 0, 0, 0x10, 0]), repeat: Buffer.from([0]) },
    halfSent: Buffer.from([0x52, 0, 0, 0, 8, 0, 0]),
    // The generic stream of `A`s is the one that hurts here: a message of type A announcing 0x41414141 bytes.
    floods: [{ label: 'a message announcing 2 GB', start: (where) => endless({ prefix: Buffer.from([0x44, 0x7f, 0xff, 0xff, 0xf0]), afterRequest: true }, where), says: BUDGET_SAID }],
  },

  elasticsearch: {
    at: (p) => ({ fields: { probe: 'elasticsearch', url: `http://127.0.0.1:${p.port}` } }),
    trickle: { script: `${HTTP_STATUS}x-slow: ` },
    halfSent: `${HTTP_STATUS}content-type: application/json\r\ncontent-length: 100\r\n\r\n{"sta`,
    floods: httpFloods,
  },

  minio: {
    at: (p) => ({ fields: { probe: 'minio', url: `http://127.0.0.1:${p.port}` } }),
    trickle: { script: `${HTTP_STATUS}x-slow: ` },
    halfSent: `${HTTP_STATUS}content-type: text/plain\r\ncontent-length: 100\r\n\r\nOK`,
    floods: httpFloods,
  },

  // MongoDB replies: a 16-byte header (int32 LE length, requestID, responseTo, opCode 2013 OP_MSG = dd 07).
  mongodb: {
    at: (p) => ({ fields: { probe: 'mongodb', url: `mongodb://probe:secret@127.0.0.1:${p.port}/app` } }),
    // The header of a 4 KiB OP_MSG, its body trickled.
    trickle: { script: Buffer.from([0x00, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xdd, 0x07, 0, 0]), repeat: Buffer.from([0]) },
    halfSent: Buffer.from([0x64, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xdd, 0x07, 0, 0, 0, 0, 0, 0]),
    floods: [
      // A message of 40 MB (under the protocol's 48 MB, so not refused at its header), streamed: the budget.
      { label: 'a message announcing 40 MB', start: (where) => endless({ prefix: Buffer.from([0x00, 0x5a, 0x62, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0xdd, 0x07, 0, 0]), afterRequest: true }, where), says: BUDGET_SAID },
    ],
  },

  container: {
    where: 'unix',
    at: (p) => ({ fields: { probe: 'container', container: 'gt-hostile' }, env: { DOCKER_HOST: `unix://${p.path}` } }),
    trickle: { script: `${HTTP_STATUS}x-slow: ` },
    halfSent: `${HTTP_STATUS}content-type: application/json\r\ncontent-length: 100\r\n\r\n{"Id`,
    floods: [
      // The engine client cuts every answer at its own bound (1 MiB).
      { label: 'an HTTP body without end', start: httpEndlessBody, says: /not JSON \(cut at the size limit\)/ },
      httpFloods[1]!,
    ],
  },

  grpc: {
    at: (p) => ({ fields: { probe: 'grpc', address: `127.0.0.1:${p.port}` } }),
    // An HTTP/2 SETTINGS frame of 6 bytes (one setting), trickled.
    trickle: { script: Buffer.from([0, 0, 6, 4, 0, 0, 0, 0, 0]), repeat: Buffer.from([0]) },
    halfSent: Buffer.from([0, 0, 6, 4, 0, 0, 0, 0, 0, 0, 3]),
    floods: [
      // Node's HTTP/2 (nghttp2) ends the session itself when PING acks pile up.
      { label: 'HTTP/2 PING frames without end', start: (where) => http2Frames(Buffer.from([0, 0, 8, 6, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]), where) },
      // Frames of an unknown type are ignored, as HTTP/2 says: only the budget stops them.
      { label: 'HTTP/2 frames of an unknown type without end', start: (where) => http2Frames(Buffer.concat([Buffer.from([0, 0x40, 0, 0xfa, 0, 0, 0, 0, 0]), Buffer.alloc(0x4000)]), where), says: BUDGET_SAID },
    ],
  },

  websocket: {
    at: (p) => ({ fields: { probe: 'websocket', url: `ws://127.0.0.1:${p.port}/ws`, send: 'ping', expect: { message_contains: 'pong' } } }),
    trickle: { script: 'HTTP/1.1 101 Switching Protocols\r\nx-slow: ' },
    halfSent: 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n',
    floods: [
      httpFloods[1]!,
      // A binary frame announcing 2^31 bytes (64-bit length): refused at max_message_bytes, unread.
      { label: 'a frame announcing 2 GB', start: (where) => wsUpgradeThen(Buffer.from([0x82, 127, 0, 0, 0, 0, 0x80, 0, 0, 0]), Buffer.from('x'), where), says: /larger than max_message_bytes \(64 KiB\)/ },
      // ws cuts a peer whose pings it cannot answer fast enough; unasked pongs it ignores, until the budget.
      { label: 'ping frames without end', start: (where) => wsUpgradeThen(Buffer.alloc(0), Buffer.from([0x89, 4, 0x70, 0x69, 0x6e, 0x67]), where) },
      { label: 'pong frames without end', start: (where) => wsUpgradeThen(Buffer.alloc(0), Buffer.from([0x8a, 4, 0x70, 0x6f, 0x6e, 0x67]), where), says: BUDGET_SAID },
    ],
  },

  nats: {
    at: (p) => ({ fields: { probe: 'nats', url: `nats://probe:secret@127.0.0.1:${p.port}` } }),
    // The client says nothing before the server's INFO: a peer that waits for a request never answers (timeout).
    trickle: { script: 'INFO {"server_id":"', repeat: 'A' },
    halfSent: 'INFO {"server_id":"x","vers',
    floods: [
      { label: 'an INFO, then a MSG announcing 2 GB', start: (where) => endless({ prefix: `${NATS_INFO}MSG gt.x 1 2000000000\r\n`, filler: 'x' }, where), says: /a message of 2000000000 bytes announced/ },
      { label: 'an INFO, then a MSG of 1 MiB, again and again', start: (where) => endless({ prefix: NATS_INFO, filler: `MSG gt.x 1 1048576\r\n${'x'.repeat(1048576)}\r\n` }, where), says: BUDGET_SAID },
      // Each PING is answered with a PONG: the client's write bound (1 MiB of PONGs) stops it before the budget or the timeout.
      { label: 'an INFO, then PING without end', start: (where) => endless({ prefix: NATS_INFO, filler: 'PING\r\n' }, where), says: /send more than 1 MiB/ },
      { label: 'an INFO line without end', start: (where) => endless({ prefix: 'INFO {"server_id":"' }, where), says: /without ending its first line/ },
    ],
  },

  // MySQL packets: a 3-byte length, a sequence id, the payload. The server speaks first (a protocol-10 greeting).
  mysql: {
    at: (p) => ({ fields: { probe: 'mysql', url: `mysql://probe:secret@127.0.0.1:${p.port}/app` } }),
    // The header of a 4 KiB greeting, its body trickled.
    trickle: { script: Buffer.from([0x00, 0x10, 0x00, 0x00, 0x0a]), repeat: Buffer.from('A') },
    halfSent: mysqlGreeting().subarray(0, 20),
    // After a login: a "large packet" whose 16 MiB parts each announce another, which mysql2 buffers whole.
    floods: [{ label: 'a login, then a packet without end', start: mysqlEndlessPacket, says: BUDGET_SAID }],
  },

  // The file kind opens no socket: it lstat's and lists directories. Its hostile
  // cases are filesystem ones, in test/probes/file.test.ts: a directory of more
  // entries than the cap (bounded, `error`), a symlink loop, links pointing
  // outside, a FIFO that is never opened, a directory swapped for a link during
  // the walk, and a filesystem that never answers (a stand-in for a hung NFS
  // mount: `timeout` at the deadline).
  file: { notApplicable: 'the file kind opens no socket: its hostile filesystem cases are in test/probes/file.test.ts' },
}

interface Case {
  label: string
  start(where: Where): Promise<Peer>
  timeoutMs: number
  reasons: Reason[]
  says?: RegExp
}

/** The peers every kind meets, then the kind's own floods. */
function cases(row: Row): Case[] {
  const flood = (c: Omit<Case, 'timeoutMs' | 'reasons'> & { reasons?: Reason[] }): Case => ({ reasons: ['error'], ...c, timeoutMs: FLOOD_TIMEOUT_MS })
  const slow = (label: string, start: Case['start']): Case => ({ label, start, timeoutMs: SLOW_TIMEOUT_MS, reasons: ['timeout'] })
  return [
    // A stream from the first moment, before the client says anything (tcp reads a banner: bounded, then
    // judged; the Elasticsearch client takes an unparsable answer for a body after HEAD and waits).
    flood({ label: 'bytes without end, at once', start: (where) => endless({}, where), reasons: ['error', 'expectation', 'timeout'] }),
    flood({ label: 'bytes without end, after the request', start: (where) => endless({ afterRequest: true }, where), reasons: ['error', 'expectation', 'timeout'] }),
    ...row.floods.map((f) => flood({ label: f.label, start: f.start, says: f.says, ...(f.reasons ? { reasons: f.reasons } : {}) })),
    slow('a slowloris (a byte every 100ms)', (where) => slowloris({ ...row.trickle, everyMs: TRICKLE_MS }, where)),
    slow('a half-sent answer, then silence', (where) => halfSent(row.halfSent, where)),
    { label: 'a peer reflecting what it receives', start: reflecting, timeoutMs: SLOW_TIMEOUT_MS, reasons: ['error', 'timeout', 'expectation'] },
  ]
}

/**
 * Peak growth while `run` runs, over what it was after a full GC before: of
 * resident memory (what the issue measured; the allocator keeps pages it got
 * back, so after a greedy run it understates the next), and of the memory of
 * Buffers (exact, where the bytes read from a peer are held).
 */
async function peakGrowth<T>(run: () => Promise<T>): Promise<{ value: T; rss: number; buffers: number }> {
  gc()
  const before = process.memoryUsage()
  let rss = before.rss
  let buffers = before.arrayBuffers
  const sample = () => {
    const now = process.memoryUsage()
    rss = Math.max(rss, now.rss)
    buffers = Math.max(buffers, now.arrayBuffers)
  }
  const sampler = setInterval(sample, 2)
  try {
    const value = await run()
    sample()
    return { value, rss: rss - before.rss, buffers: buffers - before.arrayBuffers }
  } finally {
    clearInterval(sampler)
  }
}

const MiB = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`

/** Polls until the peer has seen every connection closed (or a second has passed). */
async function peerHungUp(p: Peer): Promise<number> {
  for (let i = 0; i < 50 && p.open() > 0; i++) await new Promise((r) => setTimeout(r, 20))
  return p.open()
}

const figures: string[] = []

// Each kind once against a closed port first: what a kind loads on first use
// (the Elasticsearch and MinIO clients) is not what a hostile peer costs.
t.before(async () => {
  for (const [kind, row] of Object.entries(rows)) {
    if (!PROBE_KINDS.has(kind) || 'notApplicable' in row) continue
    const gone = await reflecting(row.where ?? 'tcp')
    await gone.close()
    const { fields, env } = row.at(gone)
    await runService({ ...fields, timeout: '1s' }, { env })
  }
})

t.test('every registered probe kind has a row, and every row a registered kind', async (t) => {
  t.same([...PROBE_KINDS.keys()].filter((kind) => !rows[kind]), [], 'kinds without a row')
  t.same(Object.keys(rows).filter((kind) => !PROBE_KINDS.has(kind)), [], 'rows without a kind')
})

for (const kind of PROBE_KINDS.keys()) {
  const row = rows[kind]
  if (!row) continue // failed above
  if ('notApplicable' in row) {
    t.test(`${kind}: no network peer`, async (t) => t.pass(row.notApplicable))
    continue
  }
  t.test(kind, async (t) => {
    for (const c of cases(row)) {
      t.test(c.label, async (t) => hostileRun(t, kind, row, c))
    }
  })
}

async function hostileRun(t: Test, kind: string, row: Row, c: Case): Promise<void> {
  const p = await c.start(row.where ?? 'tcp')
  t.teardown(() => p.close())
  const { fields, env } = row.at(p)
  const { value: ran, rss, buffers } = await peakGrowth<Ran>(() => runService({ ...fields, timeout: `${c.timeoutMs}ms` }, { env, sentinel: c.timeoutMs }))
  const { result } = ran
  figures.push(
    `${kind.padEnd(13)} ${c.label.padEnd(48)} RSS +${MiB(rss).padStart(9)}  buffers +${MiB(buffers).padStart(9)}  sent ${MiB(p.sent()).padStart(9)} ${ran.ms.toFixed(0).padStart(6)}ms  ${result.reason}`,
  )
  t.equal(result.ok, false, 'the run fails')
  t.ok(result.reason !== undefined && c.reasons.includes(result.reason), `the reason is ${c.reasons.join(' or ')}: ${result.reason}: ${result.error}`)
  t.ok(result.error, 'with a message')
  if (c.says) t.match(result.error ?? '', c.says, 'the message names the bound that stopped it')
  t.ok(lateness(ran) <= c.timeoutMs * 0.1, `within the ${c.timeoutMs}ms timeout (${ran.ms.toFixed(1)}ms; the plain timer fired at ${ran.sentinelMs?.toFixed(1) ?? '-'}ms)`)
  t.ok(rss < RSS_BOUND, `resident memory grew by ${MiB(rss)} at the peak (bound ${MiB(RSS_BOUND)}; the peer sent ${MiB(p.sent())})`)
  t.ok(buffers < RSS_BOUND, `the memory of Buffers grew by ${MiB(buffers)} at the peak (bound ${MiB(RSS_BOUND)})`)
  await settle()
  t.same(clientSockets(), [], 'no client socket outlives the run')
  t.equal(await peerHungUp(p), 0, 'the peer saw every connection closed')
}

// A ReDoS bait meets the kinds whose config takes a regex (http body_matches,
// tcp banner_matches): `^(a+)+$` on `aaaa…!` backtracks for ever in a
// backtracking engine, and a blocked event loop is interrupted by no timeout.
// Regexes run on RE2 (src/settings/fields.ts): linear, over at once.
t.test('ReDoS baits: a catastrophic pattern on a hostile text ends at once', async (t) => {
  const timeoutMs = 1000
  const bait = redosBody(4000)
  const runs: [string, () => Promise<Peer>, (p: Peer) => Record<string, unknown>][] = [
    ['http body_matches', () => httpBody(bait), (p) => ({ probe: 'http', url: `http://127.0.0.1:${p.port}/`, expect: { body_matches: '^(a+)+$' } })],
    ['tcp banner_matches', () => halfSent(`${bait}\n`), (p) => ({ probe: 'tcp', address: `127.0.0.1:${p.port}`, send: 'HELLO\n', expect: { banner_matches: '^(a+)+$' } })],
  ]
  for (const [label, start, fields] of runs) {
    const p = await start()
    t.teardown(() => p.close())
    const ran = await runService({ ...fields(p), timeout: `${timeoutMs}ms` }, { sentinel: timeoutMs / 3 })
    t.equal(ran.result.reason, 'expectation', `${label}: the pattern does not match: ${ran.result.error}`)
    t.ok(beatSentinel(ran), `${label}: judged before a third of the timeout (${ran.ms.toFixed(1)}ms)`)
  }
})

t.teardown(() => {
  // The figures, for the record (a report, a regression): one line per run.
  console.error(`hostile peers: budget ${MiB(RUN_BYTE_BUDGET)} per run, RSS bound ${MiB(RSS_BOUND)}\n${figures.join('\n')}`)
})
