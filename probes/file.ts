// The file probe: files on this machine's disks, judged by count, total size
// and age. "The model weights are there (29 GB)", "last night's backup was
// written", "no stale lock file is left". It reports names, sizes and
// modification times; it never opens a file, so no content is ever read.
//
// `path` is a glob (tinyglobby: `*`, `**`, `?`, `[...]`, `{a,b}`), relative
// paths resolved against the config file's directory. It is split into its
// static base (the leading segments without glob characters: `/srv/backups`
// of `/srv/backups/**/*.sql.gz`) and the pattern walked under that base.
//
// Confinement: nothing outside the configured base is ever walked or counted.
//   - `..` anywhere in the pattern is refused when the config is loaded.
//   - The walk never follows a symbolic link (tinyglobby's
//     followSymbolicLinks: false): a link is neither descended into nor
//     counted, wherever it points. Symlinks in the static base itself are the
//     configured path and are resolved as usual.
//   - Each match is then lstat'ed (never stat'ed): only a regular file counts,
//     so a match replaced by a link meanwhile is dropped; and its directory's
//     realpath must lie under the base's realpath, so a directory swapped for
//     a link during the walk cannot bring in what lies outside.
//
// Bounds: at most `limits.maxEntries` directory entries are read per run
// (opendir, entry by entry: a directory of a million entries is never read
// into memory whole); past that the run fails with `error`, "too many
// entries". The run's AbortSignal stops the walk at the timeout, between
// directory reads and between stat batches.
//
// tinyglobby is loaded by the first run of a file probe (probes/lib/lazy.ts).
import { opendir, type Dir, type Dirent, type NoParamCallback } from 'node:fs'
import { lstat, realpath, stat } from 'node:fs/promises'
import { basename, dirname, isAbsolute, relative, resolve, sep } from 'node:path'
import { z } from 'zod'
import { formatDuration, parseDuration } from '../src/duration.js'
import { defineProbe, ProbeError, type CheckResult, type ProbeContext } from '../src/probe.js'
import { byteSize, expectations } from '../src/settings/fields.js'
import { formatByteSize } from '../src/settings/size.js'
import { abortable } from './lib/abort.js'
import { configured } from './lib/checks.js'
import { lazy } from './lib/lazy.js'

/**
 * Bounds of one run. Exported so that a test can lower them (a cap of a few
 * hundred entries instead of 100,000) or stand in for the filesystem
 * (`opendir`: a directory read that never returns, as on a hung NFS mount).
 */
export const limits = {
  /** Directory entries read per run at most (files, directories and links alike, matched or not). */
  maxEntries: 100_000,
  /** Matches lstat'ed at once. */
  statBatch: 64,
  opendir: opendir as (path: string, options: { bufferSize: number }, callback: (err: NodeJS.ErrnoException | null, dir: Dir) => void) => void,
}

/** `..` as a path segment, also inside braces and extglobs (`{a,..}`, `@(..)`). */
const PARENT = /(^|[/{,(|])\.\.($|[/},)|])/

const globPath = z
  .string()
  .min(1, 'expected a path or glob such as "/srv/backups/*.sql.gz"')
  .refine((path) => !PARENT.test(path), { message: 'expected a path without ".." segments: the probe never looks outside the directory a path names' })
  .refine((path) => !path.startsWith('!'), { message: 'expected a path or glob, not a negated pattern ("!...")' })
  .refine((path) => !path.includes('\0'), { message: 'expected a path without NUL characters' })

/** A file age: a duration ("24h", "7d"), without the timer limit of intervals (a backup may be weekly). */
const age = z.string({ error: 'expected a duration such as "24h" or "7d"' }).transform((text, ctx) => {
  const ms = parseDuration(text)
  if (!ms) {
    ctx.addIssue({ code: 'custom', message: 'expected a duration such as "24h" or "7d"' })
    return z.NEVER
  }
  return ms
})

const settings = {
  path: globPath,
  expect: expectations({
    /** false: nothing may match (a lock file that must not linger). */
    exists: z.boolean().default(true),
    /** The total size of all matches must reach this. */
    min_size: byteSize.optional(),
    /** The newest match must be younger than this. */
    max_age: age.optional(),
    /** At least this many files must match. */
    min_count: z.int().min(1).optional(),
  })
    .refine((e) => e.exists || (e.min_size === undefined && e.max_age === undefined && e.min_count === undefined), {
      message: 'expected no min_size, max_age or min_count with exists: false (nothing may match)',
    })
    .prefault({}),
}

/** One file that counts: a regular file under the base. */
interface Match {
  /** Relative to the static base, for messages. */
  name: string
  size: number
  mtimeMs: number
}

/** What the walk found, or why nothing could be. */
interface Found {
  matches: Match[]
  /** Why nothing matched, when it is not just "no name matched" (a missing directory, a link). */
  why?: string
  /** Matches dropped because their directory resolved outside the base (a link swapped in during the walk). */
  outside: number
}

export default defineProbe({
  kind: 'file',
  settings,

  checkNames: (svc) => [svc.expect.exists ? 'exists' : 'absent', ...configured(svc.expect, ['min_size', 'max_age', 'min_count'])],

  target: (svc) => (isAbsolute(svc.path) ? `file://${svc.path}` : `file:${svc.path}`),

  async run(svc, ctx) {
    const started = performance.now()
    const found = await find(svc.path, ctx)
    const ms = performance.now() - started
    const e = svc.expect
    const { matches } = found
    const shown = svc.path
    const count = matches.length
    const total = matches.reduce((sum, m) => sum + m.size, 0)
    const now = Date.now()
    const newest = matches.reduce<Match | undefined>((a, m) => (!a || m.mtimeMs > a.mtimeMs ? m : a), undefined)
    const oldest = matches.reduce<Match | undefined>((a, m) => (!a || m.mtimeMs < a.mtimeMs ? m : a), undefined)
    const nothing = `nothing matches ${shown}${found.why ? ` (${found.why})` : ''}`
    const files = (n: number) => `${n} file${n === 1 ? '' : 's'}`

    const checks: CheckResult[] = []
    if (e.exists) {
      checks.push({ name: 'exists', ok: count > 0, detail: count > 0 ? `${files(count)} match${count === 1 ? 'es' : ''} ${shown}` : nothing })
    } else {
      const names = matches.slice(0, 3).map((m) => m.name)
      checks.push({
        name: 'absent',
        ok: count === 0,
        detail: count === 0 ? nothing : `${files(count)} match${count === 1 ? 'es' : ''} ${shown} (${names.join(', ')}${count > names.length ? ', ...' : ''}); nothing should`,
      })
    }
    if (e.min_size !== undefined) {
      const want = e.min_size
      checks.push({
        name: 'min_size',
        ok: count > 0 && total >= want.bytes,
        detail: count > 0 ? `${files(count)}, ${formatByteSize(total, want.iec)} total (at least ${want.text} wanted)` : `${nothing}: no size (at least ${want.text} wanted)`,
      })
    }
    if (e.max_age !== undefined) {
      const ageMs = newest ? now - newest.mtimeMs : undefined
      checks.push({
        name: 'max_age',
        ok: ageMs !== undefined && ageMs <= e.max_age,
        detail:
          newest && ageMs !== undefined
            ? `newest ${newest.name} is ${describeAge(ageMs)} (at most ${formatDuration(e.max_age)} wanted)`
            : `${nothing}: no file to date (one at most ${formatDuration(e.max_age)} old wanted)`,
      })
    }
    if (e.min_count !== undefined) {
      checks.push({ name: 'min_count', ok: count >= e.min_count, detail: `${count > 0 ? files(count) : nothing} (at least ${e.min_count} wanted)` })
    }

    return {
      checks,
      latency: { ms, covers: 'to walk the directories and stat the matches' },
      info: {
        count,
        total_bytes: total,
        total: formatByteSize(total),
        ...(newest ? { newest: newest.name, newest_age_seconds: Math.round((now - newest.mtimeMs) / 1000) } : {}),
        ...(oldest ? { oldest: oldest.name, oldest_age_seconds: Math.round((now - oldest.mtimeMs) / 1000) } : {}),
        ...(found.outside ? { skipped_outside_base: found.outside } : {}),
      },
    }
  },
})

const loadTinyglobby = lazy(() => import('tinyglobby'))

/** Characters that start a glob construct: `*`, `?`, `[...]`, `{a,b}` and the extglobs `@(...)`, `!(...)` ... */
const GLOB_START = /[*?[{(]/

/**
 * The static base of a path (its leading segments before the first glob
 * character) and the glob under it; no glob for a literal path. Cut at a `/`,
 * so a brace holding a separator (`{a/b,c}`) stays whole in the glob.
 */
export function splitGlob(path: string): { base: string; glob?: string } {
  const at = path.search(GLOB_START)
  if (at < 0) return { base: path }
  const slash = path.lastIndexOf('/', at)
  if (slash < 0) return { base: '.', glob: path }
  return { base: path.slice(0, slash) || '/', glob: path.slice(slash + 1) }
}

/** Every regular file the path names, confined to its base, within the run's bounds. */
async function find(path: string, ctx: ProbeContext): Promise<Found> {
  const { glob } = await loadTinyglobby()
  const split = splitGlob(path)
  const base = resolve(ctx.baseDir, split.base)

  if (split.glob === undefined) {
    // A literal path: the file itself, or every file under the directory it names.
    const st = await abortable(fsCall(lstat(base), base), ctx.signal)
    if (!st) return { matches: [], why: `${base} does not exist`, outside: 0 }
    if (st.isSymbolicLink()) return { matches: [], why: `${base} is a symbolic link, which is not followed`, outside: 0 }
    if (st.isFile()) return { matches: [{ name: basename(base), size: st.size, mtimeMs: st.mtimeMs }], outside: 0 }
    if (!st.isDirectory()) return { matches: [], why: `${base} is not a regular file`, outside: 0 }
    const found = await walk(glob, base, '**', ctx.signal)
    return found.matches.length ? found : { ...found, why: `the directory ${base} holds no file` }
  }

  const st = await abortable(fsCall(stat(base), base), ctx.signal)
  if (!st) return { matches: [], why: `the directory ${base} does not exist`, outside: 0 }
  if (!st.isDirectory()) return { matches: [], why: `${base} is not a directory`, outside: 0 }
  return walk(glob, base, split.glob, ctx.signal)
}

type Glob = (typeof import('tinyglobby'))['glob']

/** The walk under `base`: matches of `pattern`, lstat'ed and confined. */
async function walk(glob: Glob, base: string, pattern: string, signal: AbortSignal): Promise<Found> {
  const state: WalkState = { entries: 0, max: limits.maxEntries, cap: new AbortController() }
  const stop = AbortSignal.any([signal, state.cap.signal])
  const paths = await abortable(
    glob(pattern, {
      cwd: base,
      absolute: true,
      onlyFiles: true,
      followSymbolicLinks: false,
      expandDirectories: false,
      signal: stop,
      fs: { readdir: boundedReaddir(state, stop) as never },
    }),
    signal,
  )
  if (signal.aborted) throw signal.reason
  if (state.tooMany) {
    throw new ProbeError('error', `more than ${state.max.toLocaleString('en')} directory entries under ${base}: too many to walk in one run (narrow the pattern)`, {
      max_entries: state.max,
    })
  }
  if (state.failed) {
    const { path, code } = state.failed
    throw new ProbeError('error', `cannot read the directory ${path}: ${code}`, { code })
  }

  const realBase = await realpath(base)
  const realDirs = new Map<string, Promise<string | undefined>>()
  const realDir = (dir: string) => {
    let real = realDirs.get(dir)
    if (!real) realDirs.set(dir, (real = realpath(dir).catch(() => undefined)))
    return real
  }
  const matches: Match[] = []
  let outside = 0
  for (let i = 0; i < paths.length; i += limits.statBatch) {
    if (signal.aborted) throw signal.reason
    await Promise.all(
      paths.slice(i, i + limits.statBatch).map(async (file) => {
        const [st, dir] = await Promise.all([fsCall(lstat(file), file), realDir(dirname(file))])
        if (!st || !st.isFile()) return // gone meanwhile, or no longer a regular file (a link, a pipe)
        if (dir === undefined || (dir !== realBase && !dir.startsWith(realBase.endsWith(sep) ? realBase : realBase + sep))) {
          outside++
          return
        }
        matches.push({ name: printable(relative(base, file)), size: st.size, mtimeMs: st.mtimeMs })
      }),
    )
  }
  if (signal.aborted) throw signal.reason
  return { matches, outside }
}

interface WalkState {
  /** Directory entries read so far. */
  entries: number
  max: number
  /** Aborted when `max` is passed: the walk stops reading. */
  cap: AbortController
  tooMany?: boolean
  /** The first directory that could not be read for another reason than its absence. */
  failed?: { path: string; code: string }
}

/**
 * fs.readdir(path, { withFileTypes: true }, callback) for the walker, read
 * entry by entry through opendir so that no directory, however large, is held
 * whole: it stops at the run's entry cap and when `stop` fires.
 */
function boundedReaddir(state: WalkState, stop: AbortSignal) {
  return (crawled: string, _options: unknown, callback: (err: NodeJS.ErrnoException | null, entries: Dirent[]) => void): void => {
    // The walker hands directories with a trailing separator.
    const path = crawled.length > 1 ? crawled.replace(/\/+$/, '') : crawled
    const fail = (err: NodeJS.ErrnoException) => {
      // A directory removed during the walk is just not there; anything else (EACCES, EIO) is said.
      if (err.code !== 'ENOENT' && err.code !== 'ENOTDIR') state.failed ??= { path, code: err.code ?? 'error' }
      callback(err, [])
    }
    if (stop.aborted) return callback(null, [])
    limits.opendir(path, { bufferSize: 256 }, (err, dir) => {
      if (err) return fail(err)
      const entries: Dirent[] = []
      const close = (done: () => void) => dir.close(((closeErr) => (void closeErr, done())) as NoParamCallback)
      const next = (): void => {
        if (stop.aborted) return close(() => callback(null, entries))
        dir.read((readErr, entry) => {
          if (readErr) return close(() => fail(readErr))
          if (!entry) return close(() => callback(null, entries))
          if (++state.entries > state.max) {
            state.tooMany = true
            state.cap.abort()
            return close(() => callback(null, entries))
          }
          entries.push(entry)
          next()
        })
      }
      next()
    })
  }
}

/** The operation's value; undefined when the path is not there (ENOENT, ENOTDIR); other errors as `error` naming the path and code. */
async function fsCall<T>(operation: Promise<T>, path: string): Promise<T | undefined> {
  try {
    return await operation
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined
    throw new ProbeError('error', `cannot read ${path}: ${code ?? (err as Error).message}`, code ? { code } : undefined)
  }
}

/** A file name as it may be shown: control characters replaced, long names cut. */
function printable(name: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = name.replace(/[\u0000-\u001f\u007f]/g, '?')
  return clean.length > 200 ? `${clean.slice(0, 200)}...` : clean
}

/** "3h 12m old", "45s old", "2d 4h old"; a time ahead of the clock said so. */
function describeAge(ms: number): string {
  if (ms < 0) return `dated ${describeSpan(-ms)} in the future (clock skew?)`
  return `${describeSpan(ms)} old`
}

function describeSpan(ms: number): string {
  const units: [string, number][] = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ]
  const parts: string[] = []
  let left = ms
  for (const [unit, size] of units) {
    if (left >= size && parts.length < 2) {
      parts.push(`${Math.floor(left / size)}${unit}`)
      left %= size
    } else if (parts.length) break
  }
  return parts.length ? parts.join(' ') : `${Math.round(ms)}ms`
}
