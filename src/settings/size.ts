// Byte sizes as people write them: `29GB`, `500MiB`, `1k`, `1.5 TB`, `4096`.
// SI units are powers of 1000 (k, kB, MB, GB, TB, PB), IEC units powers of 1024
// (KiB, MiB, GiB, TiB, PiB), as `df -H` and `df -h` print them; a bare number
// is bytes. Case is not significant (`gb` = `GB`, `mib` = `MiB`): a lower-case
// `b` is read as bytes, never bits, since nobody measures a file in bits.

const SI: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12, p: 1e15 }
const SIZE = /^(\d+(?:\.\d+)?)\s*(?:([kmgtp]?)(i?)b?)$/i

/** A parsed size: its bytes, and whether it was written in IEC units (so it is shown back in them). */
export interface ByteSize {
  bytes: number
  /** As written, for messages ("at least 29GB wanted"). */
  text: string
  iec: boolean
}

/** The size a text stands for, or undefined when it is not one (or is too large to count exactly). */
export function parseByteSize(text: string): ByteSize | undefined {
  const m = SIZE.exec(text.trim())
  if (!m) return undefined
  const [, amount, prefix = '', iec] = m
  const unit = prefix.toLowerCase()
  // `1i`, `1ib`: an IEC marker needs a prefix.
  if (iec && !unit) return undefined
  const scale = iec ? 1024 ** (Object.keys(SI).indexOf(unit)) : SI[unit]!
  const bytes = Math.round(Number(amount) * scale)
  if (!Number.isSafeInteger(bytes)) return undefined
  return { bytes, text: text.trim(), iec: !!iec }
}

const SI_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB']
const IEC_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']

/**
 * `29.4 GB` (SI) or `27.3 GiB` (IEC): one decimal, rounded down, so a total
 * just short of a limit is never shown as reaching it (28.96 GB reads 28.9 GB,
 * not 29.0 GB, next to "at least 29GB wanted"). Below 1 kB: whole bytes.
 */
export function formatByteSize(bytes: number, iec = false): string {
  const base = iec ? 1024 : 1000
  const units = iec ? IEC_UNITS : SI_UNITS
  let i = 0
  while (i < units.length - 1 && bytes >= base ** (i + 1)) i++
  if (i === 0) return `${bytes} B`
  const value = Math.floor((bytes / base ** i) * 10) / 10
  return `${value.toFixed(1)} ${units[i]}`
}
