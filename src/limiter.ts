// A counting semaphore: at most `limit` tasks hold a slot at once, the rest
// wait in arrival order. Bounded concurrency keeps a config with hundreds of
// services from opening hundreds of sockets in the same millisecond.
//
// With `holdMs`, a task that still runs after that long gives its slot back
// and goes on without one (it is "overdue"): a target that hangs until its
// timeout then costs a socket and a timer, not one of the few slots the
// healthy targets need. `maxInFlight` bounds slot holders and overdue tasks
// together, so sockets stay bounded too; at that bound an overdue task keeps
// its slot, as without `holdMs`.

export interface LimiterOptions {
  /** Gives a slot back after this long; undefined holds it to the end. */
  holdMs?: number
  /** Tasks running at once, with a slot or overdue (default: no bound beyond `limit`). */
  maxInFlight?: number
  /** Schedules the early release (a test's clock in tests). */
  after?: (ms: number, fn: () => void) => () => void
}

const realAfter = (ms: number, fn: () => void): (() => void) => {
  const timer = setTimeout(fn, ms)
  timer.unref()
  return () => clearTimeout(timer)
}

export class Limiter {
  /** Slots held (a waiter woken by a release inherits the slot, so this never overshoots). */
  #active = 0
  #overdue = 0
  readonly #waiting: Array<() => void> = []

  constructor(
    readonly limit: number,
    private readonly options: LimiterOptions = {},
  ) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#active < this.limit) this.#active++
    else await new Promise<void>((resolve) => this.#waiting.push(resolve))
    let held = true
    const giveBack = () => {
      held = false
      const next = this.#waiting.shift()
      if (next) next()
      else this.#active--
    }
    const { holdMs, maxInFlight = Infinity, after = realAfter } = this.options
    const cancel =
      holdMs === undefined
        ? undefined
        : after(holdMs, () => {
            if (!held || this.#active + this.#overdue >= maxInFlight) return
            this.#overdue++
            giveBack()
          })
    try {
      return await task()
    } finally {
      cancel?.()
      if (held) giveBack()
      else this.#overdue--
    }
  }

  /** Tasks holding a slot now. */
  get active(): number {
    return this.#active
  }

  /** Tasks still running without a slot, past `holdMs`. */
  get overdue(): number {
    return this.#overdue
  }

  get queued(): number {
    return this.#waiting.length
  }
}
