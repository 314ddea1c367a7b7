// One `groundtruth check` over every probe kind at once: the machine's real
// PostgreSQL, Redis and RabbitMQ, s3rver (a protocol-level S3 fake) for
// MinIO, and a protocol-level fake of Elasticsearch's REST API (no real
// Elasticsearch can run here), plus HTTP services that depend on them.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { Agent } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from 'minio'
import S3rver from 's3rver'
import t from 'tap'
import { main, type Io } from '../../src/cli.js'
import { writeConfig } from '../helpers/config.js'
import { httpServer } from '../helpers/servers.js'

const unique = randomBytes(5).toString('hex')
const RABBIT_PASSWORD = `wrong-Rabbit-${unique}`
const bucket = `gt-recordings-${unique}`

t.test('check reports each kind correctly, service by service (s3rver, fake Elasticsearch REST)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gt-s3-'))
  const s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir })
  const { port: s3port } = await s3.run()
  t.teardown(async () => {
    await s3.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const agent = new Agent({ keepAlive: true })
  await new Client({ endPoint: '127.0.0.1', port: s3port, useSSL: false, accessKey: 'S3RVER', secretKey: 'S3RVER', transportAgent: agent }).makeBucket(bucket)
  agent.destroy()

  const es = await httpServer((req, res) => {
    res.setHeader('x-elastic-product', 'Elasticsearch')
    res.setHeader('content-type', 'application/json')
    if (req.url?.startsWith('/_cluster/health')) res.end(JSON.stringify({ cluster_name: 'gt', status: 'yellow', number_of_nodes: 1, unassigned_shards: 3 }))
    else {
      res.statusCode = 404
      res.end()
    }
  })
  const api = await httpServer((_req, res) => res.end('{"status":"ok"}'))
  t.teardown(es.close)
  t.teardown(api.close)

  const { file } = writeConfig(`
defaults: { timeout: 3s }
services:
  - { name: postgres, group: infrastructure, probe: postgres, url: "postgres://postgres@127.0.0.1:5432/postgres", expect: { schemas: [public], query: "SELECT 1" } }
  - { name: analytics-db, group: infrastructure, probe: postgres, url: "postgres://postgres@127.0.0.1:5432/gt_missing_${unique}" }
  - { name: redis, group: infrastructure, probe: redis, url: "redis://127.0.0.1:6379", expect: { role: master } }
  - { name: rabbitmq, group: infrastructure, probe: rabbitmq, url: "amqp://guest:guest@127.0.0.1:5672/" }
  - { name: rabbitmq-app, group: infrastructure, probe: rabbitmq, url: "amqp://guest:\${RABBIT_PASSWORD}@127.0.0.1:5672/" }
  - { name: elasticsearch, group: infrastructure, probe: elasticsearch, url: "http://127.0.0.1:${es.port}", expect: { status: green } }
  - { name: minio, group: infrastructure, probe: minio, url: "http://127.0.0.1:${s3port}", access_key: S3RVER, secret_key: S3RVER, expect: { health: false, buckets: [${bucket}] } }
  - { name: api, group: backend, probe: http, url: "http://127.0.0.1:${api.port}/health", expect: { json: { status: ok } }, depends_on: [postgres, redis, minio] }
  - { name: search, group: backend, probe: http, url: "http://127.0.0.1:${api.port}/search", depends_on: [elasticsearch] }
gates: { min_ready_ratio: 0.5 }
`)
  let out = ''
  let err = ''
  const io: Io = { stdout: (s) => void (out += s), stderr: (s) => void (err += s), isTTY: false, cwd: process.cwd(), env: { RABBIT_PASSWORD } }
  const code = await main(['check', '--config', file, '--format', 'json'], io)
  const doc = JSON.parse(out)
  const byName = Object.fromEntries(doc.services.map((s: { name: string }) => [s.name, s]))
  const row = (name: string) => {
    const s = byName[name]
    return [s.state, s.reason, s.checks.map((c: { name: string; ok: boolean }) => `${c.name}=${c.ok ? 1 : 0}`).join(' ')]
  }
  t.same(row('postgres'), ['ready', null, 'schema:public=1 query=1'])
  t.same(row('analytics-db'), ['down', 'error', ''])
  t.match(byName['analytics-db'].error, /3D000/)
  t.equal(byName['analytics-db'].info.sqlstate, '3D000', 'SQLSTATE in /status')
  t.same(row('redis'), ['ready', null, 'role=1'])
  t.same(row('rabbitmq'), ['ready', null, ''])
  t.same(row('rabbitmq-app'), ['down', 'auth', ''])
  t.same(row('elasticsearch'), ['down', 'expectation', 'cluster_status=0'])
  t.equal(byName.elasticsearch.info.cluster_status, 'yellow')
  t.same(row('minio'), ['ready', null, `bucket:${bucket}=1`])
  t.same(row('api'), ['ready', null, 'status=1 json=1'])
  t.same(row('search'), ['not_ready', null, 'status=1'])
  t.same(byName.search.blocked_by, ['elasticsearch'])
  t.equal(byName.postgres.target, '127.0.0.1:5432/postgres')
  t.equal(byName['rabbitmq-app'].target, '127.0.0.1:5672//')
  t.equal(doc.ready_ratio, 5 / 9, 'postgres, redis, rabbitmq, minio and api')
  t.equal(code, 0, 'the 50% gate passes at 56%')
  t.notOk((out + err).includes(RABBIT_PASSWORD), 'the planted password is in no output')
})
