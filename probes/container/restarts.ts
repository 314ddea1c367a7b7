// A restart loop is judged by the growth of the engine's RestartCount within
// the window, not by status text: Podman reports a looping container as
// `running` with a growing count and no Restarting flag. The engine keeps no
// time of each restart, so the growth is observed across probe runs: this
// module remembers, per engine and container, the counts seen within the
// window (a few numbers each, pruned as they age).

interface Seen {
  at: number
  count: number
}

const history = new Map<string, { since: number; seen: Seen[] }>()

export interface RestartJudgement {
  /** Restarts counted within the window: the growth seen, or the whole count while the window is not yet watched through. */
  restarts: number
  loop: boolean
}

/**
 * Records this observation and judges it. Until a whole window has been
 * watched there is no growth to trust: a count already at `max` with the
 * last start inside the window is a loop too. Services that share a
 * container share its history, so they agree.
 */
export function judgeRestarts(key: string, count: number, startedAt: number | undefined, max: number, windowMs: number, now = Date.now()): RestartJudgement {
  const known = history.get(key) ?? { since: now, seen: [] }
  // A smaller count is a recreated container: its history starts again.
  if (known.seen.some((s) => s.count > count)) Object.assign(known, { since: now, seen: [] })
  known.seen = known.seen.filter((s) => now - s.at <= windowMs)
  known.seen.push({ at: now, count })
  history.set(key, known)
  const growth = count - known.seen[0]!.count
  const watchedThrough = now - known.since >= windowMs
  const restarts = !watchedThrough && startedAt !== undefined && now - startedAt <= windowMs ? Math.max(growth, count) : growth
  return { restarts, loop: restarts >= max }
}
