// What every probe kind promises, checked the same way for each: one row per
// registered kind, against a real peer of this machine or a named stand-in,
// through the real path (YAML -> parseConfig -> probeService -> result store
// -> /status document -> Markdown report). For every kind:
//   (a) a passing run reports exactly checkNamesOf(service), in that order
//       (and so does every failing run: the names never depend on the outcome);
//   (b) a planted credential (unique strings: the right one and a wrong one)
//       appears in no output: the result's JSON, the /status document, the
//       Markdown report, probeService's log lines, the console;
//   (c) no client socket outlives a run;
//   (d) a tarpit (accepts, never answers) ends in `timeout`, at most 10% of the
//       timeout after a plain timer of the timeout's length, armed with the
//       run, fired: event-loop lag counts for both alike.
// A kind registered without a row fails this file: a new kind adds one.
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { Agent, createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { connect } from 'amqplib'
import { Client } from 'minio'
import { createConnection as mysqlConnection } from 'mysql2/promise'
import S3rver from 's3rver'
import t, { type Test } from 'tap'
import { PROBE_KINDS } from '../../probes/index.js'
import { buildStatus } from '../../src/exposition/status.js'
import { probeService } from '../../src/jobs.js'
import { createLogger } from '../../src/log.js'
import { renderMarkdown } from '../../src/presentation/markdown.js'
import type { Reason } from '../../src/probe.js'
import { ResultStore } from '../../src/results.js'
import { checkNamesOf } from '../../src/runner.js'
import { configOf, lateness, notBeforeTimeout, timed } from '../helpers/probe-run.js'
import { bannerServer, closedPort, httpServer, serverPool, tarpit } from '../helpers/servers.js'
import { capturePrinted } from '../helpers/console.js'
import { grpcHealthServer, wsEchoServer } from '../helpers/grpc-ws.js'
import { startNatsServer } from '../helpers/nats-server.js'
import { mongoMock } from '../helpers/mongo-mock.js'
import { clientSockets, settle } from '../helpers/sockets.js'

const unique = () => randomBytes(6).toString('hex')
/** The right credential of each passing run. */
const SECRET = `gt-inv-secret-${unique()}`
/** A wrong credential, for the runs that must fail at login. */
const WRONG = `gt-inv-wrong-${unique()}`
const PLANTED = { credential: SECRET, 'wrong credential': WRONG }

const TIMEOUT = '3s'
const TARPIT_TIMEOUT_MS = 400

/** One run of a row: its service keys, and the reason it must end with (none: it passes). */
interface Run {
  label: string
  fields: Record<string, unknown>
  env?: Record<string, string>
  reason?: Reason
}

interface Row {
  /** The peer the passing run talks to, named in the test titles. */
  peer: string
  /** Against that peer, several expectations configured, the credential planted. */
  passing(): Run
  /** Wrong port or wrong password (or both), a credential planted. */
  failing(): Run[]
  /** The passing run's service pointed at a peer that accepts and never answers; a kind with no network peer (file) says why not. */
  tarpit: ((port: number) => Run) | { notApplicable: string }
}

// Everything a client library might print: captured for (b), still shown.
const printed = capturePrinted(t)

const { keep, closeAll } = serverPool()
t.teardown(closeAll)

// ------------------------------------------------------------------ peers

let closed: number
let pit: number
let web: number
let echo: number
let es: number
let engineSocket: string
let s3port: number
let grpcPort: number
let wsPort: number
let natsAuth: number
let mongo: number
const buckets = [`gt-inv-a-${unique()}`, `gt-inv-b-${unique()}`]
const queues = [`gt-inv-a-${unique()}`, `gt-inv-b-${unique()}`]
const rabbitUser = `gt_inv_${unique()}`
let rabbitUserMade = false
const mysqlUser = `gt_inv_${unique()}`

/** SQL as root on the machine's MariaDB (no password there), on a connection of its own. */
async function mariadb(sql: string, values: unknown[]): Promise<void> {
  const conn = await mysqlConnection({ host: '127.0.0.1', port: 3306, user: 'root' })
  try {
    await conn.query(sql, values)
  } finally {
    await conn.end()
    ;(conn as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy()
  }
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`

/** An HTTP health endpoint that wants the URL's credentials and an API key header. */
function healthEndpoint(req: IncomingMessage, res: ServerResponse): void {
  if (req.headers.authorization !== basic('probe', SECRET) || req.headers['x-api-key'] !== SECRET) {
    res.writeHead(401, { 'content-type': 'text/plain' }).end('unauthorized')
    return
  }
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', version: '1.2.3' }))
}

/** A stand-in for Elasticsearch's REST API: basic auth, cluster health, HEAD of two indices. */
function fakeElasticsearch(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('x-elastic-product', 'Elasticsearch')
  res.setHeader('content-type', 'application/json')
  if (req.headers.authorization !== basic('elastic', SECRET)) {
    res.statusCode = 401
    res.end(JSON.stringify({ error: { type: 'security_exception', reason: 'unable to authenticate user [elastic]' }, status: 401 }))
  } else if (req.url?.startsWith('/_cluster/health')) {
    res.end(JSON.stringify({ cluster_name: 'gt-inv', status: 'green', number_of_nodes: 1, unassigned_shards: 0 }))
  } else {
    res.statusCode = req.method === 'HEAD' && ['/logs', '/metrics'].includes(req.url ?? '') ? 200 : 404
    res.end()
  }
}

/**
 * A protocol-level fake of the Docker Engine API on a unix socket (the real
 * engine runs in container.test.ts): `gt-inv-worker` runs; `gt-inv-dead`
 * exited, and its log's last words carry a credential in a URL.
 */
function fakeEngine(req: IncomingMessage, res: ServerResponse): void {
  const json = (status: number, body: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
  const running = { Status: 'running', Running: true, Restarting: false, ExitCode: 0, StartedAt: new Date().toISOString() }
  const exited = { Status: 'exited', Running: false, Restarting: false, ExitCode: 1, StartedAt: new Date().toISOString() }
  const url = req.url ?? ''
  if (url === '/containers/gt-inv-worker/json') return json(200, { Id: 'w1', RestartCount: 0, Config: { Image: 'localhost/app:1' }, State: running })
  if (url === '/containers/gt-inv-dead/json') return json(200, { Id: 'd1', RestartCount: 0, Config: { Image: 'localhost/app:1', Tty: true }, State: exited })
  if (url.startsWith('/containers/d1/logs')) return void res.writeHead(200).end(`booting\nError: connect postgres://app:${SECRET}@db:5432/app refused\n`)
  if (url === `/images/${encodeURIComponent('localhost/app:1')}/json`) return json(200, { Id: 'sha256:1' })
  json(404, { message: 'no such container' })
}

const rabbitmqctl = (...args: string[]) => promisify(execFile)('rabbitmqctl', args, { timeout: 60_000 })

t.before(async () => {
  closed = await closedPort()
  pit = (await keep(tarpit())).port
  web = (await keep(httpServer(healthEndpoint))).port
  echo = (await keep(bannerServer('', (data) => `+OK ${data}`))).port
  es = (await keep(httpServer(fakeElasticsearch))).port
  // The standard gRPC health service behind a bearer token, and a WebSocket echo behind one.
  grpcPort = (await keep(grpcHealthServer({ '': 'SERVING', 'app.Api': 'SERVING' }, SECRET))).port
  wsPort = (await keep(wsEchoServer(SECRET))).port
  // A nats-server of its own whose password is the credential (the machine's NATS on 4222 takes any).
  natsAuth = (await startNatsServer(t, ['--user', 'probe', '--pass', SECRET], { jetstream: true })).port
  mongo = (await keep(mongoMock({ users: { probe: SECRET }, databases: ['app'], collections: { app: ['orders'] } }))).port
  engineSocket = join(mkdtempSync(join(tmpdir(), 'gt-inv-engine-')), 'engine.sock')
  const engine = createServer(fakeEngine)
  await new Promise<void>((resolve) => engine.listen(engineSocket, resolve))
  t.teardown(() => new Promise<void>((resolve) => engine.close(() => resolve())))

  const dir = mkdtempSync(join(tmpdir(), 'gt-inv-s3-'))
  const s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir })
  s3port = (await s3.run()).port
  t.teardown(async () => {
    await s3.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const agent = new Agent({ keepAlive: true })
  const admin = new Client({ endPoint: '127.0.0.1', port: s3port, useSSL: false, accessKey: 'S3RVER', secretKey: 'S3RVER', transportAgent: agent })
  for (const bucket of buckets) await admin.makeBucket(bucket)
  agent.destroy()

  // Non-durable, not auto-deleted: the queues outlive this connection, which
  // is closed so that only the probe's own sockets are left to count.
  const broker = await connect('amqp://guest:guest@127.0.0.1:5672/')
  const channel = await broker.createChannel()
  for (const queue of queues) await channel.assertQueue(queue, { durable: false })
  await broker.close()
  t.teardown(async () => {
    const cleanup = await connect('amqp://guest:guest@127.0.0.1:5672/')
    const ch = await cleanup.createChannel()
    for (const queue of queues) await ch.deleteQueue(queue)
    await cleanup.close()
  })

  // A user whose password is the planted credential (rabbitmqctl needs root or the Erlang cookie).
  try {
    await rabbitmqctl('add_user', rabbitUser, SECRET)
    rabbitUserMade = true
    await rabbitmqctl('set_permissions', '-p', '/', rabbitUser, '^$', '^$', '^$')
  } catch (err) {
    t.comment(`rabbitmqctl cannot manage users here (${(err as Error).message.split('\n')[0]}): the passing rabbitmq run logs in as guest`)
  }
  t.teardown(async () => {
    if (rabbitUserMade) await rabbitmqctl('delete_user', rabbitUser)
  })

  // A MariaDB user whose password is the planted credential (the machine's root has none).
  await mariadb(`CREATE USER ?@'%' IDENTIFIED BY ?`, [mysqlUser, SECRET])
  await mariadb(`GRANT SELECT ON test.* TO ?@'%'`, [mysqlUser])
  t.teardown(() => mariadb(`DROP USER IF EXISTS ?@'%'`, [mysqlUser]))
})

// ------------------------------------------------------------------- rows

/** The file kind's stand-in for a peer: a temp dir of two files whose content is the planted credential (made on first use). */
let fileDir: string | undefined
function filesHoldingTheSecret(): string {
  if (fileDir) return fileDir
  const dir = (fileDir = mkdtempSync(join(tmpdir(), 'gt-inv-files-')))
  for (const name of ['a.dump', 'b.dump']) writeFileSync(join(dir, name), `${SECRET}\n`.repeat(64))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

const rows: Record<string, Row> = {
  http: {
    peer: 'a local HTTP server',
    passing: () => ({
      label: 'credentials in the URL and a key header',
      fields: {
        probe: 'http',
        url: `http://probe:${SECRET}@127.0.0.1:${web}/health`,
        headers: { 'X-Api-Key': SECRET },
        expect: { status: [200], json: { status: 'ok' }, body_contains: 'version', body_matches: '"version":"\\d', max_latency: '5s' },
      },
    }),
    failing: () => [
      { label: 'wrong password', reason: 'status', fields: { ...rows.http!.passing().fields, url: `http://probe:${WRONG}@127.0.0.1:${web}/health` } },
      { label: 'wrong port', reason: 'refused', fields: { ...rows.http!.passing().fields, url: `http://probe:${SECRET}@127.0.0.1:${closed}/health` } },
    ],
    tarpit: (port) => ({ label: 'tarpit', fields: { ...rows.http!.passing().fields, url: `http://probe:${SECRET}@127.0.0.1:${port}/health` } }),
  },

  tcp: {
    peer: 'a local echo server',
    // tcp has no credential setting: the token reaches `send` from the
    // environment, and the echo puts it in the banner the checks describe.
    passing: () => ({
      label: 'a token sent and echoed back',
      fields: { probe: 'tcp', address: `127.0.0.1:${echo}`, send: '${GT_INV_TOKEN}\n', expect: { banner_contains: '+OK', banner_matches: '^\\+OK gt-inv-', max_latency: '5s' } },
      env: { GT_INV_TOKEN: SECRET },
    }),
    failing: () => [
      { ...rows.tcp!.passing(), label: 'banner mismatch (the detail quotes the echoed token)', reason: 'expectation', fields: { ...rows.tcp!.passing().fields, expect: { banner_contains: '+PONG', banner_matches: '^-ERR', max_latency: '5s' } } },
      { ...rows.tcp!.passing(), label: 'wrong port', reason: 'refused', fields: { ...rows.tcp!.passing().fields, address: `127.0.0.1:${closed}` } },
    ],
    tarpit: (port) => ({ ...rows.tcp!.passing(), label: 'tarpit', fields: { ...rows.tcp!.passing().fields, address: `127.0.0.1:${port}` } }),
  },

  redis: {
    peer: 'the Redis on 127.0.0.1:6379',
    // That server wants no password and answers AUTH with a password alone all the same.
    passing: () => ({ label: 'a password in the URL', fields: { probe: 'redis', url: `redis://:${SECRET}@127.0.0.1:6379/0`, expect: { role: 'master', max_latency: '5s' } } }),
    failing: () => [
      { label: 'wrong password for an ACL user', reason: 'auth', fields: { ...rows.redis!.passing().fields, url: `redis://gt_inv_nobody:${WRONG}@127.0.0.1:6379/0` } },
      { label: 'wrong port', reason: 'refused', fields: { ...rows.redis!.passing().fields, url: `redis://:${SECRET}@127.0.0.1:${closed}/0` } },
    ],
    tarpit: (port) => ({ label: 'tarpit', fields: { ...rows.redis!.passing().fields, url: `redis://:${SECRET}@127.0.0.1:${port}/0` } }),
  },

  rabbitmq: {
    peer: 'the RabbitMQ on 127.0.0.1:5672',
    passing: () => ({
      label: rabbitUserMade ? 'a user whose password is the credential' : 'guest (no user could be made)',
      fields: {
        probe: 'rabbitmq',
        url: rabbitUserMade ? `amqp://${rabbitUser}:${SECRET}@127.0.0.1:5672/%2F` : 'amqp://guest:guest@127.0.0.1:5672/%2F',
        expect: { queues, consumers_min: { [queues[0]!]: 0 }, max_latency: '5s' },
      },
    }),
    failing: () => [
      { label: 'wrong password', reason: 'auth', fields: { ...rows.rabbitmq!.passing().fields, url: `amqp://guest:${WRONG}@127.0.0.1:5672/%2F` } },
      { label: 'wrong port', reason: 'refused', fields: { ...rows.rabbitmq!.passing().fields, url: `amqp://guest:${SECRET}@127.0.0.1:${closed}/%2F` } },
    ],
    tarpit: (port) => ({ label: 'tarpit', fields: { ...rows.rabbitmq!.passing().fields, url: `amqp://guest:${SECRET}@127.0.0.1:${port}/%2F` } }),
  },

  postgres: {
    peer: 'the PostgreSQL on 127.0.0.1:5432, database test',
    // Its loopback logins are trusted: any password is accepted, none is checked.
    passing: () => ({
      label: 'a password in the URL',
      fields: { probe: 'postgres', url: `postgres://postgres:${SECRET}@127.0.0.1:5432/test`, expect: { schemas: ['public'], min_tables: 0, query: 'SELECT 1', max_latency: '5s' } },
    }),
    failing: () => [
      { label: 'a database that does not exist', reason: 'error', fields: { ...rows.postgres!.passing().fields, url: `postgres://postgres:${WRONG}@127.0.0.1:5432/gt_inv_missing_${unique()}` } },
      { label: 'wrong port', reason: 'refused', fields: { ...rows.postgres!.passing().fields, url: `postgres://postgres:${SECRET}@127.0.0.1:${closed}/test` } },
    ],
    tarpit: (port) => ({ label: 'tarpit', fields: { ...rows.postgres!.passing().fields, url: `postgres://postgres:${SECRET}@127.0.0.1:${port}/test` } }),
  },

  elasticsearch: {
    peer: 'a local fake of the Elasticsearch REST API',
    passing: () => ({
      label: 'basic auth from the URL',
      fields: { probe: 'elasticsearch', url: `http://elastic:${SECRET}@127.0.0.1:${es}`, expect: { status: 'yellow', indices: ['logs', 'metrics'], max_latency: '5s' } },
    }),
    failing: () => [
      { label: 'wrong password', reason: 'auth', fields: { ...rows.elasticsearch!.passing().fields, url: `http://elastic:${WRONG}@127.0.0.1:${es}` } },
      { label: 'wrong port', reason: 'refused', fields: { ...rows.elasticsearch!.passing().fields, url: `http://elastic:${SECRET}@127.0.0.1:${closed}` } },
    ],
    tarpit: (port) => ({ label: 'tarpit', fields: { ...rows.elasticsearch!.passing().fields, url: `http://elastic:${SECRET}@127.0.0.1:${port}` } }),
  },

  container: {
    peer: 'a protocol-level fake of the Docker Engine API (the real dockerd is in container.test.ts)',
    // The engine takes no credential; the planted one is what a dying container logs, which must not leave unmasked.
    passing: () => ({ label: 'a running container', fields: { probe: 'container', container: 'gt-inv-worker', expect: { max_latency: '5s' } }, env: { DOCKER_HOST: `unix://${engineSocket}`, GT_INV_LOGGED: SECRET } }),
    failing: () => [
      { label: 'exited, its last words carry a credential', reason: 'container', fields: { ...rows.container!.passing().fields, container: 'gt-inv-dead' }, env: rows.container!.passing().env },
      { label: 'no engine answers', reason: 'refused', fields: rows.container!.passing().fields, env: { DOCKER_HOST: `unix://${engineSocket}.gone`, GT_INV_LOGGED: WRONG } },
    ],
    tarpit: (port) => ({ label: 'tarpit', fields: rows.container!.passing().fields, env: { DOCKER_HOST: `tcp://127.0.0.1:${port}`, GT_INV_LOGGED: SECRET } }),
  },

  minio: {
    peer: 's3rver (a protocol-level S3 fake)',
    // s3rver checks the access key, not the signature: the secret key signs real requests all the same.
    passing: () => ({
      label: 'the secret key',
      fields: { probe: 'minio', url: `http://127.0.0.1:${s3port}`, access_key: 'S3RVER', secret_key: SECRET, expect: { health: false, buckets, max_latency: '5s' } },
    }),
    failing: () => [
      { label: 'unknown access key', reason: 'auth', fields: { ...rows.minio!.passing().fields, access_key: `GTINV${unique().toUpperCase()}`, secret_key: WRONG } },
      { label: 'wrong port', reason: 'refused', fields: { ...rows.minio!.passing().fields, url: `http://127.0.0.1:${closed}` } },
    ],
    tarpit: (port) => ({ label: 'tarpit', fields: { ...rows.minio!.passing().fields, url: `http://127.0.0.1:${port}` } }),
  },

  grpc: {
    peer: 'a grpc-js server with the standard health service, behind a bearer token',
    passing: () => ({
      label: 'a bearer token in the metadata',
      fields: { probe: 'grpc', address: `127.0.0.1:${grpcPort}`, grpc_service: 'app.Api', metadata: { authorization: `Bearer ${SECRET}` }, expect: { max_latency: '5s' } },
    }),
    failing: () => [
      // The server's refusal echoes the token it got.
      { label: 'wrong token', reason: 'auth', fields: { ...rows.grpc!.passing().fields, metadata: { authorization: `Bearer ${WRONG}` } } },
      { label: 'wrong port', reason: 'refused', fields: { ...rows.grpc!.passing().fields, address: `127.0.0.1:${closed}` } },
      { label: 'a service the server does not know', reason: 'status', fields: { ...rows.grpc!.passing().fields, grpc_service: 'app.Missing' } },
    ],
    tarpit: (port) => ({ label: 'tarpit', fields: { ...rows.grpc!.passing().fields, address: `127.0.0.1:${port}` } }),
  },

  websocket: {
    peer: 'a ws echo server, behind a bearer token',
    passing: () => ({
      label: 'a bearer token header, a message echoed',
      fields: {
        probe: 'websocket',
        url: `ws://127.0.0.1:${wsPort}/echo`,
        headers: { Authorization: `Bearer ${SECRET}` },
        send: 'ping',
        expect: { message_contains: 'ping', message_matches: '^p', max_latency: '5s' },
      },
    }),
    failing: () => [
      { label: 'wrong token (401)', reason: 'auth', fields: { ...rows.websocket!.passing().fields, headers: { Authorization: `Bearer ${WRONG}` } } },
      { label: 'wrong port', reason: 'refused', fields: { ...rows.websocket!.passing().fields, url: `ws://127.0.0.1:${closed}/echo` } },
    ],
    tarpit: (port) => ({ label: 'tarpit', fields: { ...rows.websocket!.passing().fields, url: `ws://127.0.0.1:${port}/echo` } }),
  },

  mongodb: {
    peer: 'mongodb-mock-server (no MongoDB server can be installed here; it logs in with SCRAM-SHA-256)',
    passing: () => ({
      label: 'a user whose password is the credential',
      fields: { probe: 'mongodb', url: `mongodb://probe:${SECRET}@127.0.0.1:${mongo}/app`, expect: { role: 'standalone', databases: ['app'], collections: ['orders'], max_latency: '5s' } },
    }),
    failing: () => [
      { label: 'wrong password (code 18)', reason: 'auth', fields: { ...rows.mongodb!.passing().fields, url: `mongodb://probe:${WRONG}@127.0.0.1:${mongo}/app` } },
      { label: 'wrong port', reason: 'refused', fields: { ...rows.mongodb!.passing().fields, url: `mongodb://probe:${SECRET}@127.0.0.1:${closed}/app` } },
    ],
    tarpit: (port) => ({ label: 'tarpit', fields: { ...rows.mongodb!.passing().fields, url: `mongodb://probe:${SECRET}@127.0.0.1:${port}/app` } }),
  },

  nats: {
    peer: 'a nats-server with JetStream started by this file (user and password)',
    passing: () => ({ label: 'a password in the URL', fields: { probe: 'nats', url: `nats://probe:${SECRET}@127.0.0.1:${natsAuth}`, expect: { jetstream: true, max_latency: '5s' } } }),
    failing: () => [
      { label: 'wrong password', reason: 'auth', fields: { ...rows.nats!.passing().fields, url: `nats://probe:${WRONG}@127.0.0.1:${natsAuth}` } },
      { label: 'wrong port', reason: 'refused', fields: { ...rows.nats!.passing().fields, url: `nats://probe:${SECRET}@127.0.0.1:${closed}` } },
      { label: 'a stream that does not exist', reason: 'expectation', fields: { ...rows.nats!.passing().fields, expect: { jetstream: true, streams: ['GT_INV_NONE'], max_latency: '5s' } } },
    ],
    tarpit: (port) => ({ label: 'tarpit', fields: { ...rows.nats!.passing().fields, url: `nats://probe:${SECRET}@127.0.0.1:${port}` } }),
  },

  mysql: {
    peer: 'the MariaDB on 127.0.0.1:3306, database test',
    passing: () => ({
      label: 'a user whose password is the credential',
      fields: { probe: 'mysql', url: `mysql://${mysqlUser}:${SECRET}@127.0.0.1:3306/test`, expect: { read_only: false, query: 'SELECT 1', max_latency: '5s' } },
    }),
    failing: () => [
      { label: 'wrong password (1045)', reason: 'auth', fields: { ...rows.mysql!.passing().fields, url: `mysql://${mysqlUser}:${WRONG}@127.0.0.1:3306/test` } },
      { label: 'wrong port', reason: 'refused', fields: { ...rows.mysql!.passing().fields, url: `mysql://${mysqlUser}:${SECRET}@127.0.0.1:${closed}/test` } },
    ],
    tarpit: (port) => ({ label: 'tarpit', fields: { ...rows.mysql!.passing().fields, url: `mysql://${mysqlUser}:${SECRET}@127.0.0.1:${port}/test` } }),
  },

  file: {
    peer: 'files in a temp dir (no network peer)',
    // The kind takes no credential: the planted one is the files' content, which the probe never reads.
    passing: () => ({
      label: 'files whose content is the credential',
      fields: { probe: 'file', path: `${filesHoldingTheSecret()}/*.dump`, expect: { min_size: '1k', max_age: '1h', min_count: 2, max_latency: '5s' } },
      env: { GT_INV_FILE_CONTENT: SECRET },
    }),
    failing: () => [
      { ...rows.file!.passing(), label: 'nothing matches', reason: 'expectation', fields: { ...rows.file!.passing().fields, path: `${filesHoldingTheSecret()}/*.sql.gz` } },
      { ...rows.file!.passing(), label: 'smaller than wanted', reason: 'expectation', fields: { ...rows.file!.passing().fields, expect: { min_size: '1GB', min_count: 3 } } },
    ],
    tarpit: { notApplicable: 'no socket; a filesystem that never answers (a hung NFS mount) ends in timeout in test/probes/file.test.ts' },
  },
}

// ------------------------------------------------------------------ runs

/** One run through probeService, then everything that shows its result. */
async function probe(run: Run, sentinel?: number) {
  const { config, service } = configOf({ timeout: TIMEOUT, ...run.fields }, run.env)
  const logs: string[] = []
  // No mask on this logger: what probeService logs must already be clean.
  const log = createLogger({ level: 'debug', write: (line) => logs.push(line) })
  const { value: result, ...timing } = await timed(() => probeService(service, config, log, process.cwd()), sentinel)
  const store = new ResultStore()
  store.setServices(config.services)
  store.record(result)
  const status = buildStatus(store.snapshot(), config)
  const outputs: Record<string, string> = {
    'the result': JSON.stringify(result),
    'the /status document': JSON.stringify(status),
    'the Markdown report': renderMarkdown(status, config.file),
    "probeService's log": logs.join('\n'),
    'the console': printed.splice(0).join('\n'),
  }
  return { ...timing, result, service, outputs, logged: logs.length }
}

/** (a) for any outcome, (b) and (c) for every run. */
async function judge(t: Test, run: Run, ran: Awaited<ReturnType<typeof probe>>): Promise<void> {
  t.same(
    ran.result.checks.map((c) => c.name),
    checkNamesOf(ran.service),
    'the checks reported are checkNamesOf(service), in order',
  )
  const planted = Object.entries(PLANTED).filter(([, value]) => JSON.stringify(run).includes(value))
  t.ok(planted.length > 0, 'the run carries a planted credential')
  t.ok(ran.logged > 0, 'probeService logged the run')
  for (const [where, text] of Object.entries(ran.outputs)) {
    for (const [what, value] of planted) t.notOk(text.includes(value), `${where} never shows the ${what}`)
  }
  await settle()
  t.same(clientSockets(), [], 'no client socket outlives the run')
}

t.test('every registered probe kind has a row, and every row a registered kind', async (t) => {
  t.same([...PROBE_KINDS.keys()].filter((kind) => !rows[kind]), [], 'kinds without a row')
  t.same(Object.keys(rows).filter((kind) => !PROBE_KINDS.has(kind)), [], 'rows without a kind')
})

for (const kind of PROBE_KINDS.keys()) {
  const row = rows[kind]
  if (!row) continue // failed above
  t.test(`${kind} against ${row.peer}`, async (t) => {
    t.test('passing, several expectations configured', async (t) => {
      const run = row.passing()
      const ran = await probe(run)
      t.equal(ran.result.ok, true, ran.result.error ?? 'ok')
      t.ok(checkNamesOf(ran.service).length >= 2, `several checks: ${checkNamesOf(ran.service).join(', ')}`)
      t.ok(
        ran.result.checks.every((c) => c.ok),
        'every check passed',
      )
      await judge(t, run, ran)
    })

    for (const run of row.failing()) {
      t.test(`failing: ${run.label}`, async (t) => {
        const ran = await probe(run)
        t.equal(ran.result.ok, false)
        t.equal(ran.result.reason, run.reason, ran.result.error ?? '')
        await judge(t, run, ran)
      })
    }

    t.test(`a tarpit: timeout, bounded by a plain ${TARPIT_TIMEOUT_MS}ms timer armed with the run`, async (t) => {
      if (typeof row.tarpit !== 'function') return void t.pass(`does not apply: ${row.tarpit.notApplicable}`)
      const run = row.tarpit(pit)
      run.fields = { ...run.fields, timeout: `${TARPIT_TIMEOUT_MS}ms` }
      const ran = await probe(run, TARPIT_TIMEOUT_MS)
      t.equal(ran.result.ok, false)
      t.equal(ran.result.reason, 'timeout', ran.result.error ?? '')
      t.ok(notBeforeTimeout(ran.ms, TARPIT_TIMEOUT_MS), `not before the timeout (${ran.ms.toFixed(1)}ms)`)
      t.ok(
        lateness(ran) <= TARPIT_TIMEOUT_MS * 0.1,
        `at most 10% of the timeout after the plain timer fired (${ran.ms.toFixed(1)}ms; the timer at ${ran.sentinelMs?.toFixed(1)}ms)`,
      )
      await judge(t, run, ran)
    })
  })
}
