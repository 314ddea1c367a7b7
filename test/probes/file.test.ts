// The file probe against real files in temp dirs this file makes (sparse
// files of chosen sizes via truncate, chosen mtimes via utimes, links, a
// FIFO, a loop), through parseConfig and runProbe. Two kinds of failure
// cannot be made for real by root (this test's user) in-process: an
// unreadable directory (root reads any) and a filesystem that never answers
// (a hung NFS mount). The first is made real in a child process that runs as
// `nobody`; both are also stood in for through the probe's `limits.opendir`.
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmodSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, truncateSync, utimesSync, writeFileSync, type Dir } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { limits, splitGlob } from '../../probes/file.js'
import { ConfigError } from '../../src/config/errors.js'
import { parseConfig } from '../../src/config/load.js'
import { baseDirOf, probeService } from '../../src/jobs.js'
import { silentLogger } from '../../src/log.js'
import { PROBE_KINDS } from '../../probes/index.js'
import { runProbe } from '../../src/runner.js'
import { formatByteSize, parseByteSize } from '../../src/settings/size.js'
import { checkPairs, configOf, detailOf, lateness, notBeforeTimeout, timed } from '../helpers/probe-run.js'
import { stringify } from 'yaml'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..')
const HOUR = 3_600_000
const GB = 1e9
const GiB = 2 ** 30

const root = mkdtempSync(join(tmpdir(), 'gt-file-'))
// Open to every user: one test runs the probe as `nobody`.
chmodSync(root, 0o755)
t.teardown(() => {
  chmodSync(root, 0o755)
  rmSync(root, { recursive: true, force: true })
})

/** A fresh directory under the test's root. */
function dir(name: string): string {
  const d = join(root, `${name}-${randomBytes(3).toString('hex')}`)
  mkdirSync(d, { recursive: true })
  return d
}

/** A sparse file of `size` bytes (no blocks written), modified `ageMs` ago. */
function file(path: string, size: number, ageMs = 0, content?: string): string {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, content ?? '')
  if (content === undefined) truncateSync(path, size)
  const when = (Date.now() - ageMs) / 1000
  utimesSync(path, when, when)
  return path
}

/** One file service with these keys through runProbe; relative paths start at `baseDir`. */
async function probe(fields: Record<string, unknown>, baseDir = root, sentinel?: number) {
  const { config, service } = configOf({ probe: 'file', timeout: '5s', ...fields })
  const { value: result, ...timing } = await timed(() => runProbe(service, config.secrets, baseDir), sentinel)
  return { result, ...timing }
}

function configError(fields: Record<string, unknown>): string {
  try {
    configOf({ probe: 'file', ...fields })
  } catch (err) {
    if (err instanceof ConfigError) return err.message
    throw err
  }
  throw new Error('expected a ConfigError')
}

// ---------------------------------------------------------------- sizes

t.test('byte sizes: SI is powers of 1000, IEC of 1024, a bare number is bytes', async (t) => {
  const bytes = (text: string) => parseByteSize(text)?.bytes
  t.equal(bytes('29GB'), 29e9)
  t.equal(bytes('29 gb'), 29e9)
  t.equal(bytes('1.5TB'), 1.5e12)
  t.equal(bytes('1k'), 1000)
  t.equal(bytes('1kB'), 1000)
  t.equal(bytes('500MiB'), 500 * 2 ** 20)
  t.equal(bytes('2GiB'), 2 * GiB)
  t.equal(bytes('1Ki'), 1024)
  t.equal(bytes('1PiB'), 2 ** 50)
  t.equal(bytes('4096'), 4096)
  t.equal(bytes('12B'), 12)
  t.equal(parseByteSize('500MiB')?.iec, true)
  t.equal(parseByteSize('500MB')?.iec, false)
  for (const bad of ['', 'GB', '1.GB', '-1GB', '1 XB', '1ib', '1e9', '99999999PB', '1 2 GB']) t.equal(parseByteSize(bad), undefined, `"${bad}" is no size`)
  t.equal(formatByteSize(512), '512 B')
  t.equal(formatByteSize(29.46e9), '29.4 GB', 'one decimal, rounded down')
  t.equal(formatByteSize(28.96e9), '28.9 GB', 'a total just short of 29 GB never reads 29.0')
  t.equal(formatByteSize(3 * GiB, true), '3.0 GiB')
  t.equal(formatByteSize(1536, true), '1.5 KiB')
  t.equal(formatByteSize(2e18), '2000.0 PB', 'the largest unit holds what is beyond it')
})

t.test('config: sizes, ages, counts and paths are validated, naming the key', async (t) => {
  t.match(configError({ path: '/srv/*.bin', expect: { min_size: '12 parsecs' } }), /services\[0\]\.expect\.min_size: expected a size such as "500MiB"/)
  t.match(configError({ path: '/srv/*.bin', expect: { min_size: -3 } }), /services\[0\]\.expect\.min_size: expected a size/)
  t.match(configError({ path: '/srv/*.bin', expect: { max_age: 'yesterday' } }), /services\[0\]\.expect\.max_age: expected a duration such as "24h"/)
  t.match(configError({ path: '/srv/*.bin', expect: { min_count: 0 } }), /services\[0\]\.expect\.min_count/)
  t.match(configError({ path: '/srv/*.lock', expect: { exists: false, max_age: '1h' } }), /services\[0\]\.expect: expected no min_size, max_age or min_count with exists: false/)
  t.match(configError({ path: '' }), /services\[0\]\.path: expected a path or glob/)
  t.match(configError({ path: '!*.bin' }), /services\[0\]\.path: expected a path or glob, not a negated pattern/)
  t.match(configError({ path: '/srv/a\0b' }), /services\[0\]\.path: expected a path without NUL/)
  t.match(configError({ path: '/srv/*.bin', expect: { sha256: 'abc' } }), /services\[0\]\.expect/, 'unknown expect keys are refused')
  // A number of bytes, and a week-long max_age (longer than the 24d cap of intervals is fine too).
  const { service } = configOf({ probe: 'file', path: '/srv/*.bin', expect: { min_size: 1024, max_age: '30d' } })
  t.same((service as unknown as { expect: { min_size: unknown; max_age: number } }).expect.min_size, { bytes: 1024, text: '1024 bytes', iec: false })
  t.equal((service as unknown as { expect: { max_age: number } }).expect.max_age, 30 * 24 * HOUR)
})

t.test('config: ".." in the path is refused at load, naming the key path', async (t) => {
  for (const path of ['../etc/passwd', '/srv/backups/../../etc/*', 'backups/..', '/srv/{a,..}/x', '/srv/@(..)/x', '/srv/..']) {
    t.match(configError({ path }), /services\[0\]\.path: expected a path without "\.\." segments/, path)
  }
  // `..` that is not a segment is a name like any other; brace ranges use `..` too.
  for (const path of ['/srv/backup..old/*', '/srv/backup-{1..3}.sql', '/srv/...hidden']) {
    t.doesNotThrow(() => configOf({ probe: 'file', path }), `${path} is accepted`)
  }
})

t.test('the static base of a glob', async (t) => {
  t.same(splitGlob('/models/**/*.bin'), { base: '/models', glob: '**/*.bin' })
  t.same(splitGlob('backups/*.sql.gz'), { base: 'backups', glob: '*.sql.gz' })
  t.same(splitGlob('*.log'), { base: '.', glob: '*.log' })
  t.same(splitGlob('/*.log'), { base: '/', glob: '*.log' })
  t.same(splitGlob('/srv/{a/b,c}/*.bin'), { base: '/srv', glob: '{a/b,c}/*.bin' }, 'a brace holding a separator stays whole')
  t.same(splitGlob('/srv/logs/app-@(1|2).log'), { base: '/srv/logs', glob: 'app-@(1|2).log' })
  t.same(splitGlob('/srv/app.lock'), { base: '/srv/app.lock' })
})

// ---------------------------------------------------------------- checks

t.test('exists, min_size (SI and IEC), max_age and min_count over sparse files', async (t) => {
  const models = dir('models')
  file(join(models, 'a/part-1.bin'), 10 * GB, 3 * HOUR)
  file(join(models, 'a/part-2.bin'), 10 * GB, 2 * HOUR)
  file(join(models, 'b/part-3.bin'), 9.4 * GB, 1 * HOUR)
  file(join(models, 'b/readme.txt'), 100, 0)
  const path = `${models}/**/*.bin`

  t.test('passing: every expectation met', async (t) => {
    const { result } = await probe({ path, expect: { min_size: '29GB', max_age: '90m', min_count: 3 } })
    t.equal(result.ok, true, result.error ?? '')
    t.same(checkPairs(result), [
      ['exists', true],
      ['min_size', true],
      ['max_age', true],
      ['min_count', true],
    ])
    t.equal(detailOf(result, 'exists'), `3 files match ${path}`)
    t.equal(detailOf(result, 'min_size'), '3 files, 29.4 GB total (at least 29GB wanted)')
    t.equal(detailOf(result, 'max_age'), 'newest b/part-3.bin is 1h old (at most 90m wanted)')
    t.equal(detailOf(result, 'min_count'), '3 files (at least 3 wanted)')
    t.equal(result.info.count, 3)
    t.equal(result.info.total_bytes, 29.4 * GB)
    t.equal(result.info.total, '29.4 GB')
    t.equal(result.info.newest, 'b/part-3.bin')
    t.equal(result.info.oldest, 'a/part-1.bin')
    t.ok(Math.abs((result.info.oldest_age_seconds as number) - 3 * 3600) < 60, `oldest is 3h old: ${result.info.oldest_age_seconds}s`)
  })

  t.test('min_size fails short of the total, SI', async (t) => {
    const { result } = await probe({ path, expect: { min_size: '30GB' } })
    t.equal(result.ok, false)
    t.equal(result.reason, 'expectation')
    t.same(checkPairs(result), [
      ['exists', true],
      ['min_size', false],
    ])
    t.equal(detailOf(result, 'min_size'), '3 files, 29.4 GB total (at least 30GB wanted)')
  })

  t.test('min_size in IEC units: 29.4 GB is 27.3 GiB', async (t) => {
    const pass = await probe({ path, expect: { min_size: '27GiB' } })
    t.equal(pass.result.ok, true, pass.result.error ?? '')
    t.equal(detailOf(pass.result, 'min_size'), '3 files, 27.3 GiB total (at least 27GiB wanted)')
    const fail = await probe({ path, expect: { min_size: '28GiB' } })
    t.equal(fail.result.reason, 'expectation')
    t.equal(detailOf(fail.result, 'min_size'), '3 files, 27.3 GiB total (at least 28GiB wanted)')
  })

  t.test('max_age fails when the newest is older', async (t) => {
    const { result } = await probe({ path, expect: { max_age: '30m' } })
    t.equal(result.reason, 'expectation')
    t.equal(detailOf(result, 'max_age'), 'newest b/part-3.bin is 1h old (at most 30m wanted)')
  })

  t.test('min_count fails below the count', async (t) => {
    const { result } = await probe({ path, expect: { min_count: 4 } })
    t.equal(result.reason, 'expectation')
    t.equal(detailOf(result, 'min_count'), '3 files (at least 4 wanted)')
  })

  t.test('a literal directory stands for every file under it', async (t) => {
    const { result } = await probe({ path: models, expect: { min_count: 4, min_size: '29.4GB' } })
    t.equal(result.ok, true, result.error ?? '')
    t.equal(detailOf(result, 'exists'), `4 files match ${models}`)
    t.equal(result.info.total_bytes, 29.4 * GB + 100)
  })

  t.test('a literal file', async (t) => {
    const { result } = await probe({ path: join(models, 'b/readme.txt'), expect: { min_size: 100, max_age: '1m' } })
    t.equal(result.ok, true, result.error ?? '')
    t.equal(detailOf(result, 'exists'), `1 file matches ${join(models, 'b/readme.txt')}`)
    t.match(detailOf(result, 'max_age'), /^newest readme\.txt is (\d+s|\d+ms) old \(at most 1m wanted\)$/)
  })
})

t.test('nothing matches: every check fails with reason expectation, saying why', async (t) => {
  const empty = dir('empty')
  file(join(empty, 'notes.txt'), 1)

  const glob = await probe({ path: `${empty}/*.sql.gz`, expect: { min_size: '1k', max_age: '1d', min_count: 1 } })
  t.equal(glob.result.ok, false)
  t.equal(glob.result.reason, 'expectation')
  t.same(checkPairs(glob.result), [
    ['exists', false],
    ['min_size', false],
    ['max_age', false],
    ['min_count', false],
  ])
  t.equal(detailOf(glob.result, 'exists'), `nothing matches ${empty}/*.sql.gz`)
  t.equal(detailOf(glob.result, 'min_size'), `nothing matches ${empty}/*.sql.gz: no size (at least 1k wanted)`)
  t.equal(detailOf(glob.result, 'max_age'), `nothing matches ${empty}/*.sql.gz: no file to date (one at most 1d old wanted)`)
  t.equal(detailOf(glob.result, 'min_count'), `nothing matches ${empty}/*.sql.gz (at least 1 wanted)`)
  t.same(glob.result.info, { count: 0, total_bytes: 0, total: '0 B' })

  const missingDir = await probe({ path: `${empty}/gone/*.sql.gz` })
  t.equal(detailOf(missingDir.result, 'exists'), `nothing matches ${empty}/gone/*.sql.gz (the directory ${empty}/gone does not exist)`)
  const notDir = await probe({ path: `${empty}/notes.txt/*.sql.gz` })
  t.equal(detailOf(notDir.result, 'exists'), `nothing matches ${empty}/notes.txt/*.sql.gz (${empty}/notes.txt is not a directory)`)
  const missingFile = await probe({ path: `${empty}/app.lock` })
  t.equal(detailOf(missingFile.result, 'exists'), `nothing matches ${empty}/app.lock (${empty}/app.lock does not exist)`)
  const emptyDir = dir('nothing-inside')
  const noFile = await probe({ path: emptyDir })
  t.equal(detailOf(noFile.result, 'exists'), `nothing matches ${emptyDir} (the directory ${emptyDir} holds no file)`)
})

t.test('exists: false: ok when nothing matches, failed naming what lingers', async (t) => {
  const run = dir('run')
  const absent = await probe({ path: `${run}/*.lock`, expect: { exists: false } })
  t.equal(absent.result.ok, true, absent.result.error ?? '')
  t.same(checkPairs(absent.result), [['absent', true]])
  t.equal(detailOf(absent.result, 'absent'), `nothing matches ${run}/*.lock`)

  file(join(run, 'deploy.lock'), 0)
  const one = await probe({ path: `${run}/*.lock`, expect: { exists: false } })
  t.equal(one.result.ok, false)
  t.equal(one.result.reason, 'expectation')
  t.equal(detailOf(one.result, 'absent'), `1 file matches ${run}/*.lock (deploy.lock); nothing should`)
  for (const n of [1, 2, 3]) file(join(run, `w${n}.lock`), 0)
  const four = await probe({ path: `${run}/*.lock`, expect: { exists: false } })
  t.match(detailOf(four.result, 'absent'), /^4 files match .*\/\*\.lock \((\w+\.lock, ){2}\w+\.lock, \.\.\.\); nothing should$/)
})

t.test('a relative path starts at the config file directory, not the working directory', async (t) => {
  const project = dir('project')
  file(join(project, 'backups/backup-2026-12-06.sql.gz'), 2048, 3 * HOUR)
  mkdirSync(join(project, 'deploy'))
  const yaml = stringify({ services: [{ name: 'backup', probe: 'file', path: 'backups/*.sql.gz', expect: { max_age: '1d' } }] })
  const beside = parseConfig(yaml, join(project, 'groundtruth.yml'), PROBE_KINDS, {})
  t.equal(beside.services[0]!.bound.target, 'file:backups/*.sql.gz')
  const found = await probeService(beside.services[0]!, beside, silentLogger, baseDirOf(beside, '/'))
  t.equal(found.ok, true, found.error ?? '')
  t.equal(detailOf(found, 'max_age'), 'newest backup-2026-12-06.sql.gz is 3h old (at most 1d wanted)')
  // The same config one directory down looks one directory down.
  const below = parseConfig(yaml, join(project, 'deploy/groundtruth.yml'), PROBE_KINDS, {})
  const none = await probeService(below.services[0]!, below, silentLogger, baseDirOf(below, project))
  t.equal(none.ok, false)
  t.equal(detailOf(none, 'exists'), `nothing matches backups/*.sql.gz (the directory ${join(project, 'deploy/backups')} does not exist)`)
  t.equal(PROBE_KINDS.get('file')!.target({ path: '/srv/*.bin' } as never), 'file:///srv/*.bin')
})

t.test('a modification time ahead of the clock is young, and said to be in the future', async (t) => {
  const d = dir('future')
  file(join(d, 'skewed.bin'), 1, -2 * HOUR)
  const { result } = await probe({ path: `${d}/*.bin`, expect: { max_age: '1h' } })
  t.equal(result.ok, true, result.error ?? '')
  t.match(detailOf(result, 'max_age'), /^newest skewed\.bin is dated (1h 59m|2h)( \d+s)? in the future \(clock skew\?\) \(at most 1h wanted\)$/)
})

// ---------------------------------------------------------------- confinement

t.test('symbolic links are neither followed nor counted', async (t) => {
  const outside = dir('outside')
  file(join(outside, 'secret.bin'), 5 * GB)
  file(join(outside, 'deep/more.bin'), 5 * GB)
  const base = dir('linked')
  file(join(base, 'real.bin'), 1000)
  symlinkSync(join(outside, 'secret.bin'), join(base, 'to-file.bin'))
  symlinkSync(outside, join(base, 'to-dir'))
  symlinkSync(join(base, 'nowhere'), join(base, 'dangling.bin'))

  const star = await probe({ path: `${base}/*.bin`, expect: { max_age: '1h' } })
  t.equal(star.result.info.count, 1, 'only the regular file')
  t.equal(star.result.info.total_bytes, 1000, 'the 5 GB the link points at are not counted')
  const deep = await probe({ path: `${base}/**/*.bin` })
  t.equal(deep.result.info.count, 1, 'the linked directory is not descended into')
  const whole = await probe({ path: base })
  t.equal(whole.result.info.count, 1)
  const literal = await probe({ path: join(base, 'to-file.bin') })
  t.equal(literal.result.ok, false)
  t.equal(detailOf(literal.result, 'exists'), `nothing matches ${join(base, 'to-file.bin')} (${join(base, 'to-file.bin')} is a symbolic link, which is not followed)`)

  // The configured static base may itself go through a link: the user wrote that path.
  const via = join(dir('via'), 'models')
  symlinkSync(base, via)
  const throughBase = await probe({ path: `${via}/*.bin` })
  t.equal(throughBase.result.info.count, 1, 'a link in the configured base is the configured path')
})

t.test('a symbolic link loop does not hang the walk', async (t) => {
  const base = dir('loop')
  file(join(base, 'a/data.bin'), 10)
  symlinkSync(base, join(base, 'a/back'))
  symlinkSync(join(base, 'self'), join(base, 'self'))
  const ran = await probe({ path: `${base}/**/*.bin`, timeout: '2s' }, root, 1000)
  t.equal(ran.result.ok, true, ran.result.error ?? '')
  t.equal(ran.result.info.count, 1)
  t.equal(ran.sentinelMs, undefined, `done before a third... of the timeout (${ran.ms.toFixed(1)}ms)`)
})

t.test('a directory swapped for a link during the walk brings nothing from outside', async (t) => {
  const outside = dir('swap-outside')
  file(join(outside, 'x.bin'), 7 * GB)
  const base = dir('swap')
  file(join(base, 'real.bin'), 10)
  file(join(base, 'sub/x.bin'), 10)
  const original = limits.opendir
  t.teardown(() => void (limits.opendir = original))
  // Once sub/ has been listed, it is replaced by a link to outside/: the
  // listed sub/x.bin now resolves to outside/x.bin when it is lstat'ed.
  limits.opendir = (path, options, callback) =>
    original(path, options, (err, d) => {
      if (!err && path === join(base, 'sub')) {
        renameSync(join(base, 'sub'), join(base, 'sub-was'))
        symlinkSync(outside, join(base, 'sub'))
      }
      callback(err, d)
    })
  const { result } = await probe({ path: `${base}/**/*.bin` })
  t.equal(result.info.count, 1, 'only real.bin')
  t.equal(result.info.total_bytes, 10)
  t.equal(result.info.skipped_outside_base, 1, 'the match that resolved outside is dropped, and counted as such')
})

t.test('contents are never read: a FIFO matched is not opened, a file holding a secret is never shown', async (t) => {
  const base = dir('fifo')
  const secret = `gt-file-content-${randomBytes(8).toString('hex')}`
  file(join(base, 'token.txt'), 0, 0, secret)
  const fifo = spawnSync('mkfifo', [join(base, 'pipe.txt')])
  t.equal(fifo.status, 0, 'mkfifo made a FIFO')
  // A name with a newline and an escape byte: shown, but printable.
  file(join(base, 'odd\nname\u001b.txt'), 3)
  const ran = await probe({ path: `${base}/*.txt`, timeout: '2s', expect: { min_count: 2, max_age: '1h' } }, root, 1000)
  t.equal(ran.result.ok, true, ran.result.error ?? '')
  t.equal(ran.result.info.count, 2, 'the FIFO is not a regular file: not counted')
  t.equal(ran.sentinelMs, undefined, 'not blocked on the FIFO')
  t.notOk(JSON.stringify(ran.result).includes(secret), 'the content appears nowhere')
  const literal = await probe({ path: join(base, 'pipe.txt') })
  t.equal(detailOf(literal.result, 'exists'), `nothing matches ${join(base, 'pipe.txt')} (${join(base, 'pipe.txt')} is not a regular file)`)
  const odd = await probe({ path: join(base, 'odd*') })
  t.equal(detailOf(odd.result, 'exists'), `1 file matches ${join(base, 'odd*')}`)
  t.equal(odd.result.info.newest, 'odd?name?.txt', 'control characters replaced')
  const long = 'n'.repeat(240)
  file(join(base, `${long}.log`), 1)
  const longRun = await probe({ path: `${base}/*.log` })
  t.equal(longRun.result.info.newest, `${'n'.repeat(200)}...`, 'a long name is cut')
})

// ---------------------------------------------------------------- bounds and failures

t.test('a huge directory is bounded by the entry cap: error, never unbounded memory', async (t) => {
  const huge = dir('huge')
  for (let i = 0; i < 2000; i++) writeFileSync(join(huge, `f${i}.bin`), '')
  const saved = limits.maxEntries
  t.teardown(() => void (limits.maxEntries = saved))
  limits.maxEntries = 500
  const ran = await probe({ path: `${huge}/*.bin`, expect: { min_count: 1 } })
  t.equal(ran.result.ok, false)
  t.equal(ran.result.reason, 'error')
  t.equal(ran.result.error, `more than 500 directory entries under ${huge}: too many to walk in one run (narrow the pattern)`)
  t.same(checkPairs(ran.result), [
    ['exists', false],
    ['min_count', false],
  ])
  t.equal(ran.result.info.max_entries, 500)
  // Entries read are counted, matched or not: 2,000 of them fit a cap of 2,000, not one of 1,999.
  limits.maxEntries = 1999
  const over = await probe({ path: `${huge}/none-of-these.txt*` })
  t.equal(over.result.reason, 'error', 'unmatched entries count too')
  limits.maxEntries = 2000
  const fits = await probe({ path: `${huge}/*.bin`, expect: { min_count: 2000 } })
  t.equal(fits.result.ok, true, fits.result.error ?? '')
})

t.test('a directory that cannot be read: error with its code', async (t) => {
  const base = dir('denied')
  file(join(base, 'sub/a.bin'), 1)
  const original = limits.opendir
  t.teardown(() => void (limits.opendir = original))
  const denied = (at: string): typeof limits.opendir =>
    (path, options, callback) =>
      path === at ? callback(Object.assign(new Error(`EACCES: permission denied, opendir '${path}'`), { code: 'EACCES' }), undefined as never) : original(path, options, callback)

  t.test('the base (a stand-in for EACCES: root reads any directory)', async (t) => {
    limits.opendir = denied(base)
    const { result } = await probe({ path: `${base}/**/*.bin`, expect: { min_count: 1 } })
    t.equal(result.reason, 'error')
    t.equal(result.error, `cannot read the directory ${base}: EACCES`)
    t.equal(result.info.code, 'EACCES')
  })

  t.test('a directory under it: counts would be wrong, so the run fails too', async (t) => {
    limits.opendir = denied(join(base, 'sub'))
    const { result } = await probe({ path: `${base}/**/*.bin` })
    t.equal(result.reason, 'error')
    t.equal(result.error, `cannot read the directory ${join(base, 'sub')}: EACCES`)
  })

  t.test('a read that fails halfway through a directory (EIO)', async (t) => {
    limits.opendir = (path, options, callback) =>
      original(path, options, (err, d) => {
        const failing = Object.create(d) as Dir
        failing.read = ((cb: (err: NodeJS.ErrnoException | null, entry: null) => void) => cb(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }), null)) as Dir['read']
        failing.close = d.close.bind(d) as Dir['close']
        callback(err, failing)
      })
    const { result } = await probe({ path: `${base}/*.bin` })
    t.equal(result.reason, 'error')
    t.equal(result.error, `cannot read the directory ${base}: EIO`)
  })

  t.test('a directory removed during the walk is just not there', async (t) => {
    limits.opendir = (path, options, callback) =>
      path === join(base, 'sub') ? callback(Object.assign(new Error('ENOENT'), { code: 'ENOENT' }), undefined as never) : original(path, options, callback)
    const { result } = await probe({ path: `${base}/**/*.bin` })
    t.equal(result.reason, 'expectation', result.error ?? '')
    t.equal(detailOf(result, 'exists'), `nothing matches ${base}/**/*.bin`)
  })
})

t.test('for real, as an unprivileged user: an unreadable base directory and file', async (t) => {
  const base = dir('locked')
  file(join(base, 'inner/a.bin'), 1)
  chmodSync(base, 0o755)
  chmodSync(join(base, 'inner'), 0o700)
  const script = `
    const { parseConfig } = await import(${JSON.stringify(join(ROOT, 'src/config/load.ts'))})
    const { runProbe } = await import(${JSON.stringify(join(ROOT, 'src/runner.ts'))})
    const { PROBE_KINDS } = await import(${JSON.stringify(join(ROOT, 'probes/index.ts'))})
    const out = []
    for (const path of ${JSON.stringify([`${base}/inner/*.bin`, `${base}/inner/a.bin`, `${base}/**/*.bin`])}) {
      const config = parseConfig('services: [{ name: svc, probe: file, path: "' + path + '" }]', 'x.yml', PROBE_KINDS, {})
      const r = await runProbe(config.services[0], config.secrets)
      out.push({ reason: r.reason, error: r.error, code: r.info.code })
    }
    console.log('RESULT ' + JSON.stringify(out))
  `
  // tsx compiles the TypeScript; tap's coverage is not collected from a process of another user.
  const env = { ...process.env }
  delete env.NODE_V8_COVERAGE
  delete env.NODE_OPTIONS
  const res = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', script], { cwd: ROOT, uid: 65534, gid: 65534, env, encoding: 'utf8', timeout: 60_000 })
  const line = res.stdout.split('\n').find((l) => l.startsWith('RESULT '))
  if (!line) {
    t.comment(`could not run a child as nobody (${res.status}): ${res.stderr.slice(0, 400)}`)
    return
  }
  t.same(JSON.parse(line.slice(7)), [
    { reason: 'error', error: `cannot read the directory ${base}/inner: EACCES`, code: 'EACCES' },
    { reason: 'error', error: `cannot read ${base}/inner/a.bin: EACCES`, code: 'EACCES' },
    { reason: 'error', error: `cannot read the directory ${base}/inner: EACCES`, code: 'EACCES' },
  ])
})

t.test('a filesystem that never answers (a hung NFS mount): timeout at the deadline, the walk stopped', async (t) => {
  const base = dir('hung')
  file(join(base, 'a/x.bin'), 1)
  file(join(base, 'b/y.bin'), 1)
  const original = limits.opendir
  t.teardown(() => void (limits.opendir = original))
  let calls = 0
  limits.opendir = (path, options, callback) => {
    calls++
    if (path === join(base, 'a')) return // never calls back, as a stuck syscall
    original(path, options, callback)
  }
  const TIMEOUT = 300
  const ran = await probe({ path: `${base}/**/*.bin`, timeout: `${TIMEOUT}ms` }, root, TIMEOUT)
  t.equal(ran.result.ok, false)
  t.equal(ran.result.reason, 'timeout', ran.result.error ?? '')
  t.ok(notBeforeTimeout(ran.ms, TIMEOUT), `not before the timeout (${ran.ms.toFixed(1)}ms)`)
  t.ok(lateness(ran) <= TIMEOUT * 0.1, `at most 10% after a plain timer of the timeout fired (${ran.ms.toFixed(1)}ms)`)
  const before = calls
  await new Promise((r) => setTimeout(r, 50))
  t.equal(calls, before, 'no directory is opened after the deadline')
})

