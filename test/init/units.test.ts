// The pieces of init on their own: compose interpolation, ports, images,
// project names, merging, and the kinds used when they are registered.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { mergeService, normaliseProjectName, projectName, readComposeFile } from '../../src/init/compose.js'
import { imageKind, imageName, inferProject, parsePorts, serviceName } from '../../src/init/infer.js'
import { interpolate, toTemplate } from '../../src/init/interpolate.js'

t.test('interpolation as compose does it, and the reference groundtruth writes', async (t) => {
  const env = { A: 'a', E: '', S: 'planted-SECRET-9999' }
  const cases: Array<[string, string, string | undefined, string | undefined]> = [
    // text, value, template with defaults, template without
    ['$A-${A}', 'a-a', '${A}-${A}', '${A}-${A}'],
    ['${E:-d}|${E-d}|${U-d}', 'd||d', '${E:-d}|${E:-d}|${U:-d}', '${E}|${E}|${U}'],
    ['${U:-${A}}', 'a', '${U}', '${U}'],
    ['${E:?need}${U?need}', '', '${E}${U}', '${E}${U}'],
    ['${A:+yes}${E:+no}${E+set}${U+no}', 'yesset', undefined, undefined],
    ['$$A $${A} $ $1 ${', '$A ${A} $ $1 ${', '$A $${A} $ $1 $${', '$A $${A} $ $1 $${'],
    ['${A B}', '${A B}', undefined, undefined],
    ['${1}', '${1}', undefined, undefined],
    ['${U:-{x}}', '{x}', '${U}', '${U}'],
  ]
  for (const [text, value, withDefaults, bare] of cases) {
    const r = interpolate(text, env)
    t.equal(r.value, value, text)
    t.equal(toTemplate(r.parts, true), withDefaults, `${text} template`)
    t.equal(toTemplate(r.parts, false), bare, `${text} bare`)
  }
  const r = interpolate('${U}${E:?x}${W?y}${V:-${X}}', env)
  t.same(r.unset, ['U', 'X'])
  t.same(r.required, ['E', 'W'])
  t.same(interpolate('${A:-x}${A:-$S}', env).refs, ['A', 'A', 'S'])
})

t.test('ports, images, names', async (t) => {
  t.same(parsePorts(['5432:5432', '127.0.0.1:6380:6379/tcp', 9200, '[::1]:1:2', '9000-9001:9000-9001', '7000', '8080-8081:80', 'x:y', { target: 80, published: 8080, host_ip: '0.0.0.0' }, { target: '81' }]), [
    { container: 5432, host: 5432 },
    { container: 6379, host: 6380, hostIp: '127.0.0.1' },
    { container: 9200 },
    { container: 2, host: 1, hostIp: '::1' },
    { container: 9000, host: 9000 },
    { container: 9001, host: 9001 },
    { container: 7000 },
    { container: 80, host: 8080 },
    { container: 80, host: 8080, hostIp: '0.0.0.0' },
    { container: 81 },
  ])
  t.equal(imageName('docker.elastic.co/elasticsearch/elasticsearch:8.11.0'), 'elasticsearch')
  t.equal(imageName('postgres@sha256:abc'), 'postgres')
  t.same(imageKind('timescale/timescaledb-ha:pg16'), ['postgres', 5432])
  t.same(imageKind('bitnami/postgresql'), ['postgres', 5432])
  t.same(imageKind('valkey/valkey:8'), ['redis', 6379])
  t.same(imageKind('mariadb:11'), ['mysql', 3306])
  t.same(imageKind('vllm/vllm-openai:latest'), ['vllm', 8000])
  t.equal(imageKind('openmeet-api:latest'), undefined)
  t.equal(imageKind(undefined), undefined)
  t.equal(serviceName('Brain.Hub'), 'brain-hub')
  t.equal(normaliseProjectName('__My Project.v2-X'), 'myprojectv2-x')
  t.same(projectName(undefined, { COMPOSE_PROJECT_NAME: 'From_Env' }, '/srv/dir'), { project: 'from_env', from: 'COMPOSE_PROJECT_NAME' })
  t.same(mergeService({ environment: ['A=1', 'B'], ports: ['1:1'], command: ['a'], healthcheck: { test: 'x', interval: '5s' }, labels: 'bad' }, { environment: { A: 2 }, ports: ['1:1', '2:2'], command: ['b'], healthcheck: { test: 'y' }, labels: ['l=1'] }), {
    environment: { A: 2, B: null },
    ports: ['1:1', '2:2'],
    command: ['b'],
    healthcheck: { test: 'y', interval: '5s' },
    labels: { l: '1' },
  })
})

t.test('registered kinds are used, the rest falls back to tcp; healthchecks and host networking', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gt-init-units-'))
  writeFileSync(
    join(dir, 'compose.yml'),
    `
services:
  mongo:
    image: mongo:7
    environment: { MONGO_INITDB_ROOT_USERNAME: root, MONGO_INITDB_ROOT_PASSWORD: "\${MONGO_PASSWORD}" }
    ports: ["27017:27017"]
  anon-mongo: { image: bitnami/mongodb, expose: [27017] }
  mysql:
    image: mysql:8
    environment: { MYSQL_ROOT_PASSWORD: "\${ROOT_PW:-planted-SECRET-8888}", MYSQL_DATABASE: shop }
    network_mode: host
  maria:
    image: mariadb
    environment: { MARIADB_USER: shop, MARIADB_PASSWORD: "\${SHOP_PW}" }
  nats: { image: nats:2, ports: ["4222:4222"] }
  pg-trust:
    image: postgres
    environment: [POSTGRES_HOST_AUTH_METHOD=trust, POSTGRES_USER]
  redis-default:
    image: redis
    command: redis-server --requirepass "\${RP:-planted-SECRET-8889}"
  redis-env:
    image: bitnami/redis
    environment: { REDIS_PASSWORD: "\${RPW}" }
  es: { image: elasticsearch:8.11.0 }
  rabbit-vhost:
    image: rabbitmq
    environment: { RABBITMQ_DEFAULT_USER: app, RABBITMQ_DEFAULT_PASS: "\${RMQ}", RABBITMQ_DEFAULT_VHOST: jobs }
  minio-keys:
    image: minio/minio
    environment: { MINIO_ACCESS_KEY: ak, MINIO_SECRET_KEY: planted-SECRET-8890 }
  hc-remote:
    image: app
    healthcheck: { test: "curl -f http://user:pw@other:8080/ready?x=1" }
  hc-https:
    image: app
    ports: ["8443:443"]
    healthcheck: { test: ["CMD", "curl", "-fk", "https://localhost/health"] }
  hc-disabled:
    image: app
    healthcheck: { disable: true, test: "curl http://localhost:1/" }
  hc-none:
    image: app
    healthcheck: { test: ["NONE"] }
  hc-bad:
    image: app
    healthcheck: { test: "curl http://[bad/" }
  vllm: { image: vllm/vllm-openai, ports: ["8000:8000"] }
  App: { image: app }
  app: { image: app, x-note: ok }
  empty:
`,
  )
  writeFileSync(join(dir, '.env.example'), 'MONGO_PASSWORD=\n')
  const compose = readComposeFile(join(dir, 'compose.yml'), { MONGO_PASSWORD: 'planted-SECRET-8891' })
  const inference = inferProject(compose, { outDir: dir, kinds: new Set(['mongodb', 'mysql']) })
  const text = JSON.stringify(inference.services) + JSON.stringify(inference.notes)
  t.notMatch(text, /planted-SECRET/, 'no secret in the inference')
  const svc = (name: string) => inference.services.find((s) => s.config.name === name)!
  t.match(svc('mongo').config, { probe: 'mongodb', url: 'mongodb://root:${MONGO_PASSWORD}@127.0.0.1:27017/?authSource=admin' })
  t.match(svc('anon-mongo').config, { probe: 'mongodb', url: 'mongodb://anon-mongo:27017/' })
  t.match(svc('mysql').config, { probe: 'mysql', url: 'mysql://root:${ROOT_PW}@127.0.0.1:3306/shop' })
  t.same(inference.fallbackEnv, { ROOT_PW: 'planted-SECRET-8888', RP: 'planted-SECRET-8889', MINIO_ACCESS_KEY: 'ak', MINIO_SECRET_KEY: 'planted-SECRET-8890' }, 'kept for discovery, in memory')
  t.match(svc('maria').config, { url: 'mysql://shop:${SHOP_PW}@maria:3306/' })
  t.match(svc('nats').config, { probe: 'tcp', address: '127.0.0.1:4222' })
  t.match(svc('pg-trust').config, { url: 'postgres://${POSTGRES_USER}@pg-trust:5432/${POSTGRES_USER}' })
  t.notOk(svc('pg-trust').notes.some((n) => /no POSTGRES_PASSWORD/.test(n)))
  t.match(svc('redis-default').config, { url: 'redis://:${RP}@redis-default:6379/0' })
  t.match(svc('redis-env').config, { url: 'redis://:${RPW}@redis-env:6379/0' })
  t.match(svc('es').config, { url: 'http://es:9200' })
  t.match(svc('rabbit-vhost').config, { url: 'amqp://app:${RMQ}@rabbit-vhost:5672/jobs' })
  t.match(svc('minio-keys').config, { access_key: '${MINIO_ACCESS_KEY}', secret_key: '${MINIO_SECRET_KEY}' }, 'an access key is a credential by its name')
  t.match(svc('hc-remote').config, { url: 'http://other:8080/ready?x=1' })
  t.ok(svc('hc-remote').notes.includes('the healthcheck URL carries credentials: left out'))
  t.match(svc('hc-https').config, { url: 'https://127.0.0.1:8443/health' })
  for (const name of ['hc-disabled', 'hc-none', 'hc-bad', 'app', 'empty']) t.match(svc(name).config, { probe: 'container' }, name)
  t.match(svc('vllm').config, { group: 'ai', url: 'http://127.0.0.1:8000/health' })
  t.match(svc('app-2').config, { container: `${compose.project}-app-1` }, 'a name that collides once lower-cased gets a suffix')
  t.same(inference.env, [{ file: '.env', example: '.env.example' }], 'an example alone is audited too')
  t.equal(inference.environment, undefined)
})
