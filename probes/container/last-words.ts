// The last words of a dying container: the tail of its log, both streams,
// bounded in lines and bytes, and from it the one line an on-call engineer
// needs ("Error: Cannot find module 'openai'", a Python traceback's last
// line, "exec format error"). The line is redacted by the runner like every
// text a probe reports, and goes to /status, the report and the page, never
// to a label.

/** Lines read at most from the end of the log, and bytes. */
export const TAIL_LINES = 100
export const TAIL_BYTES = 64 * 1024
/** A line shown at most this long. */
const LINE_MAX = 300

/**
 * The engine's log stream: without a TTY each frame is an 8-byte header
 * (stream, 0, 0, 0, length as uint32 big-endian) and its payload; with a TTY
 * it is the raw text. A cut last frame is kept as far as it goes.
 */
export function demux(body: Buffer, tty: boolean): string {
  if (tty) return body.toString('utf8')
  const parts: string[] = []
  let at = 0
  while (at + 8 <= body.length) {
    const stream = body[at]!
    const size = body.readUInt32BE(at + 4)
    // Not a frame header: the log was written with a TTY after all.
    if (stream > 2 || body[at + 1] !== 0 || body[at + 2] !== 0 || body[at + 3] !== 0) return body.toString('utf8')
    parts.push(body.subarray(at + 8, Math.min(body.length, at + 8 + size)).toString('utf8'))
    at += 8 + size
  }
  return parts.join('')
}

/** Errors by how much they tell, most first: a missing module or binary beats a generic "Error". */
const TELLING: RegExp[] = [
  /Cannot find module|ModuleNotFoundError|ImportError|No module named|exec format error|exec: .* not found|executable file not found|no such file or directory/i,
  /^\s*(?:[\w.]+(?:Error|Exception)|Error|panic|fatal error|FATAL|Fatal)\b.*?:/,
  /\b(?:Error|ERROR|Exception|panic|FATAL|fatal|denied|refused|Killed|out of memory|OOM)\b/,
]

/** The most telling line of a log tail, or undefined when it is empty. */
export function mostTellingLine(log: string): string | undefined {
  const lines = log
    .split(/\r?\n/)
    .map((l) => l.replace(/\x1b\[[0-9;]*m/g, '').trimEnd())
    .filter((l) => l.trim() !== '')
  if (lines.length === 0) return undefined
  for (const pattern of TELLING) {
    // The last match: a crash loop repeats its error, and the newest is what it says now.
    for (let i = lines.length - 1; i >= 0; i--) if (pattern.test(lines[i]!)) return cut(lines[i]!.trim())
  }
  return cut(lines[lines.length - 1]!.trim())
}

function cut(line: string): string {
  return line.length > LINE_MAX ? `${line.slice(0, LINE_MAX - 1)}…` : line
}
