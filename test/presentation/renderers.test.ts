// The human renderings of one status document: the terminal table, the
// Markdown report and the HTML page. They are pure functions of the
// document, so each is checked on a document built here, hostile text included.
import t from 'tap'
import type { ServiceStatus, StatusDocument } from '../../src/exposition/status.js'
import { explain, migrationLine } from '../../src/presentation/lines.js'
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
    depends_on: [],
    state: 'ready',
    up: true,
    ready: true,
    blocked_by: [],
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
    ...over,
  }
}

const doc: StatusDocument = {
  generated_at: '2026-12-02T10:00:00.000Z',
  environment: 'production',
  complete: true,
  ready_ratio: 1 / 3,
  groups: { backend: 0.5, infrastructure: 0 },
  gates: { passed: false, failures: ['ready ratio 33.3% is below the gate of 100%'], min_ready_ratio: 1 },
  services: [
    service({ name: 'api', critical: true, state: 'not_ready', ready: false, depends_on: ['db'], blocked_by: ['db'] }),
    service({ name: 'web', error: null }),
    service({
      name: 'db',
      group: 'infrastructure',
      probe: 'postgres',
      state: 'down',
      up: false,
      ready: false,
      reason: 'refused',
      error: `connect ECONNREFUSED ${HOSTILE}`,
      checks: [{ name: 'table:users', ok: false, detail: 'not evaluated: refused' }],
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
  ],
  env: [
    {
      source: '.env',
      environment: 'production',
      readable: true,
      variables: [
        { name: 'OPENAI_API_KEY', state: 'placeholder', reason: 'template_words' as never, line: 3 },
        { name: 'JWT_SECRET', state: 'weak', rule: 'dev_default_secret', line: 4 },
      ],
      duplicates: [],
      counts: { configured: 1, placeholder: 1, missing: 0, weak: 1 },
      configured: 1,
      total: 3,
    },
  ],
}

t.test('explain and migrationLine say why in one line', async (t) => {
  t.equal(explain(doc.services[0]!), 'waits on db (not up)')
  t.equal(explain(doc.services[1]!), '')
  t.match(explain(doc.services[2]!), /^refused: connect ECONNREFUSED/)
  t.equal(explain(service({ state: 'pending' })), 'not probed yet')
  t.equal(migrationLine(doc.services[2]!.migrations[0]!), 'prisma: 3 applied, 5 on disk, 2 pending (20261102_a, 20261103_b); current 20261101_init')
})

t.test('the terminal table: one row per service, colour only on a TTY, then gates, migrations, env', async (t) => {
  const plain = renderTable(doc, false)
  t.notMatch(plain, /\x1b\[/, 'no escape codes off a TTY')
  const lines = plain.split('\n')
  t.match(lines[0], /^SERVICE\s+GROUP\s+PROBE\s+STATE\s+REASON\s+LATENCY\s+DETAIL$/)
  t.match(lines[1], /^api\s+backend\s+http\s+not_ready\s+-\s+12ms\s+waits on db \(not up\)$/)
  t.match(plain, /Ready: 1\/3 services ready \(33\.3%\); gate 100%: FAILED\n {2}- ready ratio 33\.3% is below the gate of 100%/)
  t.match(plain, /Migrations db prisma: 3 applied/)
  t.match(plain, /Environment \.env \(production\): configured 1\/3 \(33\.3%\)\n {2}- placeholder: OPENAI_API_KEY\n {2}- weak: JWT_SECRET \(dev_default_secret\)/)
  const coloured = renderTable(doc, true)
  t.match(coloured, /\x1b\[33mnot_ready\x1b\[0m/)
  t.match(coloured, /\x1b\[31mdown\s*\x1b\[0m/)
})

t.test('the Markdown report: per-group tables, what is broken and why, migrations, env; table cells escaped', async (t) => {
  const md = renderMarkdown(doc, 'groundtruth.yml')
  t.match(md, /^# groundtruth status report\n/)
  t.match(md, /\*\*Readiness: 1\/3 services ready \(33\.3%\)\.\*\* Gates: \*\*failed\*\* \(ready ratio 33\.3% is below the gate of 100%\)\./)
  t.match(md, /## backend — 1\/2 ready \(50%\)/)
  t.match(md, /\| api \(critical\) \| ⚠️ not ready \|/)
  t.match(md, /- \*\*api\*\* \(backend\) is up but \*\*not ready\*\*: it depends on \*\*db\*\*, which is not up\./)
  t.match(md, /- \*\*db\*\* \(infrastructure\) is \*\*down\*\* — refused: connect ECONNREFUSED <script>alert\("x"\)<\/script> \\\| pipe/)
  t.match(md, /\| db \| prisma \| 20261101_init \| 3 \| 5 \| 2 \| 0 \| 0 \| 0 \| 1 \|/)
  t.match(md, /\| `OPENAI_API_KEY` \| placeholder \| template_words \| 3 \|/)
})

t.test('the page escapes every text it did not write', async (t) => {
  const html = renderPage(doc)
  t.notMatch(html, /<script>alert/, 'hostile error text is escaped')
  t.match(html, /&#60;script&#62;alert\(&#34;x&#34;\)&#60;\/script&#62;/)
  t.match(html, /<h2>backend — 50% ready<\/h2>/)
  t.match(html, /33\.3% ready<\/strong>/)
  t.match(html, /gates failed/)
  t.match(html, /<h2>environment <code>\.env<\/code> — configured 1\/3 \(33\.3%\)<\/h2><ul><li>placeholder: OPENAI_API_KEY<\/li>/)
  t.match(renderPage({ ...doc, ready_ratio: null }), /first round of probes still running/)
})
