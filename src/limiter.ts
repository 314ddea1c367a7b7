// A counting semaphore: at most `limit` tasks run at once, the rest wait in
// arrival order. Bounded concurrency keeps a config with hundreds of
// services from opening hundreds of sockets in the same millisecond.
export class Limiter {
  #active = 0
  readonly #waiting: Array<() => void> = []

  constructor(readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#active >= this.limit) await new Promise<void>((resolve) => this.#waiting.push(resolve))
    this.#active++
    try {
      return await task()
    } finally {
      this.#active--
      this.#waiting.shift()?.()
    }
  }

  get active(): number {
    return this.#active
  }

  get queued(): number {
    return this.#waiting.length
  }
}
