// The wait index behind "holds back …" in /status findings, the page and the
// report: who is not ready because of a given service, through any depth,
// once each, in the services' order, and a cycle of waits never loops.
import t from 'tap'
import { heldBackIndex, type Waiting } from '../../src/exposition/waits.js'

/** A name and its causes: one that is down and, when it waits on others, the dependency cause naming them. */
const svc = (name: string, waitsOn: string[] = []): Waiting => ({ name, causes: waitsOn.length ? [{ cause: 'down', detail: 'x' }, { cause: 'dependency', detail: 'x', services: waitsOn, roots: [] }] : [] })

t.test('a chain and a diamond: everyone downstream once, in the services order', async (t) => {
  // web waits on api and cache; api and cache wait on db; report waits on web; lone waits on nothing.
  const services = [svc('web', ['api', 'cache']), svc('db'), svc('lone'), svc('report', ['web']), svc('cache', ['db']), svc('api', ['db'])]
  const heldBack = heldBackIndex(services)
  t.same(heldBack('db'), ['web', 'report', 'cache', 'api'])
  t.same(heldBack('api'), ['web', 'report'])
  t.same(heldBack('web'), ['report'])
  t.same(heldBack('lone'), [])
  t.same(heldBack('not-a-service'), [])
})

t.test('a cycle of waits ends, and a service is never its own dependent', async (t) => {
  const heldBack = heldBackIndex([svc('a', ['b']), svc('b', ['c']), svc('c', ['a'])])
  t.same(heldBack('a'), ['b', 'c'])
  t.same(heldBack('c'), ['a', 'b'])
})

t.test('only dependency causes count: an env or down cause naming nothing holds nothing back', async (t) => {
  const env = { name: 'api', causes: [{ cause: 'env', detail: 'x', variables: [{ name: 'db' }] }] } as unknown as Waiting
  t.same(heldBackIndex([svc('db'), env])('db'), [])
})
