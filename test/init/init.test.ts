// `groundtruth init` and compose discovery, on compose files that mirror the
// hand-written reports' stacks (seeds/004 OpenMeet in fixtures/openmeet; a
// FastAPI stack with workers below). Every planted secret is looked for in
// everything init prints and writes.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { parse as parseDotenv } from 'dotenv'
import { parse as parseYaml } from 'yaml'
import { PROBE_KINDS } from '../../probes/index.js'
import { main } from '../../src/cli.js'
import { parseConfig } from '../../src/config/load.js'
import { captureIo as capture } from '../helpers/io.js'

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures')
const PLANTED = /planted-SECRET|SECRET-000\d/


function openmeet(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'gt-init-')), 'openmeet')
  cpSync(join(FIXTURES, 'openmeet'), dir, { recursive: true })
  return dir
}

function project(files: Record<string, string>, name = 'stack'): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'gt-init-')), name)
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true })
    writeFileSync(join(dir, file), text)
  }
  return dir
}

type Svc = Record<string, unknown> & { name: string }
const services = (text: string) => (parseYaml(text) as { services: Svc[] }).services
const byName = (text: string, name: string) => services(text).find((s) => s.name === name)!

t.test('init writes a commented config from the OpenMeet compose stack', async (t) => {
  const dir = openmeet()
  const io = capture(dir)
  t.equal(await main(['init'], io), 0, io.err)
  const text = readFileSync(join(dir, 'groundtruth.yml'), 'utf8')
  t.notMatch(text + io.out + io.err, PLANTED, 'no planted secret anywhere')
  t.match(io.out, /docker-compose\.yml: compose project "openmeet" \(from the compose file's name:\), 12 services/)
  t.match(io.out, /postgres\s+postgres\s+image postgres:15-alpine: postgres; container openmeet-postgres \(container_name\)/)
  t.match(io.out, /could not, or needs a person:\n/)
  t.match(io.out, /service debug-ui left out: only in profile debug/)
  t.match(io.out, /wrote groundtruth\.yml: 12 services; check it with: groundtruth validate --config groundtruth\.yml \(with \.env loaded/)
  t.match(text, /^# Written by `groundtruth init` from docker-compose\.yml/)
  t.match(text, /# NOTE: RABBITMQ_DEFAULT_PASS is written in the compose file itself: not copied/)

  t.same(byName(text, 'postgres'), {
    name: 'postgres', group: 'infrastructure', probe: 'postgres',
    url: 'postgres://${POSTGRES_USER:-openmeet}:${POSTGRES_PASSWORD}@127.0.0.1:5432/${POSTGRES_DB}', container: 'openmeet-postgres',
  }, 'a secret default is dropped, a plain one kept')
  t.equal(byName(text, 'redis').url, 'redis://:${REDIS_PASSWORD}@127.0.0.1:6380/0', '--requirepass, published port')
  t.equal(byName(text, 'rabbitmq').url, 'amqp://${RABBITMQ_USER}:${RABBITMQ_DEFAULT_PASS}@127.0.0.1:5674')
  t.equal(byName(text, 'elasticsearch').url, 'http://127.0.0.1:9200', 'security off: no credentials')
  t.match(byName(text, 'minio'), { url: 'http://127.0.0.1:9000', access_key: '${MINIO_USER}', secret_key: '${MINIO_PASSWORD}' })
  t.match(byName(text, 'mongodb'), { probe: 'mongodb', url: 'mongodb://${MONGO_USER}:${MONGO_PASSWORD}@127.0.0.1:27017/?authSource=admin' })
  t.notMatch(text, /no mongodb probe kind yet/)
  t.match(byName(text, 'ollama'), { group: 'ai', probe: 'http', url: 'http://127.0.0.1:11434/', expect: { body_contains: 'Ollama is running' } })
  t.same(byName(text, 'api'), {
    name: 'api', group: 'backend', probe: 'http', url: 'http://127.0.0.1:4000/health',
    needs_env: ['JWT_SECRET', 'OPENAI_API_KEY', 'POSTGRES_PASSWORD', 'REDIS_PASSWORD'], container: 'openmeet-api', depends_on: ['postgres', 'redis', 'rabbitmq'],
  })
  t.match(byName(text, 'web'), { group: 'frontend', url: 'http://127.0.0.1:3003/', container: 'openmeet-web-1', depends_on: ['api'] })
  t.match(byName(text, 'ai-service'), { url: 'http://127.0.0.1:5001/api/health', depends_on: ['postgres', 'ollama'] })
  t.match(byName(text, 'transcriber'), { group: 'workers', probe: 'container', container: 'openmeet-transcriber-1', needs_env: ['HF_TOKEN'] })
  t.notOk(services(text).some((s) => s.name === 'debug-ui'))
  const top = parseYaml(text) as Record<string, unknown>
  t.same(top.env, [{ file: '.env', example: '.env.example' }])
  t.equal(top.environment, 'production')

  // Usable with the .env loaded (and the one secret compose holds literally exported).
  const env = { ...parseDotenv(readFileSync(join(dir, '.env'))), RABBITMQ_DEFAULT_PASS: 'x' }
  const config = parseConfig(text, join(dir, 'groundtruth.yml'), PROBE_KINDS, env)
  t.equal(config.services.length, 12)
  t.throws(() => parseConfig(text, join(dir, 'groundtruth.yml'), PROBE_KINDS, {}), /POSTGRES_PASSWORD is not set/, 'without them it says which')

  const again = capture(dir)
  t.equal(await main(['init'], again), 2, 'an existing file is kept')
  t.match(again.err, /groundtruth\.yml exists; not overwritten \(pass --force/)
  writeFileSync(join(dir, 'groundtruth.yml'), 'mine')
  t.equal(await main(['init', '--force'], capture(dir)), 0)
  t.not(readFileSync(join(dir, 'groundtruth.yml'), 'utf8'), 'mine', '--force replaces it')

  const piped = capture(dir)
  t.equal(await main(['init', '--out', '-', '--from', 'docker-compose.yml'], piped), 0)
  t.match(piped.out, /^# Written by/, 'the config on stdout')
  t.match(piped.err, /compose project "openmeet"/, 'the summary on stderr')
  t.notMatch(piped.out + piped.err, PLANTED)
})

t.test('without a config file, validate and check discover from the compose file and say so', async (t) => {
  const dir = openmeet()
  const io = capture(dir)
  t.equal(await main(['validate'], io), 0, io.err)
  t.match(io.err, /no groundtruth\.yml; discovered from the compose file/)
  t.match(io.out, /docker-compose\.yml \(discovered\): ok, 12 services/)
  t.notMatch(io.out + io.err, PLANTED)

  const profiles = project({ 'compose.yaml': 'services:\n  x:\n    image: redis\n    profiles: [dev]\n' })
  const none = capture(profiles)
  t.equal(await main(['validate'], none), 2)
  t.match(none.err, /no service to discover in the compose file/)
})

t.test('a FastAPI stack with workers: compose names, unpublished ports, literal secrets, env_file', async (t) => {
  const dir = project(
    {
      'docker-compose.yml': `
services:
  db:
    image: postgis/postgis:15-3.4
    environment:
      - POSTGRES_PASSWORD=literal-pg-SECRET-0003
      - POSTGRES_DB=brain hub
  cache:
    image: bitnami/redis:7.2
    command: ["redis-server", "--requirepass", "literal-redis-SECRET-0004"]
    expose: ["6379"]
  broker:
    image: rabbitmq:3.13
    ports: ["5672"]
  search:
    image: elasticsearch:8.11.0
    environment:
      ELASTIC_PASSWORD: \${ELASTIC_PASSWORD:-es-default-SECRET-0005}
    ports: ["127.0.0.1:9201:9200"]
  store:
    image: quay.io/minio/minio
    network_mode: host
  brain.hub:
    build: ./services/brain
    env_file: [./services/brain/.env]
    environment:
      DATABASE_URL: \${DATABASE_URL}
    ports:
      - target: 8001
        published: "8001"
    healthcheck:
      test: ["CMD-SHELL", "python -c \\"import urllib.request; urllib.request.urlopen('http://localhost:8001/api/health')\\""]
    depends_on: [db, cache]
  auth:
    image: brainhub/auth:1.0
    expose: [8007]
    depends_on: { db: { condition: service_healthy } }
  worker:
    build: ./services/worker
    command: celery -A tasks worker
    deploy: { replicas: 3 }
    depends_on: [broker]
  docs:
    image: nginx:alpine
    ports: ["8080-8081:80"]
`,
      'services/brain/.env': 'BRAIN_API_KEY=brain-planted-SECRET-6666\nPOSTGRES_USER=brain\n',
      'services/brain/.env.example': 'BRAIN_API_KEY=\nPOSTGRES_USER=\n',
    },
    'Brain_Hub.Platform',
  )
  const io = capture(dir, { COMPOSE_PROFILES: '' })
  t.equal(await main(['init', '--out', 'ops/groundtruth.yml'], io), 0, io.err)
  const text = readFileSync(join(dir, 'ops/groundtruth.yml'), 'utf8')
  t.notMatch(text + io.out + io.err, PLANTED)
  t.notMatch(text + io.out + io.err, /es-default/)
  t.match(io.out, /compose project "brain_hubplatform" \(from the directory name\)/)
  t.same(byName(text, 'db'), {
    name: 'db', group: 'infrastructure', probe: 'postgres', url: 'postgres://postgres:${POSTGRES_PASSWORD}@db:5432/brain%20hub', container: 'brain_hubplatform-db-1',
  })
  t.match(io.out, /db: port 5432 is not published: the address is the compose network's \(db:5432\)/)
  t.match(io.out, /db: POSTGRES_PASSWORD is written in the compose file itself: not copied/)
  t.equal(byName(text, 'cache').url, 'redis://:${REDIS_PASSWORD}@cache:6379/0')
  t.match(io.out, /the --requirepass password is written in the compose file itself/)
  t.equal(byName(text, 'broker').url, 'amqp://guest:guest@broker:5672')
  t.match(io.out, /broker: port 5672 is published on a random host port/)
  t.match(io.out, /guest user may only log in from localhost/)
  t.equal(byName(text, 'search').url, 'http://elastic:${ELASTIC_PASSWORD}@127.0.0.1:9201')
  t.match(byName(text, 'store'), { probe: 'minio', url: 'http://127.0.0.1:9000' })
  t.notOk('access_key' in byName(text, 'store'))
  t.same(byName(text, 'brain-hub'), {
    name: 'brain-hub', group: 'backend', probe: 'http', url: 'http://127.0.0.1:8001/api/health', container: 'brain_hubplatform-brain.hub-1', depends_on: ['db', 'cache'],
  })
  t.match(byName(text, 'auth'), { probe: 'http', url: 'http://auth:8007/', depends_on: ['db'] })
  t.match(byName(text, 'worker'), { group: 'workers', probe: 'container', container: 'brain_hubplatform-worker-1' })
  t.match(io.out, /worker: 3 replicas: the container judged is the first/)
  t.match(byName(text, 'docs'), { group: 'frontend', url: 'http://127.0.0.1:8080/' })
  t.same((parseYaml(text) as { env: unknown }).env, [{ file: '../services/brain/.env', example: '../services/brain/.env.example' }], 'paths relative to the config')
  t.notMatch(io.out, /DATABASE_URL/, 'an app variable the config does not use is not reported')
})

t.test('compose interpolation, extends and profiles', async (t) => {
  const dir = project({
    'compose.yaml': `
name: \${STACK:-Demo_Stack}
services:
  base-db: &db
    image: \${PG_IMAGE:-postgres:16}
    environment: { POSTGRES_USER: app, POSTGRES_DB: "\${DB_NAME-app}" }
    ports: ["\${PG_PORT:-5433}:5432"]
  db:
    extends: base-db
    environment: { POSTGRES_PASSWORD: "\${PG_PASS:?set it}" }
  other:
    extends: { file: common.yml, service: cache }
    depends_on: [db, nothere]
  lit:
    image: "registry.local/app:\$\${TAG}"
    ports: ["9999:9999"]
    profiles: [extra]
`,
    'common.yml': 'services:\n  cache:\n    image: redis\n    ports: ["6379:6379"]\n',
  })
  const io = capture(dir, { COMPOSE_PROFILES: 'extra' })
  t.equal(await main(['init', '--out', '-'], io), 0, io.err)
  const text = io.out
  t.match(io.err, /compose project "demo_stack" \(from the compose file's name:\)/)
  t.equal(byName(text, 'db').url, 'postgres://app:${PG_PASS}@127.0.0.1:5433/${DB_NAME:-app}')
  t.match(io.err, /PG_PASS is required by the compose file/)
  t.equal(byName(text, 'other').url, 'redis://127.0.0.1:6379/0')
  t.same(byName(text, 'other').depends_on, ['db'])
  t.match(io.err, /depends_on nothere: not a service of this config/)
  t.match(byName(text, 'lit'), { probe: 'http', container: 'demo_stack-lit-1' })
})

t.test('bad compose files: exit 2, the key path, never a value nor a stack', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['version: "3"\nservics:\n  a: { image: redis }\n', /compose\.yaml:2:1: servics: unknown compose top-level key/],
    ['services:\n  api:\n    image: x\n    enviroment: { TOKEN: planted-SECRET-7777 }\n', /services\.api\.enviroment: unknown compose service key/],
    ['services:\n  api:\n    image: x\n    healthcheck: { tset: [CMD, "true"] }\n', /services\.api\.healthcheck\.tset: unknown healthcheck key/],
    ['services:\n  api:\n    image: x\n    ports: planted-SECRET-7777\n', /services\.api\.ports: expected/],
    ['services:\n  api:\n    extends: nope\n', /services\.api\.extends\.service: no service "nope" to extend/],
    ['services:\n  a: { extends: b }\n  b: { extends: a }\n', /extends cycle/],
    ['services:\n  a: { extends: { service: x, file: missing.yml } }\n', /services\.a\.extends\.file: file not found/],
    ['services:\n  a: [1]\n', /services\.a: expected a mapping/],
    ['services: [a]\n', /services: expected a mapping of service names/],
    ['- just a list\n', /expected a compose file/],
    ['services:\n  a: { image: x\n', /invalid YAML/],
    ['include: [other.yml]\nservices: {}\n', /include is not supported/],
  ]
  for (const [yaml, expected] of cases) {
    const dir = project({ 'compose.yaml': yaml })
    const io = capture(dir)
    t.equal(await main(['init'], io), 2, yaml)
    t.match(io.err, expected, yaml)
    t.notMatch(io.err, /planted-SECRET|\n\s+at /, 'no value, no stack')
  }
  const empty = project({ 'README.md': '' })
  const io = capture(empty)
  t.equal(await main(['init'], io), 2)
  t.match(io.err, /init found no compose file here/)
  t.equal(await main(['init', '--from', 'nope.yml'], (io.err = '', io)), 2)
  t.match(io.err, /nope\.yml: file not found/)
})

t.test('no compose file: init writes the services the conventional variables name, as references', async (t) => {
  const password = 'planted-SECRET-vars-' + Date.now()
  const dir = project({
    '.env': `DATABASE_URL=postgres://app:${password}@127.0.0.1:5432/app\nREDIS_URL=redis://127.0.0.1:6379/0\nAPI_HEALTH_URL=http://127.0.0.1:4000/health\n`,
    '.env.example': 'DATABASE_URL=\nREDIS_URL=\n',
  })
  const io = capture(dir)
  t.equal(await main(['init'], io), 0, io.err)
  t.match(io.out, /no compose file here; from the environment and \.env:/)
  t.match(io.out, /postgres: postgres probe, from DATABASE_URL/)
  const text = readFileSync(join(dir, 'groundtruth.yml'), 'utf8')
  const written = parseYaml(text)
  t.same(
    written.services.map((s: { name: string; probe: string; url: string }) => [s.name, s.probe, s.url]),
    [
      ['api', 'http', '${API_HEALTH_URL}'],
      ['postgres', 'postgres', '${DATABASE_URL}'],
      ['redis', 'redis', '${REDIS_URL}'],
    ],
  )
  t.same(written.env, [{ file: '.env', example: '.env.example' }])
  t.notOk((text + io.out + io.err).includes(password), 'the password is in no output')
  // The file validates with the .env loaded into the environment.
  const env = parseDotenv(readFileSync(join(dir, '.env')))
  t.equal(parseConfig(text, join(dir, 'groundtruth.yml'), PROBE_KINDS, env).services.length, 3)

  const none = capture(project({ 'README.md': '' }))
  t.equal(await main(['init', '--out', '-'], none), 2)
  t.match(none.err, /no conventional variable naming a service/)
  const toStdout = capture(dir)
  t.equal(await main(['init', '--out', '-'], toStdout), 0)
  t.match(toStdout.out, /url: \$\{DATABASE_URL\}/)
  t.match(toStdout.err, /from the environment and \.env/)
})
