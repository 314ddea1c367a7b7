// The comparison every migration tool shares: what a reader found on disk
// and in the history table (types.ts `Found`) becomes the counts and names
// of a MigrationStatus. The tool's own rules (which rows count as applied,
// which files are skipped) are the reader's; from here on every tool is the
// same: pending = on disk and neither applied, failed nor skipped; unknown =
// applied and not on disk; mismatch = applied with a recorded checksum the
// file no longer has. Without a readable directory nothing is pending or
// unknown: the database's side still counts.
import type { Found, HistoryRow, MigrationStatus } from './types.js'

/** Names in UTF-16 code unit order (JavaScript's default sort), as most tools sort them. */
export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

export function compare(tool: string, found: Found): MigrationStatus {
  const order = found.order ?? byCodeUnit
  const listed = (names: Iterable<string>) => [...new Set(names)].sort(order)
  const applied = found.history.filter((row) => !row.failed)
  const appliedNames = new Set(applied.map((row) => row.name))
  const failed = listed(found.history.filter((row) => row.failed).map((row) => row.name))
  const names = { pending: [] as string[], failed, unknown: [] as string[], checksumMismatch: [] as string[] }

  const disk = found.disk
  if (disk) {
    const onDisk = new Map(disk.map((m) => [m.name, m]))
    const settled = new Set([...appliedNames, ...failed, ...(found.skip ?? [])])
    names.pending = listed(disk.filter((m) => !settled.has(m.name)).map((m) => m.name))
    names.unknown = listed(applied.filter((row) => !onDisk.has(row.name) && !row.external).map((row) => row.name))
    names.checksumMismatch = listed(applied.filter((row) => edited(row, onDisk.get(row.name)?.checksums)).map((row) => row.name))
  }

  const available = disk?.length ?? 0
  const status: MigrationStatus = {
    tool,
    applied: appliedNames.size,
    available,
    pending: names.pending.length,
    failed: failed.length + (found.lockHeld ? 1 : 0),
    unknown: names.unknown.length,
    checksumMismatch: names.checksumMismatch.length,
    heads: found.heads ?? (available > 0 || appliedNames.size > 0 ? 1 : 0),
    names,
    notes: [...found.notes],
    dirReadable: disk !== undefined,
  }
  const lastAppliedAt = found.lastAppliedAt ?? newest(applied)
  if (lastAppliedAt !== undefined) status.lastAppliedAt = Math.round(lastAppliedAt)
  const current = found.current === undefined ? applied.at(-1)?.name : (found.current ?? undefined)
  if (current !== undefined) status.current = current
  return status
}

/** A row whose recorded checksum is none of those its file has now (no checksum on either side: nothing to say). */
function edited(row: HistoryRow, checksums: readonly string[] | undefined): boolean {
  return row.checksum !== undefined && checksums !== undefined && !checksums.includes(row.checksum)
}

function newest(rows: readonly HistoryRow[]): number | undefined {
  let at: number | undefined
  for (const row of rows) if (row.at !== undefined && (at === undefined || row.at > at)) at = row.at
  return at
}
