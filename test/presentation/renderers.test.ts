// The human renderings of one status document: the terminal table, the
// Markdown report and the HTML page. They are pure functions of the
// document, so each is checked on a document built here, hostile text included.
import t from 'tap'
import type { FindingStatus, ServiceStatus, StatusDocument } from '../../src/exposition/status.js'
import { PLACEHOLDER_WORDS, placeholderWords, WEAK_WORDS, weakWords, whyWords } from '../../src/env/words.js'
import { WEAK_RULES } from '../../src/env/weak.js'
import { REASONS } from '../../src/probe.js'
import { causeWords, envFindingLines, explain, failureWords, findingLine, heldBackBy, migrationLine, REASON_WORDS } from '../../src/presentation/lines.js'
import { renderMarkdown } from '../../src/presentation/markdown.js'
import { renderPage } from '../../src/presentation/page.js'
import { renderTable } from '../../src/presentation/table.js'

const HOSTILE = '<script>alert("x")</script> | pipe'

function service(over: Partial<ServiceStatus>): ServiceStatus {
  return {
    name: 'svc',
    group: 'backend',
    probe: 'http',
    target: 'http://api:4000/health',
    critical: false,
    description: null,
    depends_on: [],
    needs_env: [],
    state: 'ready',
    state_since: '2026-12-02T09:00:00.000Z',
    up: true,
    ready: true,
    causes: [],
    blocked_by: [],
    last_probe_ok: true,
    consecutive_failures: 0,
    reason: null,
    error: null,
    checks: [{ name: 'status', ok: true }],
    duration_seconds: 0.0123,
    last_run: '2026-12-02T10:00:00.000Z',
    last_success: '2026-12-02T10:00:00.000Z',
    probes: 1,
    failures: {},
    state_changes: 0,
    info: {},
    migrations: [],
    container: null,
    history: [],
    uptime: null,
    ...over,
  }
}

const placeholderKey = { name: 'OPENAI_API_KEY', state: 'placeholder' as const, sources: ['.env'] }

const FINDINGS: FindingStatus[] = [
  { concern: 'env', kind: 'placeholder', where: '.env', subject: 'OPENAI_API_KEY', summary: 'OPENAI_API_KEY holds a placeholder in .env', blocks: ['api', 'worker'], gated: true },
  { concern: 'migrations', kind: 'pending', where: 'db (prisma)', subject: '20261102_a, 20261103_b', summary: 'db prisma: 2 migrations not applied yet (20261102_a, 20261103_b)', blocks: ['db'], gated: true },
  { concern: 'env', kind: 'weak', where: '.env', subject: 'JWT_SECRET', summary: 'JWT_SECRET is weak in .env (dev default secret)', blocks: [], gated: true },
  { concern: 'env', kind: 'missing', where: '.env', subject: 'SENTRY_DSN', summary: 'SENTRY_DSN is missing in .env', blocks: [], gated: false },
]

const GATE_FAILURES = [
  'ready ratio 16.7% is below the gate of 100%',
  'critical service api is not ready: waits on db (not ready); OPENAI_API_KEY holds a placeholder in .env',
  'in .env (production), OPENAI_API_KEY holds a placeholder',
  'db prisma: 2 migrations not applied yet (20261102_a, 20261103_b)',
]

const doc: StatusDocument = {
  generated_at: '2026-12-02T10:00:00.000Z',
  environment: 'production',
  links: {},
  refresh_seconds: 30,
  complete: true,
  ready_ratio: 1 / 6,
  groups: { backend: 0, frontend: 1, infrastructure: 0 },
  gates: { passed: false, failures: GATE_FAILURES, min_ready_ratio: 1, env: ['placeholder', 'missing', 'weak'], migrations: ['pending', 'failed', 'unknown', 'branched'] },
  services: [
    service({
      name: 'api',
      critical: true,
      description: 'The public REST API',
      state: 'not_ready',
      ready: false,
      depends_on: ['db'],
      needs_env: ['OPENAI_API_KEY'],
      blocked_by: ['db'],
      causes: [
        { cause: 'dependency', detail: 'waits on db (not ready)', services: ['db'], roots: ['db'] },
        { cause: 'env', detail: 'OPENAI_API_KEY holds a placeholder in .env', variables: [placeholderKey] },
      ],
    }),
    service({ name: 'worker', state: 'not_ready', ready: false, needs_env: ['OPENAI_API_KEY'], causes: [{ cause: 'env', detail: 'OPENAI_API_KEY holds a placeholder in .env', variables: [placeholderKey] }] }),
    service({ name: 'web', group: 'frontend', description: `Storefront ${HOSTILE}` }),
    service({
      name: 'cache',
      group: 'infrastructure',
      state: 'down',
      up: false,
      ready: false,
      last_probe_ok: false,
      consecutive_failures: 3,
      reason: 'status',
      error: 'status: got 500, expected 2xx',
      checks: [{ name: 'status', ok: false, detail: 'got 500, expected 2xx' }],
      causes: [{ cause: 'down', detail: 'status: status: got 500, expected 2xx' }],
      state_since: '2026-12-02T09:58:00.000Z',
      history: [
        { at: '2026-12-02T09:57:00.000Z', ok: true, state: 'ready' },
        { at: '2026-12-02T09:58:00.000Z', ok: false, state: 'down' },
        { at: '2026-12-02T09:59:00.000Z', ok: false, state: 'down' },
        { at: '2026-12-02T10:00:00.000Z', ok: false, state: 'down' },
      ],
      uptime: 0.25,
    }),
    service({
      name: 'db',
      group: 'infrastructure',
      probe: 'postgres',
      state: 'down',
      up: false,
      ready: false,
      last_probe_ok: false,
      consecutive_failures: 5,
      reason: 'refused',
      error: `connect ECONNREFUSED ${HOSTILE}`,
      checks: [{ name: 'table:users', ok: false, detail: 'not evaluated: refused' }],
      causes: [{ cause: 'down', detail: `refused: connect ECONNREFUSED ${HOSTILE}` }],
      migrations: [
        {
          tool: 'prisma',
          applied: 3,
          available: 5,
          pending: 2,
          failed: 0,
          unknown: 0,
          checksumMismatch: 0,
          heads: 1,
          current: '20261101_init',
          names: { pending: ['20261102_a', '20261103_b'], failed: [], unknown: [], checksumMismatch: [] },
          notes: [],
          dirReadable: true,
        },
      ],
    }),
    service({ name: 'search', group: 'infrastructure', state: 'pending', up: null, ready: false, last_probe_ok: null, checks: [], duration_seconds: null }),
  ],
  findings: FINDINGS,
  env: [
    {
      source: '.env',
      environment: 'production',
      readable: true,
      variables: [
        { name: 'JWT_SECRET', state: 'weak', rule: 'dev_default_secret', line: 4 },
        { name: 'OPENAI_API_KEY', state: 'placeholder', reason: 'vendor_template', line: 3 },
        { name: 'SENTRY_DSN', state: 'missing' },
      ],
      duplicates: [{ name: 'LOG_LEVEL', lines: [7, 9], winner: 9 }],
      counts: { configured: 1, placeholder: 1, missing: 1, weak: 1 },
      configured: 1,
      total: 4,
    },
  ],
}

const empty: StatusDocument = {
  ...doc,
  ready_ratio: 1,
  groups: {},
  gates: { ...doc.gates, failures: ['nothing is configured: the config has no services to probe'] },
  services: [],
  findings: [],
  env: [],
}

const healthy: StatusDocument = {
  ...doc,
  ready_ratio: 1,
  groups: { frontend: 1 },
  gates: { ...doc.gates, passed: true, failures: [] },
  services: [service({ name: 'web', group: 'frontend' })],
  findings: [],
  env: [],
}

/** The text outside parentheses (nested ones too): where no internal code may stand. */
function prose(text: string): string {
  let out = text
  for (let before = ''; before !== out; ) {
    before = out
    out = out.replace(/\([^()]*\)/g, '')
  }
  return out
}

const CODES = /template_words|vendor_template|dev_default_secret|template_syntax|first cell:|status: status:|\b(?:refused|timeout|status|expectation): /

/** Positions of each needle in the text, for ordering assertions. */
const at = (text: string, ...needles: string[]) => needles.map((n) => text.indexOf(n))
const increasing = (positions: number[]) => positions.every((p, i) => p >= 0 && (i === 0 || p > positions[i - 1]!))

t.test('the words for every code: each reason, placeholder reason and weak rule has a phrase, the code in parentheses', async (t) => {
  for (const r of REASONS) t.match(REASON_WORDS[r], new RegExp(`\\(.*${r === 'refused' ? 'connection refused' : r}\\)$`), r)
  for (const [reason, words] of Object.entries(PLACEHOLDER_WORDS)) {
    t.equal(placeholderWords(reason), `${words} (${reason})`)
    t.notMatch(words, /_/, `${reason}: words, not a code`)
  }
  t.same(Object.keys(WEAK_WORDS).sort(), WEAK_RULES.map((r) => r.rule).sort(), 'every weak rule has words')
  for (const { rule } of WEAK_RULES) t.equal(weakWords(rule), `${WEAK_WORDS[rule]} (${rule})`)
  t.equal(placeholderWords('a_new_reason'), 'a new reason', 'an unknown code reads as words')
  t.equal(whyWords({ state: 'placeholder', reason: 'template_words' }), 'template text like your-key-here or changeme, not a real value (template_words)')
  t.equal(whyWords({ state: 'configured' }), '')
})

t.test('explain says every cause in plain words, never the reason word twice', async (t) => {
  const [api, worker, web, cache, db, search] = doc.services as [ServiceStatus, ServiceStatus, ServiceStatus, ServiceStatus, ServiceStatus, ServiceStatus]
  t.equal(explain(api), 'waits on db (not ready); OPENAI_API_KEY holds a placeholder in .env')
  t.equal(explain(worker), 'OPENAI_API_KEY holds a placeholder in .env')
  t.equal(explain(web), '')
  t.equal(explain(cache), 'it answered with an unexpected status (status) — got 500, expected 2xx')
  t.equal(explain(db), `nothing answered (connection refused) — connect ECONNREFUSED ${HOSTILE}`)
  t.equal(explain(search), 'not probed yet')
  t.equal(failureWords('timeout', null), 'no answer within the timeout (timeout)')
  t.equal(failureWords('error', 'socket hang up'), 'the probe failed (error) — socket hang up')

  const s = service({ state: 'not_ready', ready: false })
  t.equal(causeWords({ cause: 'dependency', detail: '', services: ['api', 'cache'], roots: ['db'] }, s), 'waits on api and cache (not ready; db is down at the root)')
  t.equal(
    causeWords({ cause: 'env', detail: '', variables: [{ name: 'JWT_SECRET', state: 'weak', sources: ['.env', '.env.local'], rule: 'dev_default_secret' }, { name: 'X', state: 'unaudited', sources: [] }] }, s),
    'JWT_SECRET is weak in .env and .env.local: a development default secret that anyone could guess (dev_default_secret); X has not been audited yet',
  )
  const finding = { concern: 'migrations' as const, kind: 'pending', subject: 'prisma', names: ['a', 'b'], summary: 'prisma: 2 migrations not applied yet (a, b)', blocksReady: true }
  t.equal(causeWords({ cause: 'migrations', detail: '', findings: [finding] }, s), 'prisma: 2 migrations not applied yet (a, b)')

  // Debounced: the last probe failed, the service is not counted as down yet.
  const flapping = service({ last_probe_ok: false, consecutive_failures: 2, reason: 'timeout', error: 'timed out after 5s' })
  t.equal(explain(flapping), 'its last probe failed (2 in a row), not counted as down yet: no answer within the timeout (timeout) — timed out after 5s')
  // Down after debouncing while the last probe passed: the down cause still says why.
  t.equal(explain(service({ state: 'down', up: false, ready: false, causes: [{ cause: 'down', detail: 'dns: getaddrinfo ENOTFOUND api' }] })), 'the host name did not resolve (dns) — getaddrinfo ENOTFOUND api')
  t.equal(explain(service({ state: 'down', up: false, ready: false, reason: 'tls', error: 'CERT_HAS_EXPIRED' })), 'the TLS handshake or certificate was refused (tls) — CERT_HAS_EXPIRED')
  for (const sv of doc.services) t.notMatch(prose(explain(sv)), CODES, `${sv.name}: no internal code outside parentheses`)
})

t.test('what each broken service and finding holds back', async (t) => {
  t.same(heldBackBy(doc, 'db'), ['api'])
  t.same(heldBackBy(doc, 'cache'), [])
  const chain: StatusDocument = {
    ...doc,
    services: [
      service({ name: 'web', state: 'not_ready', causes: [{ cause: 'dependency', detail: '', services: ['api'], roots: ['db'] }] }),
      service({ name: 'api', state: 'not_ready', causes: [{ cause: 'dependency', detail: '', services: ['db'], roots: ['db'] }] }),
      service({ name: 'db', state: 'down' }),
    ],
  }
  t.same(heldBackBy(chain, 'db'), ['web', 'api'], 'through others too')
  t.equal(findingLine(doc, FINDINGS[0]!), "OPENAI_API_KEY holds a placeholder in .env (line 3): a vendor's key prefix followed by template text, not a real key (vendor_template). Holds back api and worker; the verdict fails on it.")
  t.equal(findingLine(doc, FINDINGS[1]!), 'db prisma: 2 migrations not applied yet (20261102_a, 20261103_b). Holds back db; the verdict fails on it.')
  t.equal(findingLine(doc, FINDINGS[3]!), 'SENTRY_DSN is missing in .env. Holds nothing back.')
})

t.test('env lines and migration lines in words', async (t) => {
  t.same(envFindingLines(doc.env[0]!, doc.findings), [
    "OPENAI_API_KEY (line 3) holds a placeholder: a vendor's key prefix followed by template text, not a real key (vendor_template); holds back api and worker",
    'JWT_SECRET (line 4) is weak: a development default secret that anyone could guess (dev_default_secret)',
    'missing: SENTRY_DSN',
    'duplicate: LOG_LEVEL on lines 7, 9; line 9 wins',
  ])
  t.same(envFindingLines({ ...doc.env[0]!, readable: false, error: 'file not found', variables: [], duplicates: [] }), ['.env could not be read: file not found'])
  t.same(envFindingLines({ ...doc.env[0]!, duplicates: [] }, [{ ...FINDINGS[3]!, blocks: ['api'] }]).at(-1), 'SENTRY_DSN is missing; holds back api', 'a missing variable that holds something back gets its own line')
  t.equal(migrationLine(doc.services[4]!.migrations[0]!), 'prisma: 3 applied, 5 on disk, 2 not applied yet (20261102_a, 20261103_b); current 20261101_init')
})

t.test('the terminal table: one row per service, then migrations and env, then readiness and the gate failures last', async (t) => {
  const plain = renderTable(doc, false)
  t.notMatch(plain, /\x1b\[/, 'no escape codes off a TTY')
  const lines = plain.trimEnd().split('\n')
  t.match(lines[0], /^SERVICE\s+GROUP\s+PROBE\s+STATE\s+REASON\s+LATENCY\s+DETAIL$/)
  t.match(lines[1], /^api\s+backend\s+http\s+not_ready\s+-\s+12ms\s+waits on db \(not ready\); OPENAI_API_KEY holds a placeholder in \.env$/)
  t.match(plain, /\ncache\s+infrastructure\s+http\s+down\s+status\s+12ms\s+it answered with an unexpected status \(status\) — got 500, expected 2xx\n/)
  t.match(plain, /\nsearch\s+infrastructure\s+http\s+pending\s+-\s+-\s+not probed yet\n/)
  t.ok(increasing(at(plain, 'SERVICE', 'Migrations db prisma: 3 applied', 'Environment .env (production): configured 1/4 (25%)', 'Ready: 1/6 services ready (16.7%); gate 100%: FAILED')), 'table, migrations, env, readiness')
  t.match(plain, /Environment \.env \(production\): configured 1\/4 \(25%\)\n {2}- OPENAI_API_KEY \(line 3\) holds a placeholder: .*\(vendor_template\); holds back api and worker\n {2}- JWT_SECRET \(line 4\) is weak: a development default secret .*\(dev_default_secret\)\n {2}- missing: SENTRY_DSN\n {2}- duplicate: LOG_LEVEL on lines 7, 9; line 9 wins\n\nReady: /)
  t.same(lines.slice(-GATE_FAILURES.length - 1), ['Ready: 1/6 services ready (16.7%); gate 100%: FAILED', ...GATE_FAILURES.map((f) => `  - ${f}`)], 'the verdict and every gate failure come last')
  t.notMatch(prose(plain.split('\n').slice(1).join('\n')), CODES, 'no internal code outside parentheses')

  const coloured = renderTable(doc, true)
  t.match(coloured, /\x1b\[33mnot_ready\x1b\[0m/)
  t.match(coloured, /\x1b\[31mdown\s*\x1b\[0m/)

  const nothing = renderTable(empty)
  t.match(nothing, /^No services are configured: there is nothing to probe\.\n/)
  t.match(nothing, /Ready: nothing is configured, so nothing was probed; gate 100%: FAILED\n {2}- nothing is configured: the config has no services to probe\n$/)
  t.notMatch(nothing, /0\/0|SERVICE/)
  t.match(renderTable(healthy), /Ready: 1\/1 services ready \(100%\); gate 100%: PASSED\n$/)
})

t.test('the Markdown report opens with the verdict and every gate failure', async (t) => {
  const md = renderMarkdown(doc, 'groundtruth.yml')
  const opening = [
    '# groundtruth status report',
    '',
    '**Readiness: 1/6 services ready (16.7%).** Verdict: **failed** — 4 gates fail:',
    '',
    ...GATE_FAILURES.map((f) => `- ${f}`),
    '',
    'Generated 2026-12-02T10:00:00.000Z from live probes · environment `production` · config `groundtruth.yml`',
    '',
    '## What is broken and why',
  ].join('\n')
  t.equal(md.slice(0, opening.length), opening, 'the title, the verdict and every gate failure, then the rest')
  t.match(renderMarkdown(healthy, 'x.yml'), /^# groundtruth status report\n\n\*\*Readiness: 1\/1 services ready \(100%\)\.\*\* Verdict: \*\*passed\*\* \(gate 100%\)\.\n/)
  t.match(renderMarkdown(healthy, 'x.yml'), /## What is broken and why\n\nNothing: every service is up and ready, and no finding holds anything back\./)
})

t.test('the Markdown report: what is broken, down first, then not ready, then findings most blocking first, each naming what it holds back', async (t) => {
  const md = renderMarkdown(doc, 'groundtruth.yml')
  const broken = md.slice(md.indexOf('## What is broken and why'), md.indexOf('\n## ', md.indexOf('## What is broken and why') + 1))
  t.same(broken.split('\n'), [
    '## What is broken and why',
    '',
    '- **db** (infrastructure) is **down**: nothing answered (connection refused) — connect ECONNREFUSED <script>alert("x")</script> \\| pipe. It holds back api.',
    '  - not checked, since the probe failed first: `table:users`',
    '- **cache** (infrastructure) is **down**: it answered with an unexpected status (status).',
    '  - check `status`: got 500, expected 2xx',
    '- **api** (backend, critical) is up but **not ready**:',
    '  - waits on db (not ready)',
    '  - OPENAI_API_KEY holds a placeholder in .env',
    '- **worker** (backend) is up but **not ready**: OPENAI_API_KEY holds a placeholder in .env.',
    '- **search** (infrastructure) has not been probed yet.',
    "- OPENAI_API_KEY holds a placeholder in .env (line 3): a vendor's key prefix followed by template text, not a real key (vendor_template). Holds back api and worker; the verdict fails on it.",
    '- db prisma: 2 migrations not applied yet (20261102_a, 20261103_b). Holds back db; the verdict fails on it.',
    '- JWT_SECRET is weak in .env (line 4): a development default secret that anyone could guess (dev_default_secret). Holds nothing back; the verdict fails on it.',
    '- One more finding holds nothing back and no gate judges it; see below.',
    '',
  ])
  t.notMatch(prose(broken), CODES, 'no internal code outside parentheses')

  // The document's order of findings is kept: most blocking first.
  const reordered = renderMarkdown({ ...doc, findings: [FINDINGS[1]!, FINDINGS[0]!] }, 'x.yml')
  t.ok(increasing(at(reordered, '- db prisma: 2 migrations', '- OPENAI_API_KEY holds')))

  // Down services that hold more back come first.
  const two = renderMarkdown(
    {
      ...doc,
      services: [
        service({ name: 'a', state: 'down', up: false, ready: false, causes: [{ cause: 'down', detail: 'timeout: no answer' }] }),
        service({ name: 'b', state: 'down', up: false, ready: false, causes: [{ cause: 'down', detail: 'timeout: no answer' }] }),
        service({ name: 'c', state: 'not_ready', ready: false, causes: [{ cause: 'dependency', detail: '', services: ['b'], roots: ['b'] }] }),
      ],
      findings: [],
    },
    'x.yml',
  )
  t.ok(increasing(at(two, '- **b** (backend) is **down**: no answer within the timeout (timeout) — no answer. It holds back c.', '- **a** (backend) is **down**', '- **c** (backend) is up but **not ready**: waits on b (not ready).')))
})

t.test('the Markdown report: per-group tables with descriptions, migrations, env in words; table cells escaped', async (t) => {
  const md = renderMarkdown(doc, 'groundtruth.yml')
  t.match(md, /## backend — 0\/2 ready \(0%\)\n\n\| Service \| Description \| State \|/)
  t.match(md, /\| api \(critical\) \| The public REST API \| ⚠️ not ready \|/)
  t.match(md, /\| worker \| - \| ⚠️ not ready \|/)
  t.match(md, /\| web \| Storefront <script>alert\("x"\)<\/script> \\\| pipe \| ✅ ready \|/)
  t.match(md, /## infrastructure — 0\/3 ready \(0%\)\n\n\| Service \| State \| Reason \|/, 'no description column when no member has one')
  t.match(md, /\| db \| ❌ down \| refused \|/)
  t.match(md, /\| db \| prisma \| 20261101_init \| 3 \| 5 \| 2 \| 0 \| 0 \| 0 \| 1 \|/)
  t.match(md, /- \*\*db\*\* prisma: 3 applied, 5 on disk, 2 not applied yet/)
  t.match(md, /\| `OPENAI_API_KEY` \| placeholder \| a vendor's key prefix followed by template text, not a real key \(vendor_template\) \| api, worker \| 3 \|/)
  t.match(md, /\| `JWT_SECRET` \| weak \| a development default secret that anyone could guess \(dev_default_secret\) \| - \| 4 \|/)
  t.match(md, /\| `SENTRY_DSN` \| missing \| not set, or set to nothing \| - \| - \|/)
  t.match(md, /- duplicate: LOG_LEVEL on lines 7, 9; line 9 wins/)
})

t.test('the Markdown report of an empty config says so in a sentence', async (t) => {
  const md = renderMarkdown(empty, 'groundtruth.yml')
  t.match(md, /^# groundtruth status report\n\n\*\*Nothing is configured: the config names no services, so nothing was probed\.\*\* Verdict: \*\*failed\*\* — one gate fails:\n\n- nothing is configured: the config has no services to probe\n/)
  t.match(md, /## What is broken and why\n\nNothing can be judged: no service is configured\./)
  t.notMatch(md, /0\/0|\(100%\)/)
})

t.test('the page: verdict with every gate failure, descriptions, the why of each service, and every text escaped', async (t) => {
  const html = renderPage(doc)
  t.notMatch(html, /<script>alert/, 'hostile error and description text is escaped')
  t.match(html, /&#60;script&#62;alert\(&#34;x&#34;\)&#60;\/script&#62;/)
  t.match(html, /<h2>backend — <span data-group-ratio="backend">0% ready<\/span><\/h2>/)
  t.match(html, /<strong id="headline">16\.7% ready<\/strong> · gates <span id="gates">failed: 4 failures<\/span><\/p>\n<ul id="failures" class="failures"><li>ready ratio 16\.7% is below the gate of 100%<\/li><li>critical service api is not ready/)
  t.match(html, /<section id="verdict" class="verdict fail"/)
  t.match(html, /last round <time id="last-round" datetime="2026-12-02T10:00:00\.000Z">2026-12-02 10:00:00 UTC<\/time> · refreshes every 30s/)
  t.match(html, /<body data-refresh="30">/, 'the refresh interval for the script')
  t.match(html, /<td class="name">api <span class="crit"[^>]*>critical<\/span><small class="desc">The public REST API<\/small>/)
  t.match(html, /<small class="desc">Storefront &#60;script&#62;/)
  t.match(html, /<td class="why">waits on <a href="#svc-db">db<\/a> \(not ready\); OPENAI_API_KEY holds a placeholder in \.env<\/td>/, 'the dependency is named and linked')
  t.match(html, /<tr id="svc-db" data-service="db" class="state-down">/, 'the link target')
  t.match(html, /<td class="why">it answered with an unexpected status \(status\) — got 500, expected 2xx<\/td>/)
  t.match(html, /<h2>what holds services back<\/h2><ul class="plain"><li>OPENAI_API_KEY holds a placeholder in \.env \(line 3\): a vendor&#39;s key prefix/)
  t.match(html, /<h2>environment <code>\.env<\/code> — configured 1\/4 \(25%\)<\/h2><ul class="plain"><li>OPENAI_API_KEY \(line 3\) holds a placeholder: .*<li>duplicate: LOG_LEVEL[^<]*<\/li><\/ul>/)
  t.match(html, /<h2>migrations<\/h2><ul class="plain"><li><a href="#svc-db">db<\/a><ul><li>prisma: 3 applied, 5 on disk, 2 not applied yet/)
  t.match(html, /<h2>dependencies<\/h2><ul class="plain"><li><a href="#svc-api">api<\/a> waits on db <a class="badge down" href="#svc-db">✖ down<\/a><\/li><\/ul>/)
  t.match(renderPage({ ...doc, ready_ratio: null }), /first round of probes still running/)
  const nothing = renderPage(empty)
  t.match(nothing, /<strong id="headline">nothing is configured: the config names no services<\/strong>/)
  t.match(nothing, /<li>nothing is configured: the config has no services to probe<\/li>/)
  t.match(nothing, /last round <time id="last-round">none yet<\/time>/)
  t.notMatch(nothing, /100% ready/)
  const ok = renderPage(healthy)
  t.match(ok, /<section id="verdict" class="verdict pass"[^>]*>\n<p class="headline"><span id="verdict-mark" aria-hidden="true">✔<\/span> <strong id="headline">100% ready<\/strong> · gates <span id="gates">passed<\/span><\/p>\n<ul id="failures" class="failures"><\/ul>/)
  t.notMatch(ok, /<h2>(dependencies|migrations|containers)<\/h2>/, 'no empty sections')
  t.match(renderPage({ ...doc, refresh_seconds: null }), /<body data-refresh="">/, 'no refresh without an interval')
})

t.test('the page: each service its state in colour and words, since when, latency, history and uptime', async (t) => {
  const html = renderPage(doc)
  const rowOf = (name: string) => new RegExp(`<tr id="svc-${name}"[^\n]*</tr>`).exec(html)?.[0] ?? ''
  const cache = rowOf('cache')
  t.match(cache, /<td class="state" data-label="state"><span class="badge down">✖ down<\/span><\/td>/, 'an icon and a word, not colour alone')
  t.match(cache, /<td class="since">down since <time datetime="2026-12-02T09:58:00\.000Z">2026-12-02 09:58:00 UTC<\/time><\/td>/)
  t.match(cache, /<td class="latency num" data-label="latency">12ms<\/td>/)
  t.match(cache, /<span class="hist" role="img" aria-label="last 4 runs: 1 passed, 3 failed"><i class="ready" title="2026-12-02 09:57:00 UTC: passed, ready"><\/i><i class="fail" title="2026-12-02 09:58:00 UTC: failed, down"><\/i>/)
  t.equal(cache.match(/<i /g)?.length, 4, 'one cell per run')
  t.match(cache, /<td class="uptime num" data-label="uptime">25%<\/td>/)
  t.match(rowOf('api'), /<span class="badge not_ready">⚠ not ready<\/span><\/td><td class="since">not ready since <time/)
  t.match(rowOf('web'), /<span class="badge ready">✔ ready<\/span><\/td><td class="since">ready since /)
  t.match(rowOf('web'), /<td class="history" data-label="history"><span class="hist-empty">no runs yet<\/span><\/td><td class="uptime num" data-label="uptime">-<\/td>/)
  const search = rowOf('search')
  t.match(search, /<span class="badge pending">… pending<\/span><\/td><td class="since"><\/td><td class="why">not probed yet<\/td><td class="latency num" data-label="latency">-<\/td>/)
  t.match(html, /<script>\(function \(\) \{/, 'the refresh script is inline (no CDN, no build)')
  t.notMatch(html, /<script[^>]+src=|<link[^>]+stylesheet|(src|href)="(https?:)?\/\//, 'nothing loaded from elsewhere')
})

t.test('the page: containers, their last error line in the why, and hostile names escaped everywhere', async (t) => {
  const box = { name: `box-${HOSTILE}`, state: 'restarting' as const, health: 'none' as const, restartCount: 7, exitCode: 1, oomKilled: false, imagePresent: false, image: 'app:1', lastWords: `Error: Cannot find module ${HOSTILE}` }
  const evil = `evil"><img src=x onerror=alert(1)>`
  const html = renderPage({
    ...doc,
    services: [
      service({ name: evil, group: HOSTILE, state: 'down', up: false, ready: false, reason: 'container', error: 'restart loop', container: box, causes: [{ cause: 'down', detail: 'container: restart loop' }] }),
      service({ name: 'api', state: 'not_ready', ready: false, depends_on: [evil], causes: [{ cause: 'dependency', detail: '', services: [evil], roots: [evil] }] }),
    ],
    groups: { [HOSTILE]: 0 },
  })
  t.notMatch(html, /<script>alert|<img src=x/, 'no hostile markup survives')
  t.match(html, /<td class="why">its container is not well \(container\) — restart loop; container box-&#60;script&#62;alert\(&#34;x&#34;\)&#60;\/script&#62; \| pipe says: Error: Cannot find module &#60;script&#62;/)
  t.match(html, /<tr id="svc-evil%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert\(1\)%3E" data-service="evil&#34;&#62;&#60;img src=x onerror=alert\(1\)&#62;"/)
  t.match(html, /waits on <a href="#svc-evil%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert\(1\)%3E">evil&#34;&#62;&#60;img src=x onerror=alert\(1\)&#62;<\/a>/)
  t.match(html, /<h2>containers<\/h2><table class="grid">.*<td class="num" data-label="restarts">7<\/td><td class="num" data-label="exit">1<\/td><td data-label="image"><code>app:1<\/code> <strong>missing<\/strong><\/td><td data-label="last error line">Error: Cannot find module &#60;script&#62;/)
  t.match(html, /<span data-group-ratio="&#60;script&#62;alert\(&#34;x&#34;\)&#60;\/script&#62; \| pipe">0% ready<\/span>/)
})

t.test('renderers are pure functions of the document', async (t) => {
  const copy = structuredClone(doc)
  t.equal(renderTable(doc), renderTable(copy))
  t.equal(renderMarkdown(doc, 'a.yml'), renderMarkdown(copy, 'a.yml'))
  t.equal(renderPage(doc), renderPage(copy))
  t.same(doc, copy, 'the document is not changed')
})

t.test('the report: a Containers section with the images-on-host line and the last words', async (t) => {
  const box = (over: Partial<NonNullable<ServiceStatus['container']>>) => ({ name: 'c', state: 'running' as const, health: 'none' as const, restartCount: 0, exitCode: 0, oomKilled: false, imagePresent: true, ...over })
  const md = renderMarkdown(
    {
      ...doc,
      services: [
        service({ name: 'api', container: box({ name: 'openmeet-api-1', state: 'restarting', restartCount: 7, exitCode: 1, image: 'openmeet-api:latest', lastWords: "Error: Cannot find module 'openai'" }) }),
        service({ name: 'ollama', container: box({ name: 'ollama', state: 'absent', imagePresent: false, image: 'ollama/ollama:latest' }) }),
        service({ name: 'worker', container: box({ name: 'worker-1', image: 'app:1' }) }),
        service({ name: 'web' }),
      ],
    },
    'g.yml',
  )
  t.match(md, /## Containers\n\nRunning: 1\/3\. Images on the host: 2\/3\./)
  t.match(md, /\| api \| `openmeet-api-1` \| restarting \| none \| 7 \| 1 \| `openmeet-api:latest` present \| Error: Cannot find module 'openai' \|/)
  t.match(md, /\| ollama \| `ollama` \| absent \| none \| 0 \| 0 \| `ollama\/ollama:latest` \*\*missing\*\* \| - \|/)
  t.notMatch(md.split('## Containers')[1]!.split('\n\n## ')[0]!, /\| web \|/, 'a service without a container has no row')
  t.notMatch(renderMarkdown(doc, 'g.yml'), /## Containers/, 'no section without containers')
})

t.test('the page links out to Grafana and the runbooks when the config names them', async (t) => {
  t.notMatch(renderPage(doc), />Grafana</, 'no link without the config key')
  const html = renderPage({ ...doc, links: { grafana: 'https://grafana.example/d/gt?a=1&b="2"', runbooks: 'https://wiki.example/runbook' } })
  t.match(html, /<a href="https:\/\/grafana\.example\/d\/gt\?a=1&#38;b=&#34;2&#34;" rel="noopener">Grafana<\/a>/, 'escaped')
  t.match(html, /<a href="https:\/\/wiki\.example\/runbook" rel="noopener">runbooks<\/a>/)
})
