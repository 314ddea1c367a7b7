// Reads a dotenv file exactly as the application's `dotenv` reads it, plus
// what dotenv does not tell: the line of every assignment, so that a key
// assigned twice can be reported with both lines and the one that wins.
//
// Values come from dotenv's own `parse` (quotes, escapes, `export `,
// comments, multi-line values): the audit must judge the value the
// application sees, not one re-parsed by different rules. For line numbers
// the same assignments are found with dotenv's own LINE regular expression,
// copied below, so both agree on what is an assignment (a `FOO=bar` inside a
// multi-line quoted value is not one).

import { readFile, stat } from 'node:fs/promises'
import { parse } from 'dotenv'

/**
 * dotenv's LINE expression, verbatim from dotenv 18.0.10 `dist/index.cjs`
 * (the minified `G`; it is `LINE` in `lib/main.js` of dotenv's sources since
 * v15). Only the `d` flag (match indices) is added: it changes no match, it
 * tells where the key starts, because the leading `\s*` can swallow blank
 * lines before it. `parse` without `{ fast: true }` uses this expression.
 */
const LINE = /(?:^|^)\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?(?:$|$)/dgm

/** A .env is a few kilobytes; a megabyte means the path points at something else. */
const MAX_BYTES = 1024 * 1024

export interface DotenvDuplicate {
  name: string
  /** Every line assigning the name, ascending (1-based). */
  lines: number[]
  /** The line whose value dotenv keeps: the last one (`parse` assigns in order, so the last wins). */
  winner: number
}

export type DotenvRead =
  | {
      ok: true
      /** The values as dotenv parses them. */
      values: Record<string, string>
      /** Line of the assignment that wins, per name. */
      lines: Record<string, number>
      duplicates: DotenvDuplicate[]
    }
  | { ok: false; error: string }

/** Reads and parses `path` (absolute). Never throws: a missing or unreadable file is a result. */
export async function readDotenvFile(path: string): Promise<DotenvRead> {
  let text: string
  try {
    const info = await stat(path)
    if (info.isDirectory()) return { ok: false, error: 'EISDIR: is a directory' }
    if (info.size > MAX_BYTES) return { ok: false, error: `too large: ${info.size} bytes (at most ${MAX_BYTES})` }
    text = await readFile(path, 'utf8')
  } catch (err) {
    return { ok: false, error: describeReadError(err) }
  }
  return { ok: true, ...parseDotenv(text) }
}

/** Values, winning lines and duplicates of a dotenv text. */
export function parseDotenv(text: string): Omit<Extract<DotenvRead, { ok: true }>, 'ok'> {
  const values = parse(text)
  // dotenv normalises line ends before matching; do the same so offsets agree.
  const src = text.replace(/\r\n?/g, '\n')
  const all = new Map<string, number[]>()
  // Matches come in order, so lines are counted once, from the previous match on.
  let line = 1
  let counted = 0
  LINE.lastIndex = 0
  for (let m = LINE.exec(src); m !== null; m = LINE.exec(src)) {
    const key = m[1]
    const at = m.indices?.[1]?.[0]
    if (key === undefined || at === undefined) continue
    for (let i = src.indexOf('\n', counted); i !== -1 && i < at; i = src.indexOf('\n', i + 1)) line++
    counted = at
    // dotenv drops what a plain object cannot hold (__proto__); so do we.
    if (!Object.hasOwn(values, key)) continue
    const seen = all.get(key)
    if (seen) seen.push(line)
    else all.set(key, [line])
  }
  const lines: Record<string, number> = {}
  const duplicates: DotenvDuplicate[] = []
  for (const [name, at] of all) {
    const winner = at[at.length - 1] as number
    lines[name] = winner
    if (at.length > 1) duplicates.push({ name, lines: at, winner })
  }
  duplicates.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  return { values, lines, duplicates }
}

/** 'file not found', 'EACCES: permission denied' ...: the reason, without any content of the file. */
function describeReadError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  switch (code) {
    case 'ENOENT':
      return 'file not found'
    case 'EACCES':
    case 'EPERM':
      return `${code}: permission denied`
    case 'ENOTDIR':
      return 'ENOTDIR: a parent of the path is not a directory'
    case 'EISDIR':
      return 'EISDIR: is a directory'
    default:
      return code ? `${code}: ${(err as Error).message.replace(/, \w+ '.*'$/, '')}` : String((err as Error)?.message ?? err)
  }
}
