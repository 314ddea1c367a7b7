// The output buffers of /metrics, reused from scrape to scrape. At 1,000
// services a scrape is a 1.3 MB buffer outside V8's heap; allocating one per
// scrape (4 a second in bench/scale.ts) made V8 run a full collection about
// every second to account for that external memory, and those pauses were
// the slow tail of /metrics. A buffer is reused only once everyone holding it
// has let go: the response that sends it (until its socket has taken the
// bytes) and the next scrape, which copies unchanged rows out of it.

export class BufferPool {
  #free: Buffer[] = []
  /** Holders left per buffer; weak, so a buffer whose holder never lets go is collected, not kept. */
  #holds = new WeakMap<Buffer, number>()

  /** @param keep free buffers kept at most */
  constructor(private readonly keep = 2) {}

  /**
   * A buffer of at least `size` bytes: a free one when one fits (large
   * enough, and not half as large again: the first scrape's buffer, grown by
   * doubling from a guess, or one from before a reload dropped services,
   * would hold memory nobody writes), else a new one with a quarter more, so
   * that an answer a few bytes longer than the last still fits the buffers
   * in turn. Free ones that do not fit are dropped.
   */
  take(size: number): Buffer {
    const fit = this.#free.findIndex((b) => b.length >= size && b.length <= size * 1.5)
    if (fit >= 0) return this.#free.splice(fit, 1)[0]!
    this.#free = []
    return Buffer.allocUnsafe(Math.ceil(size * 1.25))
  }

  /** `holders` parts of the program will each call release(buffer) once. */
  hold(buffer: Buffer, holders: number): void {
    this.#holds.set(buffer, (this.#holds.get(buffer) ?? 0) + holders)
  }

  /** One holder is done with it; the last one gives it back. */
  release(buffer: Buffer): void {
    const left = (this.#holds.get(buffer) ?? 0) - 1
    if (left > 0) {
      this.#holds.set(buffer, left)
      return
    }
    if (left < 0) return // not held (or released once too often): never give a buffer back twice
    this.#holds.delete(buffer)
    if (this.#free.length < this.keep) this.#free.push(buffer)
  }

  /** One holder of `from` holds `to` instead (what it held grew into a larger buffer). */
  move(from: Buffer, to: Buffer): void {
    this.hold(to, 1)
    this.release(from)
  }

  /** Free buffers (tests). */
  get free(): number {
    return this.#free.length
  }
}
