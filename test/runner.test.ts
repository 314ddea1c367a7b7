// The runner's safety net: every string a probe reports, however deep, is
// redacted; what holds no secret is kept as the probe gave it, and the
// probe's own objects are never written to.
import t from 'tap'
import type { ServiceConfig } from '../src/config/load.js'
import type { ProbeOutcome } from '../src/probe.js'
import { SecretSet } from '../src/redact.js'
import { runProbe } from '../src/runner.js'

const SECRET = 'hunter2-planted-secret'

function serviceReturning(outcome: ProbeOutcome): ServiceConfig {
  return { name: 'svc', timeout: 2000, bound: { checkNames: ['status'], run: async () => outcome } } as unknown as ServiceConfig
}

const secrets = new SecretSet()
secrets.add(SECRET)

t.test('a secret anywhere in what a probe reports is masked, and the probe’s objects are left as they were', async (t) => {
  const findings = [{ kind: 'clean', summary: 'nothing here', blocksReady: false }, { kind: 'leaky', summary: `revision ${SECRET}`, blocksReady: true }]
  const facts = { migrations: { tool: 'alembic', error: `password=${SECRET}`, pending: ['a', 'b'] } }
  const info = { user: 'app', nested: { deeper: [1, `x ${SECRET} y`] } }
  const checks = [
    { name: 'status', ok: false, detail: `got 401 for ${SECRET}` },
    { name: 'json', ok: true, detail: 'fine' },
  ]
  const outcome = { checks, info, facts, findings } as unknown as ProbeOutcome
  const before = JSON.stringify(outcome)
  const result = await runProbe(serviceReturning(outcome), secrets)

  const out = JSON.stringify(result)
  t.notMatch(out, SECRET, 'the planted secret is nowhere in the result')
  t.equal(JSON.stringify(outcome), before, "the probe's own objects were not written to")
  t.same(result.findings[1], { kind: 'leaky', summary: 'revision ***', blocksReady: true })
  t.same((result.facts as Record<string, unknown>).migrations, { tool: 'alembic', error: 'password=***', pending: ['a', 'b'] })
  t.same(result.info, { user: 'app', nested: { deeper: [1, 'x *** y'] } })
  t.equal(result.checks[0]!.detail, 'got 401 for ***')
  t.equal(result.error, 'status: got 401 for ***')

  // Only the path to a masked string is copied; the rest is the probe's own.
  t.equal(result.findings[0], findings[0], 'a finding without a secret is the same object')
  t.equal((result.facts as unknown as { migrations: { pending: string[] } }).migrations.pending, facts.migrations.pending, 'an array without a secret is the same array')
  t.equal(result.checks[1], checks[1], 'a check without a secret is the same object')
})

t.test('a result with nothing to mask keeps the probe’s objects: no copy per run', async (t) => {
  const info = { status_code: 200, latency_ms: 3 }
  const facts = {}
  const checks = [{ name: 'status', ok: true, detail: 'got 200, expected 2xx' }]
  const result = await runProbe(serviceReturning({ checks, info, facts, findings: [] } as unknown as ProbeOutcome), secrets)
  t.equal(result.ok, true)
  t.equal(result.info, info)
  t.equal(result.facts, facts)
  t.equal(result.checks[0], checks[0])
})
