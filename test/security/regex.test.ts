// Issue 13 item 4: user regular expressions run on RE2's linear-time engine.
// A body or banner the target controls cannot make a match backtrack
// (`^(a+)+$` on 30 bytes once took 18 s), and what RE2 cannot run
// (backreferences, lookaround) is refused at load by key path.
import t from 'tap'
import { parseConfig } from '../../src/config/load.js'
import { regex } from '../../src/settings/fields.js'
import { loadFailure } from '../helpers/config-problems.js'
import { checkPairs, runService } from '../helpers/probe-run.js'
import { bannerServer, httpServer, serverPool } from '../helpers/servers.js'
import { PROBE_KINDS } from '../../probes/index.js'

const { keep, closeAll } = serverPool()
t.teardown(closeAll)

const EVIL = '^(a+)+$'
/** Exponential for a backtracking engine: every split of the a's is tried before the "!" fails it. */
const HOSTILE = `${'a'.repeat(40)}!`

/** Milliseconds of the fastest of `n` runs: the least noisy measure on a loaded machine. */
async function fastest(n: number, run: () => Promise<unknown>): Promise<number> {
  let best = Infinity
  for (let i = 0; i < n; i++) {
    const started = performance.now()
    await run()
    best = Math.min(best, performance.now() - started)
  }
  return best
}

t.test('the regex field compiles to a linear-time matcher with RegExp semantics for test()', async (t) => {
  const p = regex.parse('^hello\\s+(world|there)\\b')
  t.equal(p.source, '^hello\\s+(world|there)\\b')
  t.ok(p.test('hello   world, and more'))
  t.notOk(p.test('say hello world'), '^ anchors at the start of the text')
  t.ok(regex.parse('ok').test('status: ok'), 'unanchored: a match anywhere')
  t.ok(regex.parse('(?i)READY').test('ready'), 'flags inline')
  const evil = regex.parse(EVIL)
  const started = performance.now()
  t.notOk(evil.test(HOSTILE))
  t.notOk(evil.test(`${'a'.repeat(200_000)}!`))
  t.ok(performance.now() - started < 2_000, `linear: ${(performance.now() - started).toFixed(1)}ms for 200 KB`)
})

t.test('body_matches with ^(a+)+$ on a hostile body takes about as long as a plain pattern', async (t) => {
  const body = await keep(httpServer((_req, res) => res.end(HOSTILE)))
  const probe = (pattern: string) => runService({ probe: 'http', url: `${body.url}/`, timeout: '30s', expect: { body_matches: pattern } })
  const evil = await probe(EVIL)
  t.same(checkPairs(evil.result), [['status', true], ['body_matches', false]])
  t.equal(evil.result.reason, 'expectation', 'judged, not timed out')
  const reference = await fastest(3, () => probe('^a+$'))
  const hostile = await fastest(3, () => probe(EVIL))
  t.comment(`http body_matches: ${EVIL} ${hostile.toFixed(1)}ms, ^a+$ ${reference.toFixed(1)}ms`)
  t.ok(hostile < reference * 5 + 200, `within 5x (+200ms) of the reference: ${hostile.toFixed(1)}ms vs ${reference.toFixed(1)}ms`)
})

t.test('banner_matches with ^(a+)+$ on a hostile banner takes about as long as a plain pattern', async (t) => {
  const peer = await keep(bannerServer(`${HOSTILE}\n`))
  const probe = (pattern: string) => runService({ probe: 'tcp', address: `127.0.0.1:${peer.port}`, timeout: '30s', expect: { banner_matches: pattern } })
  const evil = await probe(EVIL)
  t.same(checkPairs(evil.result), [['banner_matches', false]])
  t.equal(evil.result.reason, 'expectation')
  const reference = await fastest(3, () => probe('^a+$'))
  const hostile = await fastest(3, () => probe(EVIL))
  t.comment(`tcp banner_matches: ${EVIL} ${hostile.toFixed(1)}ms, ^a+$ ${reference.toFixed(1)}ms`)
  t.ok(hostile < reference * 5 + 200, `within 5x (+200ms) of the reference: ${hostile.toFixed(1)}ms vs ${reference.toFixed(1)}ms`)
})

const unsupported: { name: string; pattern: string; why: RegExp }[] = [
  { name: 'a backreference', pattern: '(a)\\1', why: /backreferences are not supported$/ },
  { name: 'a lookahead', pattern: 'ok(?=!)', why: /lookaround is not supported$/ },
  { name: 'a lookbehind', pattern: '(?<!x)ok', why: /lookaround is not supported$/ },
]

for (const u of unsupported) {
  t.test(`${u.name} is a config error naming the key path, body_matches and banner_matches alike`, async (t) => {
    const http = await loadFailure(`services:\n  - name: api\n    probe: http\n    url: http://api.internal/\n    expect:\n      body_matches: '${u.pattern}'\n`)
    const tcp = await loadFailure(`services:\n  - name: db\n    probe: tcp\n    address: db.internal:1\n    expect:\n      banner_matches: '${u.pattern}'\n`)
    for (const [failure, path] of [
      [http, 'services[0].expect.body_matches'],
      [tcp, 'services[0].expect.banner_matches'],
    ] as const) {
      t.equal(failure.error.problems.length, 1)
      const [p] = failure.error.problems
      t.equal(p?.path, path)
      t.equal(p?.line, 6)
      t.match(p?.message, /^expected a valid regular expression in RE2 syntax \(no backreferences or lookaround\): /)
      t.match(p?.message, u.why)
      t.notOk(failure.error.message.includes(u.pattern), 'the pattern is not echoed')
    }
  })
}

t.test('patterns RE2 runs as RegExp did still load', async (t) => {
  const config = parseConfig(
    `services:\n  - name: api\n    probe: http\n    url: http://api.internal/\n    expect: { body_matches: '"version":"\\d+\\.\\d+' }\n  - name: ssh\n    probe: tcp\n    address: h:22\n    expect: { banner_matches: '^SSH-2\\.0-OpenSSH_\\d+\\.\\d+' }\n`,
    'f.yml',
    PROBE_KINDS,
    {},
  )
  const body = (config.services[0]!.expect as { body_matches: { test(s: string): boolean } }).body_matches
  t.ok(body.test('{"version":"1.2.3"}'))
  const banner = (config.services[1]!.expect as { banner_matches: { test(s: string): boolean } }).banner_matches
  t.ok(banner.test('SSH-2.0-OpenSSH_9.6 Ubuntu'))
})
