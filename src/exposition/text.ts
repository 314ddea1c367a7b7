// Prometheus text exposition (format 0.0.4) written straight from the
// collectors. prom-client's way (a Gauge object per metric, reset and refilled
// through a label-hash map, then formatted) cost about a fifth of the CPU of
// a /probe request and grows with the label hashing at /metrics; the format
// itself is a few lines, so the collectors' rows are written out as they are
// emitted. test/exposition/text.test.ts holds this writer to prom-client's
// output for the same rows. Families without a row are left out, as the Go
// client does.
import type { ByItem, Collector, Emit, MetricDef } from './metric.js'

export const TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

export interface RenderOptions {
  /** Counters only make sense for the scheduler's long-lived store, not for a one-off /probe. */
  counters: boolean
}

/** The metrics these collectors can expose (with these options), in order. */
export function familiesOf(collectors: readonly Collector<never>[], options: RenderOptions): MetricDef[] {
  return collectors.flatMap((c) => c.series.map((s) => s.def)).filter((d) => options.counters || d.type !== 'counter')
}

/** The exposition text of the collectors' series for one input. */
export function renderText<In>(collectors: readonly Collector<In>[], input: In, options: RenderOptions): string {
  return renderBytes(collectors, input, options).toString('utf8')
}

/**
 * The same, as the bytes sent. A row is its metric's name and the label
 * names around the values (encoded once per metric), the values and the
 * row's value, written straight into one buffer. Building a string per line
 * and joining them cost 3–5 µs per service at 3,000 services, most of it
 * flattening the joined ropes (bench/scale.ts; figures in the README).
 * Nothing is kept per label set: the text of each service's fifteen label
 * sets, kept between scrapes, was a quarter of a daemon's heap per service.
 */
export function renderBytes<In>(collectors: readonly Collector<In>[], input: In, options: RenderOptions, sizeHint = 16 * 1024): Buffer {
  const out = new ByteWriter(sizeHint)
  writeCollectors(out, collectors, input, options)
  return out.done()
}

/**
 * Appends the collectors' exposition to `out` (several sources, one buffer:
 * /metrics). With `reuse`, a series whose rows come item by item copies the
 * rows of every item whose revision is unchanged from the last output instead
 * of writing them again: at a scrape every 250 ms of 1,000 services probed
 * every 5 s, 95 % of the services are unchanged, and writing their rows
 * afresh was most of a scrape's time and of its garbage.
 */
export function writeCollectors<In>(out: ByteWriter, collectors: readonly Collector<In>[], input: In, options: RenderOptions, reuse?: RowReuse): void {
  for (const c of collectors) {
    for (const s of c.series) {
      const { type, labels } = s.def
      if (type === 'counter' && !options.counters) continue
      const header = out.length
      out.bytes(headerOf(s.def))
      const afterHeader = out.length
      const head = headOf(s.def)
      const around = labels.length > 0 ? aroundOf(s.def) : undefined
      const emit = (values: Readonly<Record<string, string>>, value: number) => {
        out.bytes(head)
        if (around) {
          for (let i = 0; i < labels.length; i++) {
            out.bytes(around[i]!)
            out.labelValue(values[labels[i]!] ?? '')
          }
          out.bytes(around[labels.length]!)
        }
        out.ascii(formatValue(value))
        out.newline()
      }
      if (reuse && s.byItem) reuse.write(out, s.def, s.byItem, input, emit)
      else s.fill(input, emit)
      // A family without a row is left out, HELP and TYPE included.
      if (out.length === afterHeader) out.length = header
    }
  }
  reuse?.written(out)
}

/** Where each item's rows of one series landed in an output, and at which revision. */
interface Placed {
  items: readonly object[]
  revisions: Float64Array
  starts: Uint32Array
  ends: Uint32Array
}

/**
 * What a writer keeps from one output to the next: the output itself and,
 * per item series, where each item's rows are in it. Items are matched by
 * position and identity (a reload brings new items, and so fresh rows). The
 * last output is only read, never written again; runs of unchanged items
 * that sit next to each other there are copied in one piece.
 */
export class RowReuse {
  #last?: Buffer
  #placed = new Map<MetricDef, Placed>()
  #next = new Map<MetricDef, Placed>()

  write<In>(out: ByteWriter, def: MetricDef, byItem: ByItem<In>, input: In, emit: Emit<string>): void {
    const items = byItem.items(input)
    const n = items.length
    const before = this.#last ? this.#placed.get(def) : undefined
    const now: Placed = { items, revisions: new Float64Array(n), starts: new Uint32Array(n), ends: new Uint32Array(n) }
    // A run of unchanged rows still to copy from the last output: [from, to).
    let from = 0
    let to = 0
    const flush = () => {
      if (to > from) out.copy(this.#last!, from, to)
      from = to = 0
    }
    for (let i = 0; i < n; i++) {
      const item = items[i]!
      const revision = byItem.revision(item)
      now.revisions[i] = revision
      if (before && before.items[i] === item && before.revisions[i] === revision) {
        const start = before.starts[i]!
        const end = before.ends[i]!
        if (start !== to) {
          flush()
          from = to = start
        }
        now.starts[i] = out.length + (to - from)
        to = end
        now.ends[i] = out.length + (to - from)
        continue
      }
      flush()
      now.starts[i] = out.length
      byItem.fill(item, input, emit)
      now.ends[i] = out.length
    }
    flush()
    this.#next.set(def, now)
  }

  /** The output is complete: the next one copies from it. */
  written(out: ByteWriter): void {
    if (this.#next.size === 0) return
    this.#last = out.done()
    this.#placed = this.#next
    this.#next = new Map()
  }
}

/** An append-only byte buffer that doubles when full. */
export class ByteWriter {
  #buf: Buffer
  length = 0

  /** @param start the initial size, or a buffer to write into (it is replaced by a larger one if it fills up) */
  constructor(start: number | Buffer) {
    this.#buf = typeof start === 'number' ? Buffer.allocUnsafe(Math.max(64, start)) : start
  }

  /** The whole buffer written into now (done() is its first `length` bytes). */
  get buffer(): Buffer {
    return this.#buf
  }

  #room(n: number): void {
    if (this.length + n <= this.#buf.length) return
    const next = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.length + n))
    this.#buf.copy(next, 0, 0, this.length)
    this.#buf = next
  }

  /** Bytes [from, to) of `source`. */
  copy(source: Buffer, from: number, to: number): void {
    this.#room(to - from)
    source.copy(this.#buf, this.length, from, to)
    this.length += to - from
  }

  bytes(b: Buffer): void {
    this.#room(b.length)
    // TypedArray#set stays in V8 for a short copy; Buffer#copy crosses into C++ per line.
    this.#buf.set(b, this.length)
    this.length += b.length
  }

  /** Numbers and other pure-ASCII text; short text byte by byte in JavaScript, cheaper than a call into C++. */
  ascii(text: string): void {
    const n = text.length
    this.#room(n)
    if (n > 64) {
      this.length += this.#buf.write(text, this.length, 'latin1')
      return
    }
    const buf = this.#buf
    let at = this.length
    for (let i = 0; i < n; i++) buf[at++] = text.charCodeAt(i)
    this.length = at
  }

  text(text: string): void {
    this.#room(Buffer.byteLength(text))
    this.length += this.#buf.write(text, this.length, 'utf8')
  }

  /** A label value, escaped as the format wants (backslash, newline, double quote). */
  labelValue(value: string): void {
    if (PLAIN.test(value)) this.ascii(value)
    else this.text(escapeLabel(value))
  }

  newline(): void {
    this.#room(1)
    this.#buf[this.length++] = 10
  }

  done(): Buffer {
    return this.#buf.subarray(0, this.length)
  }
}

/** `# HELP` and `# TYPE` of each metric, encoded once (a /probe answer is mostly these). */
const HEADERS = new WeakMap<MetricDef, Buffer>()

function headerOf(def: MetricDef): Buffer {
  let header = HEADERS.get(def)
  if (!header) HEADERS.set(def, (header = Buffer.from(`# HELP ${def.name} ${escapeHelp(def.help)}\n# TYPE ${def.name} ${def.type}\n`, 'utf8')))
  return header
}

/** What starts each row of a metric: its name, and the space before the value when it has no labels. */
const HEADS = new WeakMap<MetricDef, Buffer>()

function headOf(def: MetricDef): Buffer {
  let head = HEADS.get(def)
  if (!head) HEADS.set(def, (head = Buffer.from(def.labels.length ? def.name : `${def.name} `, 'utf8')))
  return head
}

/** What goes around a metric's label values: `{a="`, `",b="` … and `"} `. */
const AROUND = new WeakMap<MetricDef, Buffer[]>()

function aroundOf(def: MetricDef): Buffer[] {
  let around = AROUND.get(def)
  if (!around) {
    const names = def.labels
    around = [...names.map((name, i) => Buffer.from(`${i ? '",' : '{'}${name}="`)), Buffer.from('"} ')]
    AROUND.set(def, around)
  }
  return around
}

/** A label value written as it is: printable ASCII without a backslash or a double quote. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Infinity) return '+Inf'
  if (value === -Infinity) return '-Inf'
  return String(value)
}

const NEEDS_ESCAPE = /[\\\n"]/

function escapeLabel(value: string): string {
  return NEEDS_ESCAPE.test(value) ? value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"') : value
}

function escapeHelp(help: string): string {
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
}
