// Each service keeps a bounded history of its last runs (a ring buffer),
// which /status carries with the uptime over it, and the page draws.
import t from 'tap'
import { HISTORY_SIZE } from '../../src/results.js'
import { renderPage } from '../../src/presentation/page.js'
import { longHistory, RUNS, START } from './long-history.js'

t.test('the history keeps the last 100 runs, oldest first, each with the state it left the service in', async (t) => {
  const { doc, store } = await longHistory()
  t.equal(HISTORY_SIZE, 100)
  const api = doc.services.find((s) => s.name === 'api')!
  t.equal(api.history.length, HISTORY_SIZE, `bounded: ${RUNS} runs, ${HISTORY_SIZE} kept`)
  t.equal(api.history[0]!.at, new Date(START + (RUNS - HISTORY_SIZE) * 30_000).toISOString(), 'the oldest runs fell out')
  t.equal(api.history.at(-1)!.at, api.last_run, 'the newest is the last run')
  t.same(api.history.at(-1), { at: api.last_run, ok: false, state: 'down' })
  t.same(api.history[1], { at: new Date(START + (RUNS - HISTORY_SIZE + 1) * 30_000).toISOString(), ok: true, state: 'not_ready' }, 'passed but not ready: db is down')
  t.equal(store.get('api')!.history!.length, HISTORY_SIZE, 'the store itself stays bounded')
  // Runs 30..129 are kept: 18 multiples of five below 120 failed, and the last ten.
  t.equal(api.uptime, 0.72, 'uptime over the window')
  t.equal(doc.services.find((s) => s.name === 'db')!.uptime, 0)
  t.equal(doc.services.find((s) => s.name === 'queue')!.uptime, 1)
  t.ok(doc.services.find((s) => s.name === 'queue')!.history.every((h) => h.ok && h.state === 'ready'))
  t.equal(doc.refresh_seconds, 30, 'the page refreshes at the default interval')
})

t.test('a status document keeps the history it saw; the store keeps the last 100', async (t) => {
  // The store keeps one history per service, a ring it writes in place
  // (src/history.ts); what leaves it, the status document, is a copy made
  // when it is built.
  const { doc, store } = await longHistory()
  const before = doc.services.find((s) => s.name === 'queue')!.history
  store.record({ service: 'queue', ok: false, reason: 'timeout', error: 'no answer', checks: [], durationSeconds: 5, finishedAt: START + RUNS * 30_000, info: {}, facts: {}, findings: [] })
  t.equal(before.length, HISTORY_SIZE)
  t.equal(before.at(-1)!.ok, true, 'the earlier document is unchanged')
  t.equal(store.get('queue')!.history!.at(-1)!.ok, false)
  t.equal(store.get('queue')!.history!.at(-1)!.at, START + RUNS * 30_000)
  t.equal(store.get('queue')!.history!.length, HISTORY_SIZE, 'still the last 100')
})

t.test('the page draws 100 cells per service and the uptime, with the container error line in the why', async (t) => {
  const { doc } = await longHistory()
  const html = renderPage(doc)
  const api = /<tr id="svc-api"[^\n]*<\/tr>/.exec(html)![0]
  t.equal(api.match(/<i /g)!.length, 100)
  t.match(api, /aria-label="last 100 runs: 72 passed, 28 failed"/)
  t.match(api, /<td class="uptime num" data-label="uptime">72%<\/td>/)
  t.match(api, /container openmeet-api-1 says: Error: Cannot find module &#39;openai&#39;/)
  t.match(html, /<h2>containers<\/h2>/)
  t.match(html, /<h2>migrations<\/h2>/)
})
