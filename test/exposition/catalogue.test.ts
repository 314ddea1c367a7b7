// One metric catalogue: every metric is declared once beside the code that
// computes it. This test builds a daemon, reads its live registry, and holds
// it against the declarations, SPEC.md's table and the README's table, so a
// metric cannot be renamed, relabelled or added in one place only.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { PROBE_KINDS } from '../../probes/index.js'
import { parseConfig } from '../../src/config/load.js'
import { Daemon } from '../../src/daemon.js'
import { envCollector } from '../../src/env/collector.js'
import { declaredMetrics } from '../../src/exposition/metric.js'
import { selfCollector } from '../../src/exposition/self.js'
import { serviceCollector } from '../../src/exposition/services.js'
import { silentLogger } from '../../src/log.js'
import { kindCollectors } from '../../src/probe.js'
import { schedulerCollector } from '../../src/exposition/scheduler.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
/** The product contract lives beside the repository (CI lays shared/ there too). */
const SPEC = join(ROOT, '..', 'shared', 'SPEC.md')

/**
 * SPEC metrics of issues not done yet. Each entry must name a metric that is in
 * SPEC and NOT in the registry: when an issue adds it, this list must shrink.
 */
const NOT_YET: Record<string, string> = {}

interface Row {
  type: string
  labels: string[]
}

/** `| \`groundtruth_x\` | gauge | a, b | … |` rows of a Markdown document. */
function table(markdown: string): Map<string, Row> {
  const rows = new Map<string, Row>()
  for (const m of markdown.matchAll(/^\| `(groundtruth_[a-z_]+)` \| (gauge|counter) \| ([^|]*) \|/gm)) {
    const labels = m[3]!.trim() === '—' ? [] : m[3]!.split(',').map((l) => l.trim())
    rows.set(m[1]!, { type: m[2]!, labels: labels.sort() })
  }
  return rows
}

async function liveRegistry(): Promise<Map<string, Row>> {
  const config = parseConfig('services: [{ name: self, probe: tcp, address: "127.0.0.1:1" }]', 'catalogue.yml', PROBE_KINDS, {})
  const daemon = await Daemon.create({ load: async () => config, log: silentLogger })
  const live = new Map<string, Row>()
  for (const { name, type, labels } of daemon.exposition.families) live.set(name, { type, labels: [...labels].sort() })
  return live
}

t.test('the live registry is exactly the declared metrics', async (t) => {
  const live = await liveRegistry()
  const declared = declaredMetrics([serviceCollector, ...kindCollectors(PROBE_KINDS), envCollector, schedulerCollector, selfCollector] as never)
  t.same(
    [...live.entries()].sort(([a], [b]) => a.localeCompare(b)),
    declared.map((d) => [d.name, { type: d.type, labels: [...d.labels].sort() }]).sort(([a], [b]) => String(a).localeCompare(String(b))),
  )
  t.equal(new Set(declared.map((d) => d.name)).size, declared.length, 'each metric declared once')
})

t.test('the README documents every live metric with its type and labels, and nothing else', async (t) => {
  const live = await liveRegistry()
  const readme = table(readFileSync(join(ROOT, 'README.md'), 'utf8'))
  t.ok(readme.size >= 20, `the README's metric table was found (${readme.size} rows)`)
  t.same(Object.fromEntries(readme), Object.fromEntries(live))
})

// CI lays shared/ beside the clone; a clone elsewhere has no contract to compare with, and says so.
const specMissing = !existsSync(SPEC) && !process.env.CI ? `${SPEC} is not here (CI lays ../shared beside the clone)` : false

t.test("SPEC.md's table: every metric is live with its type and labels, or waits for a named issue", { skip: specMissing }, async (t) => {
  const live = await liveRegistry()
  const spec = table(readFileSync(SPEC, 'utf8'))
  t.ok(spec.size >= 30, `SPEC's metric table was found (${spec.size} rows)`)
  for (const [name, row] of spec) {
    if (name in NOT_YET) {
      t.notOk(live.has(name), `${name} is live: remove it from NOT_YET (${NOT_YET[name]})`)
      continue
    }
    t.same(live.get(name), row, name)
  }
  for (const name of Object.keys(NOT_YET)) t.ok(spec.has(name), `${name} is in SPEC`)
  // Beyond the SPEC: the README documents these (checked above).
  t.same([...live.keys()].filter((n) => !spec.has(n)).sort(), ['groundtruth_env_file_readable', 'groundtruth_migration_read_ok', 'groundtruth_probe_consecutive_failures', 'groundtruth_scheduler_active', 'groundtruth_scheduler_overdue', 'groundtruth_scheduler_queue_length', 'groundtruth_scheduler_skipped_total', 'groundtruth_tls_cert_expiry_timestamp_seconds'])
})
