// A service's last runs: when each finished, whether it passed and the state
// it left the service in, for the page's history bar and the uptime. A ring
// of HISTORY_SIZE slots in two typed arrays, 9 bytes a run: as objects in an
// array the full history of 1,000 services was 7.6 MiB of heap, most of a
// daemon's live memory, and appending by copying was most of its garbage.

/** How many runs each service's history keeps (the oldest falls out). */
export const HISTORY_SIZE = 100

export type ServiceState = 'ready' | 'not_ready' | 'down' | 'pending'

/** One run in a service's history. */
export interface HistoryEntry {
  /** Epoch milliseconds. */
  at: number
  ok: boolean
  state: ServiceState
}

const STATES: readonly ServiceState[] = ['ready', 'not_ready', 'down', 'pending']
const OK = 0b100

export class RunHistory {
  readonly #at: Float64Array
  /** The state's index in STATES, and OK when the run passed. */
  readonly #flags: Uint8Array

  constructor() {
    // Both arrays view one buffer: an ArrayBuffer costs about 200 bytes of its
    // own (the object, its backing store's record), a fifth of the ring again.
    const buffer = new ArrayBuffer(HISTORY_SIZE * (Float64Array.BYTES_PER_ELEMENT + 1))
    this.#at = new Float64Array(buffer, 0, HISTORY_SIZE)
    this.#flags = new Uint8Array(buffer, HISTORY_SIZE * Float64Array.BYTES_PER_ELEMENT, HISTORY_SIZE)
  }
  /** The slot the next run goes to. */
  #next = 0
  #length = 0

  push(entry: HistoryEntry): void {
    this.#at[this.#next] = entry.at
    this.#flags[this.#next] = STATES.indexOf(entry.state) | (entry.ok ? OK : 0)
    this.#next = (this.#next + 1) % HISTORY_SIZE
    this.#length = Math.min(HISTORY_SIZE, this.#length + 1)
  }

  get length(): number {
    return this.#length
  }

  /** The i-th run kept, oldest first; a negative i counts from the newest (as Array#at). */
  at(i: number): HistoryEntry | undefined {
    const k = i < 0 ? this.#length + i : i
    if (k < 0 || k >= this.#length) return undefined
    const slot = (this.#next - this.#length + k + HISTORY_SIZE) % HISTORY_SIZE
    const flags = this.#flags[slot]!
    return { at: this.#at[slot]!, ok: (flags & OK) !== 0, state: STATES[flags & 0b11]! }
  }

  /** Every run kept, oldest first, as new objects. */
  entries(): HistoryEntry[] {
    return Array.from({ length: this.#length }, (_, i) => this.at(i)!)
  }
}
