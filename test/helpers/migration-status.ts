// Asserting a reader's whole MigrationStatus, field by field, so a failure
// names the field that is wrong.
import type { Test } from 'tap'
import type { MigrationStatus, MigrationToolName } from '../../src/migrations/types.js'

export type Expect = Omit<MigrationStatus, 'tool' | 'notes' | 'lastAppliedAt' | 'dirReadable'> & { lastApplied: boolean; dirReadable?: boolean }

/** No pending, failed, unknown or edited names. */
export const none = { pending: [], failed: [], unknown: [], checksumMismatch: [] }

export function expectStatus(t: Test, tool: MigrationToolName, s: MigrationStatus, e: Expect): void {
  t.equal(s.tool, tool)
  t.equal(s.applied, e.applied, 'applied')
  t.equal(s.available, e.available, 'available')
  t.equal(s.pending, e.pending, 'pending')
  t.equal(s.failed, e.failed, 'failed')
  t.equal(s.unknown, e.unknown, 'unknown')
  t.equal(s.checksumMismatch, e.checksumMismatch, 'checksumMismatch')
  t.equal(s.heads, e.heads, 'heads')
  t.equal(s.current, e.current, 'current')
  t.equal(s.lastAppliedAt !== undefined, e.lastApplied, 'lastAppliedAt presence')
  t.equal(s.dirReadable, e.dirReadable ?? true, 'dirReadable')
  t.same(s.names, e.names, 'names')
}
