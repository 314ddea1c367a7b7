// Prometheus text exposition (format 0.0.4) written straight from the
// collectors. prom-client's way (a Gauge object per metric, reset and refilled
// through a label-hash map, then formatted) cost about a fifth of the CPU of
// a /probe request and grows with the label hashing at /metrics; the format
// itself is a few lines, so the collectors' rows are written out as they are
// emitted. test/exposition/text.test.ts holds this writer to prom-client's
// output for the same rows. Families without a row are left out, as the Go
// client does.
import type { Collector, MetricDef } from './metric.js'

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
 * The same, as the bytes sent. Each line's `name{…} ` is encoded once per
 * frozen label set (a service's own, the same object at every scrape) and
 * copied in; only the value is formatted per scrape. Building a string per
 * line and joining them cost 3–5 µs per service at 3,000 services, most of it
 * flattening the joined ropes (bench/scale.ts; figures in the README).
 */
export function renderBytes<In>(collectors: readonly Collector<In>[], input: In, options: RenderOptions, sizeHint = 16 * 1024): Buffer {
  const out = new ByteWriter(sizeHint)
  writeCollectors(out, collectors, input, options)
  return out.done()
}

/** Appends the collectors' exposition to `out` (several sources, one buffer: /metrics). */
export function writeCollectors<In>(out: ByteWriter, collectors: readonly Collector<In>[], input: In, options: RenderOptions): void {
  for (const c of collectors) {
    for (const s of c.series) {
      const { name, type, labels } = s.def
      if (type === 'counter' && !options.counters) continue
      const header = out.length
      out.bytes(headerOf(s.def))
      const afterHeader = out.length
      const kept = keptPrefixes(s.def)
      s.fill(input, (values, value) => {
        let prefix = kept.get(values)
        if (prefix === undefined) {
          let text = name
          if (labels.length > 0) {
            text += '{'
            for (let i = 0; i < labels.length; i++) text += `${i ? ',' : ''}${labels[i]}="${escapeLabel(values[labels[i]!] ?? '')}"`
            text += '}'
          }
          prefix = Buffer.from(`${text} `, 'utf8')
          if (Object.isFrozen(values)) kept.set(values, prefix)
        }
        out.bytes(prefix)
        out.ascii(formatValue(value))
        out.newline()
      })
      // A family without a row is left out, HELP and TYPE included.
      if (out.length === afterHeader) out.length = header
    }
  }
}

/** An append-only byte buffer that doubles when full. */
export class ByteWriter {
  #buf: Buffer
  length = 0

  constructor(size: number) {
    this.#buf = Buffer.allocUnsafe(Math.max(64, size))
  }

  #room(n: number): void {
    if (this.length + n <= this.#buf.length) return
    const next = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.length + n))
    this.#buf.copy(next, 0, 0, this.length)
    this.#buf = next
  }

  bytes(b: Buffer): void {
    this.#room(b.length)
    // TypedArray#set stays in V8 for a short copy; Buffer#copy crosses into C++ per line.
    this.#buf.set(b, this.length)
    this.length += b.length
  }

  /** Numbers and other pure-ASCII text. */
  ascii(text: string): void {
    this.#room(text.length)
    this.length += this.#buf.write(text, this.length, 'latin1')
  }

  text(text: string): void {
    this.#room(Buffer.byteLength(text))
    this.length += this.#buf.write(text, this.length, 'utf8')
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

/** `name{…} ` by frozen label set, per metric: dropped with the label set (a removed service). */
const PREFIXES = new WeakMap<MetricDef, WeakMap<object, Buffer>>()

function keptPrefixes(def: MetricDef): WeakMap<object, Buffer> {
  let kept = PREFIXES.get(def)
  if (!kept) PREFIXES.set(def, (kept = new WeakMap()))
  return kept
}

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
