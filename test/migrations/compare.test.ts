// The comparison every migration tool shares, on findings written by hand:
// pending, unknown, failed, edited, skipped, heads, the current migration
// and its time, and an unreadable directory.
import t from 'tap'
import { compare } from '../../probes/postgres/migrations/compare.js'
import type { Found } from '../../probes/postgres/migrations/types.js'
import { names, statusOf, withoutNotes } from './harness.js'

const status = statusOf('knex', {})
const found = (f: Partial<Found>): Found => ({ disk: [], history: [], notes: [], ...f })
const disk = (...list: string[]) => list.map((name) => ({ name }))

t.test('nothing on disk, nothing applied: zeros, no heads', async (t) => {
  t.strictSame(compare('knex', found({})), { ...status({}), notes: [] })
})

t.test('pending, unknown and applied, names sorted by code unit', async (t) => {
  const s = compare('knex', found({ disk: disk('b', 'a', 'C', 'd'), history: [{ name: 'a' }, { name: 'z' }, { name: 'a' }, { name: 'y' }] }))
  t.strictSame(withoutNotes(s), status({ applied: 3, available: 4, pending: 3, unknown: 2, heads: 1, current: 'y', names: names({ pending: ['C', 'b', 'd'], unknown: ['y', 'z'] }) }))
})

t.test('failed: neither applied nor pending, named even without the directory', async (t) => {
  const history = [{ name: 'a' }, { name: 'b', failed: true }]
  t.strictSame(withoutNotes(compare('knex', found({ disk: disk('a', 'b', 'c'), history }))), status({ applied: 1, available: 3, pending: 1, failed: 1, heads: 1, current: 'a', names: names({ pending: ['c'], failed: ['b'] }) }))
  t.strictSame(withoutNotes(compare('knex', found({ disk: undefined, history }))), status({ applied: 1, failed: 1, heads: 1, current: 'a', dirReadable: false, names: names({ failed: ['b'] }) }))
})

t.test('a held lock is one failure without a name', async (t) => {
  t.strictSame(withoutNotes(compare('knex', found({ disk: disk('a'), history: [{ name: 'a' }], lockHeld: true }))), status({ applied: 1, available: 1, failed: 1, heads: 1, current: 'a' }))
})

t.test('checksums: a recorded one the file no longer accepts is an edit', async (t) => {
  const s = compare('prisma', found({
    disk: [{ name: 'edited', checksums: ['new', 'new-crlf'] }, { name: 'crlf', checksums: ['x', 'x-crlf'] }, { name: 'unkept' }, { name: 'failed', checksums: ['f'] }],
    history: [
      { name: 'edited', checksum: 'old' },
      { name: 'crlf', checksum: 'x-crlf' },
      { name: 'unkept', checksum: 'anything' },
      { name: 'failed', checksum: 'other', failed: true },
      { name: 'gone', checksum: 'g' },
    ],
  }))
  t.same(s.names.checksumMismatch, ['edited'], 'not a line-ending variant, not a file without checksums, not a failed row, not a ghost')
  t.equal(s.checksumMismatch, 1)
  t.same(s.names.unknown, ['gone'])
})

t.test('skipped files are neither applied nor pending; external rows are never ghosts', async (t) => {
  const s = compare('flyway', found({ disk: disk('V1', 'V2', 'V3'), history: [{ name: 'V3' }, { name: 'java', external: true }], skip: ['V1'] }))
  t.strictSame(withoutNotes(s), statusOf('flyway', {})({ applied: 2, available: 3, pending: 1, heads: 1, current: 'java', names: names({ pending: ['V2'] }) }))
})

t.test('an unreadable directory: no pending, no unknown, no edits; the database side still counts', async (t) => {
  const s = compare('knex', found({ disk: undefined, history: [{ name: 'a', checksum: 'x', at: 1000.4 }, { name: 'b', at: 2000.6 }], notes: ['migration directory not readable: ENOENT (/x)'] }))
  t.strictSame(s, { ...status({ applied: 2, heads: 1, current: 'b', lastAppliedAt: 2001, dirReadable: false }), notes: ['migration directory not readable: ENOENT (/x)'] })
  t.strictSame(withoutNotes(compare('knex', found({ disk: undefined }))), status({ dirReadable: false }), 'nothing at all: no heads')
})

t.test('heads: 1 when anything is on disk or applied, else what the graph says', async (t) => {
  t.equal(compare('knex', found({ disk: disk('a') })).heads, 1, 'on disk only')
  t.equal(compare('knex', found({ disk: undefined, history: [{ name: 'a' }] })).heads, 1, 'applied only')
  t.equal(compare('alembic', found({ disk: disk('a', 'b'), heads: 2 })).heads, 2)
  t.equal(compare('alembic', found({ disk: undefined, history: [{ name: 'a' }], heads: 0 })).heads, 0)
})

t.test('current and lastAppliedAt: the last applied row and the newest time, unless the reader says', async (t) => {
  const history = [{ name: 'b', at: 3000 }, { name: 'a', at: 1000 }, { name: 'c', failed: true, at: 5000 }]
  const s = compare('knex', found({ disk: disk('a', 'b', 'c'), history }))
  t.equal(s.current, 'a', 'the last applied row in the order given')
  t.equal(s.lastAppliedAt, 3000, 'the newest applied time, not the failed row')
  const told = compare('knex', found({ disk: disk('a', 'b', 'c'), history, current: 'b', lastAppliedAt: 42.7 }))
  t.equal(told.current, 'b')
  t.equal(told.lastAppliedAt, 43)
  const none = compare('flyway', found({ disk: disk('R__v'), history: [{ name: 'R__v' }], current: null }))
  t.notOk('current' in none, 'null: the tool has no current migration')
  t.notOk('lastAppliedAt' in none, 'no times: none')
})

t.test("names in the tool's own order", async (t) => {
  const s = compare('golang-migrate', found({ disk: disk('1', '2', '10', '3'), history: [{ name: '1' }], order: (a, b) => Number(a) - Number(b) }))
  t.same(s.names.pending, ['2', '3', '10'])
})

t.test('notes are copied, not shared', async (t) => {
  const notes = ['a note']
  const s = compare('knex', found({ notes }))
  s.notes.push('another')
  t.same(notes, ['a note'])
})
