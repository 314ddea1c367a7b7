// `GET /metrics` and `GET /probe` are answered past Express' router
// (src/http/server.ts) and every other spelling of them through it: both ways
// must give the same answer, HEAD included, and a failing view must be a 500
// that is logged, never a hung request or a crash. A fake View keeps the
// answers exact; test/http/security.test.ts holds both ways to the web gate.
import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { createApp, type Selection, type View } from '../../src/http/server.js'
import { createLogger } from '../../src/log.js'

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

function call(port: number, path: string, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => (body += d))
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

interface Fake {
  asked: Selection[]
  failing?: 'metrics' | 'probe'
  busy?: boolean
  starting?: boolean
}

function fakeView(fake: Fake): View {
  return {
    async metrics() {
      if (fake.failing === 'metrics') throw new Error('metrics broke')
      return { contentType: 'text/plain; version=0.0.4; charset=utf-8', text: Buffer.from('groundtruth_up 1\n') }
    },
    unknownIn: (s) => [...s.services, ...s.groups].filter((n) => n.startsWith('nope')),
    async probe(selection) {
      fake.asked.push(selection)
      if (fake.failing === 'probe') throw new Error('probe broke')
      if (fake.busy) return { busy: true, retryAfterSeconds: 7 }
      return { contentType: 'text/plain; version=0.0.4; charset=utf-8', text: `probed ${selection.services.join('+')} ${selection.groups.join('+')}\n` }
    },
    status: () => ({}) as ReturnType<View['status']>,
    targetGroups: () => [],
    ready: () => !fake.starting,
    reload: async () => ({ ok: true }),
  }
}

async function serve(t: Test, fake: Fake): Promise<{ port: number; logs: string[] }> {
  const logs: string[] = []
  const server: Server = createServer(createApp(fakeView(fake), createLogger({ level: 'debug', write: (l) => logs.push(l) })))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => new Promise<void>((r) => server.close(() => r())))
  return { port: (server.address() as AddressInfo).port, logs }
}

t.test('past the router and through it, the same answers', async (t) => {
  const fake: Fake = { asked: [] }
  const { port } = await serve(t, fake)
  for (const [fast, routed] of [
    ['/metrics', '/metrics/'],
    ['/probe?service=a&service=b,c&group=g', '/probe/?service=a&service=b,c&group=g'],
    ['/probe', '/probe/'],
    ['/probe?service=nope1', '/probe/?service=nope1'],
    ['/-/healthy', '/-/healthy/'],
    ['/-/ready', '/-/ready/'],
  ] as const) {
    const a = await call(port, fast)
    const b = await call(port, routed)
    t.same({ status: a.status, type: a.headers['content-type'], body: a.body }, { status: b.status, type: b.headers['content-type'], body: b.body }, `${fast} = ${routed}`)
    t.equal(a.headers['content-length'], String(Buffer.byteLength(a.body)), `${fast}: Content-Length`)
  }
  t.equal((await call(port, '/metrics')).body, 'groundtruth_up 1\n')
  t.same(fake.asked[0], { services: ['a', 'b', 'c'], groups: ['g'] }, 'repeated and comma-separated names, as Express parses them')
  t.match(await call(port, '/probe'), { status: 400, body: /expected \?service=NAME/ })
  t.match(await call(port, '/probe?service=nope1&group=nope2'), { status: 400, body: 'unknown service or group: nope1, nope2\n' })
  t.match(await call(port, '/probe?service=a%2Cb'), { status: 200, body: 'probed a+b \n' }, 'an escaped comma is a comma')
})

t.test('not ready yet: 503 from /-/ready, both ways; /-/healthy still 200', async (t) => {
  const { port } = await serve(t, { asked: [], starting: true })
  for (const path of ['/-/ready', '/-/ready/']) t.match(await call(port, path), { status: 503, body: /first round of probes/ }, path)
  t.match(await call(port, '/-/healthy'), { status: 200, body: 'Healthy\n' })
})

t.test('HEAD: the headers of GET, no body', async (t) => {
  const { port } = await serve(t, { asked: [] })
  const get = await call(port, '/metrics')
  const head = await call(port, '/metrics', 'HEAD')
  t.equal(head.status, 200)
  t.equal(head.body, '')
  t.equal(head.headers['content-length'], get.headers['content-length'])
  t.equal(head.headers['content-type'], get.headers['content-type'])
})

t.test('other methods on the scrape paths are not answered as scrapes', async (t) => {
  const fake: Fake = { asked: [] }
  const { port } = await serve(t, fake)
  t.equal((await call(port, '/probe?service=a', 'POST')).status, 404)
  t.equal(fake.asked.length, 0, 'no probe ran')
})

t.test('a full queue: 503 with Retry-After, both ways', async (t) => {
  const { port } = await serve(t, { asked: [], busy: true })
  for (const path of ['/probe?service=a', '/probe/?service=a']) {
    const a = await call(port, path)
    t.equal(a.status, 503, path)
    t.equal(a.headers['retry-after'], '7')
    t.match(a.body, /retry in 7s/)
  }
})

t.test('a view that throws: a logged 500, and the server goes on', async (t) => {
  for (const failing of ['metrics', 'probe'] as const) {
    const { port, logs } = await serve(t, { asked: [], failing })
    const path = failing === 'metrics' ? '/metrics' : '/probe?service=a'
    const a = await call(port, path)
    t.equal(a.status, 500, path)
    t.equal(a.body, 'internal error\n')
    t.match(logs.join('\n'), new RegExp(`"request failed".*"path":"/${failing}".*${failing} broke`))
    t.equal((await call(port, `/${failing}/${failing === 'probe' ? '?service=a' : ''}`)).status, 500, 'through the router too')
    t.equal((await call(port, '/-/healthy')).status, 200, 'still serving')
  }
})
