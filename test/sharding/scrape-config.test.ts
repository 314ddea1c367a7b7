// deploy/prometheus/sharded.yml: promtool accepts it with the shipped rules,
// and its replicas agree: one `__tmp_hash` rule per replica for the modulus,
// the same replicas in discovery, in the relabeling and in the replicas job.
// (test/sharding/replicas.test.ts runs it in a real Prometheus.)
import { spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import t from 'tap'
import { parse } from 'yaml'
import { ROOT } from '../helpers/child.js'

const SHIPPED = join(ROOT, 'deploy', 'prometheus', 'sharded.yml')
const RULES = join(ROOT, 'alerts', 'groundtruth.rules.yml')

interface Relabel {
  source_labels?: string[]
  target_label?: string
  regex?: string
  replacement?: string
  modulus?: number
  action?: string
}
interface Job {
  job_name: string
  honor_labels?: boolean
  metrics_path?: string
  http_sd_configs?: Array<{ url: string }>
  static_configs?: Array<{ targets: string[] }>
  relabel_configs?: Relabel[]
  metric_relabel_configs?: Relabel[]
}
interface PromConfig {
  rule_files: string[]
  scrape_configs: Job[]
}

const config = parse(readFileSync(SHIPPED, 'utf8')) as PromConfig

t.test('promtool check config accepts sharded.yml with the shipped rules beside it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gt-sharded-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  cpSync(SHIPPED, join(dir, 'prometheus.yml'))
  for (const rule of config.rule_files) {
    mkdirSync(dirname(join(dir, rule)), { recursive: true })
    cpSync(RULES, join(dir, rule))
  }
  const r = spawnSync('promtool', ['check', 'config', join(dir, 'prometheus.yml')], { encoding: 'utf8' })
  t.equal(r.error, undefined, "promtool is installed (Debian's prometheus package)")
  t.equal(r.status, 0, `${r.stdout}${r.stderr}`)
  t.match(r.stdout, /SUCCESS/)
})

t.test('the sharded job: /probe per service, hashmod over the name, one rule per replica', async (t) => {
  const job = config.scrape_configs.find((j) => j.job_name === 'groundtruth')
  if (!job) throw new Error('job groundtruth: what the shipped alerts select')
  t.equal(job.honor_labels, true)
  t.equal(job.metrics_path, '/probe')
  const rules = job.relabel_configs ?? []
  t.match(rules[0], { source_labels: ['__address__'], target_label: '__param_service' }, 'the target, a service name, becomes ?service=')
  const hash = rules.find((r) => r.action === 'hashmod')
  t.match(hash, { source_labels: ['__param_service'], target_label: '__tmp_hash' })
  const picks = rules.filter((r) => r.source_labels?.join() === '__tmp_hash' && r.target_label === '__address__')
  t.same(picks.map((r) => r.regex), Array.from({ length: hash?.modulus ?? 0 }, (_, i) => String(i)), 'one rule for each value of the hash: no service left on its bare name')
  const replicas = picks.map((r) => r.replacement)
  t.equal(new Set(replicas).size, replicas.length, 'each to a replica of its own')
  t.same(job.http_sd_configs?.map((c) => new URL(c.url).host), replicas, 'discovery from every replica (the same document)')
  t.ok(job.http_sd_configs?.every((c) => new URL(c.url).pathname === '/sd'))

  const own = config.scrape_configs.find((j) => j.job_name === 'groundtruth-replicas')
  t.same(own?.static_configs?.flatMap((s) => s.targets), replicas, 'the replicas job scrapes the same replicas')
  const keep = own?.metric_relabel_configs?.find((r) => r.action === 'keep')
  const kept = new RegExp(`^(?:${keep?.regex})$`)
  t.ok(['process_cpu_seconds_total', 'nodejs_heap_size_used_bytes', 'groundtruth_build_info', 'groundtruth_scheduler_queue_length'].every((n) => kept.test(n)), 'their own health is kept')
  t.notOk(['groundtruth_service_up', 'groundtruth_service_ready', 'groundtruth_ready_ratio', 'groundtruth_group_ready_ratio'].some((n) => kept.test(n)), 'their copy of the services is dropped: it would count twice')
})
