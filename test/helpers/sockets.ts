// What a test process holds open, to prove a probe leaves no socket behind:
// counts of socket handles by kind, the connected client sockets themselves,
// and a pause that lets closing handles finish closing before they are counted.
import { Socket } from 'node:net'
import type { Test } from 'tap'

const SOCKETS = new Set(['TCPSocketWrap', 'TLSWrap', 'TCPServerWrap'])

/** Counts of the socket-ish handles alive right now. */
export function socketHandles(): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const kind of process.getActiveResourcesInfo()) if (SOCKETS.has(kind)) counts[kind] = (counts[kind] ?? 0) + 1
  return counts
}

/** Kinds of socket handle of which more are alive now than at `baseline`, each with both counts: [] when nothing leaked. */
export function handlesAbove(baseline: Record<string, number>): string[] {
  const now = socketHandles()
  return [...SOCKETS].filter((kind) => (now[kind] ?? 0) > (baseline[kind] ?? 0)).map((kind) => `${kind}: ${now[kind] ?? 0} now, ${baseline[kind] ?? 0} at the start`)
}

/**
 * Connected client-side sockets still alive (a probe's own connections):
 * accepted sockets of a test server and stdio pipes are left out. Uses the
 * undocumented but long-standing `process._getActiveHandles()`, because
 * `getActiveResourcesInfo()` names kinds only and cannot tell a probe's
 * socket from the server's end of the same connection.
 */
export function clientSockets(): string[] {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles()
  return handles
    .filter((h): h is Socket & { server?: unknown } => h instanceof Socket && h.remotePort !== undefined && !(h as { server?: unknown }).server)
    .map((s) => `${s.localAddress}:${s.localPort} -> ${s.remoteAddress}:${s.remotePort}`)
}

/** Lets close callbacks and destroyed handles settle before handles are counted. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r))
  await new Promise((r) => setTimeout(r, 20))
}

/**
 * The last test of a probe test file. Every probe connection must be gone
 * while the servers still listen: no probe may rely on the peer hanging up (a
 * tarpit never would). A tarpit never reads, so its end of a connection
 * lingers until the servers close; hence client-side sockets are counted
 * first, and every kind of handle against `baseline` after `closeServers`.
 */
export async function nothingLeftOpen(t: Test, baseline: Record<string, number>, closeServers: () => Promise<void>): Promise<void> {
  await settle()
  t.same(clientSockets(), [], 'no probe socket outlives its probe')
  await closeServers()
  await settle()
  t.same(handlesAbove(baseline), [], 'no more socket handles of any kind than at the start')
}
