// The run history ring (src/history.ts): what goes in comes out, oldest
// first, every state and outcome, the oldest falling out past HISTORY_SIZE.
import t from 'tap'
import { HISTORY_SIZE, RunHistory, type HistoryEntry, type ServiceState } from '../src/history.js'

const STATES: ServiceState[] = ['ready', 'not_ready', 'down', 'pending']
const entry = (i: number): HistoryEntry => ({ at: 1_800_000_000_000 + i * 1000.5, ok: i % 3 !== 0, state: STATES[i % 4]! })

t.test('empty, then filling: every run as it went in, oldest first', async (t) => {
  const h = new RunHistory()
  t.equal(h.length, 0)
  t.same(h.entries(), [])
  t.equal(h.at(0), undefined)
  t.equal(h.at(-1), undefined)
  for (let i = 0; i < 7; i++) h.push(entry(i))
  t.equal(h.length, 7)
  t.same(h.entries(), Array.from({ length: 7 }, (_, i) => entry(i)), 'every state and both outcomes round-trip')
  t.same(h.at(-1), entry(6), 'a negative index counts from the newest')
  t.same(h.at(-7), entry(0))
  t.equal(h.at(-8), undefined)
  t.equal(h.at(7), undefined)
})

t.test('past HISTORY_SIZE the oldest fall out, across several wraps', async (t) => {
  const h = new RunHistory()
  const runs = HISTORY_SIZE * 2 + 37
  for (let i = 0; i < runs; i++) h.push(entry(i))
  t.equal(h.length, HISTORY_SIZE)
  t.same(h.entries(), Array.from({ length: HISTORY_SIZE }, (_, i) => entry(runs - HISTORY_SIZE + i)))
  t.same(h.at(0), entry(runs - HISTORY_SIZE))
  t.same(h.at(-1), entry(runs - 1))
})
