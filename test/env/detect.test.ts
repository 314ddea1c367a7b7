// The env audit's detector: the values of the seed reports get the verdict a
// person gave them, a labelled corpus (real-looking credentials generated
// afresh at every run) measures precision and recall, and no real-looking
// value is ever called a placeholder or weak.
import t from 'tap'
import { classifyValue, type EnvState } from '../../src/env/detect.js'
import { WEAK_RULES } from '../../src/env/weak.js'
import { buildCorpus, realLooking, symbolPasswords, type CorpusEntry } from './corpus.js'

const prod = { environment: 'production' }

t.test('the values of the seed reports', async (t) => {
  const seeds: Array<[string, string, EnvState, string?]> = [
    ['ANTHROPIC_API_KEY', 'placeholder_replace_with_real_key', 'placeholder'],
    ['STRIPE_API_KEY', 'sk_test_placeholder_replace_with_real_key', 'placeholder'],
    ['STRIPE_WEBHOOK_SECRET', 'whsec_placeholder_replace_with_real_secret', 'placeholder'],
    ['OPENAI_API_KEY', 'your-openai-api-key-here', 'placeholder'],
    ['HF_TOKEN', 'YOUR_HUGGINGFACE_TOKEN_HERE', 'placeholder'],
    // Works (the app accepts it, ≥ 32 chars), so it is weak rather than a placeholder.
    ['JWT_SECRET', 'dev-secret-change-in-production-min-32-chars-required', 'weak', 'dev_default_secret'],
    ['JWT_REFRESH_SECRET', 'dev-refresh-secret-different-from-jwt-secret', 'weak', 'dev_default_secret'],
    ['ENCRYPTION_KEY', '0123456789abcdef0123456789abcdef', 'weak', 'sequential_or_repeated'],
    ['REDIS_PASSWORD', 'redis123', 'weak', 'weak_password'],
    ['POSTGRES_PASSWORD', 'openmeet123', 'weak', 'weak_password'],
    ['MONGO_PASSWORD', 'mongo123', 'weak', 'weak_password'],
    ['RABBITMQ_PASSWORD', 'rabbit123', 'weak', 'weak_password'],
    ['MINIO_PASSWORD', 'minio123456', 'weak', 'weak_password'],
    ['REDIS_URL', 'redis://:redis123@localhost:6380', 'weak', 'weak_password'],
    ['RABBITMQ_URL', 'amqp://openmeet:rabbit123@localhost:5674', 'weak', 'weak_password'],
    ['NODE_ENV', 'production', 'configured'],
    ['PYTHON_ENV', 'production', 'configured'],
    ['AI_PROVIDER', 'vllm', 'configured'],
    ['AI_FALLBACK_PROVIDER', 'openai', 'configured'],
    ['WHISPER_MODEL_SIZE', 'small', 'configured'],
    ['WHISPER_MODEL_PATH', '/models/whisper-small', 'configured'],
    ['VLLM_BASE_URL', 'http://vllm:8000/v1', 'configured'],
    ['VLLM_MODEL', 'meta-llama/Llama-3.2-3B-Instruct', 'configured'],
    ['OLLAMA_MODEL', 'llama3.2:3b', 'configured'],
    ['OLLAMA_EMBEDDING_MODEL', 'nomic-embed-text', 'configured'],
    ['HF_HOME', '/models/.cache', 'configured'],
    ['POSTGRES_USER', 'openmeet', 'configured'],
    ['POSTGRES_DB', 'openmeet_db', 'configured'],
    ['MONGO_DB', 'openmeet_transcripts', 'configured'],
    ['NEXT_PUBLIC_WS_URL', 'ws://localhost:5003', 'configured'],
    ['ES_JAVA_OPTS', '-Xms512m -Xmx512m', 'configured'],
    ['STRIPE_SECRET_KEY', '', 'missing'],
  ]
  for (const [name, value, state, rule] of seeds) {
    const got = classifyValue(name, value, prod)
    t.equal(got.state, state, `${name}=${value}`)
    if (rule) t.equal(got.rule, rule, `${name} rule`)
  }
})

/** Per-class precision and recall of the detector on `corpus`. */
function score(corpus: CorpusEntry[]): { table: string[]; precision: Record<EnvState, number>; recall: Record<EnvState, number>; misses: string[]; ruleHits: number; ruleTotal: number } {
  const classes: EnvState[] = ['configured', 'placeholder', 'weak', 'missing']
  const tp: Record<string, number> = {}
  const predicted: Record<string, number> = {}
  const actual: Record<string, number> = {}
  const misses: string[] = []
  let ruleHits = 0
  let ruleTotal = 0
  for (const e of corpus) {
    const got = classifyValue(e.name, e.value, { environment: e.environment ?? 'production' })
    predicted[got.state] = (predicted[got.state] ?? 0) + 1
    actual[e.expected] = (actual[e.expected] ?? 0) + 1
    if (got.state === e.expected) tp[e.expected] = (tp[e.expected] ?? 0) + 1
    else misses.push(`${e.group}: ${e.name} expected ${e.expected}, got ${got.state}${got.rule ? `/${got.rule}` : ''}${got.reason ? `/${got.reason}` : ''}`)
    if (e.rule) {
      ruleTotal++
      if (got.rule === e.rule) ruleHits++
      else misses.push(`${e.name}: expected rule ${e.rule}, got ${got.rule ?? got.state}`)
    }
  }
  const precision = {} as Record<EnvState, number>
  const recall = {} as Record<EnvState, number>
  const table = ['class        n    precision  recall']
  for (const c of classes) {
    precision[c] = predicted[c] ? (tp[c] ?? 0) / (predicted[c] ?? 1) : 1
    recall[c] = actual[c] ? (tp[c] ?? 0) / (actual[c] ?? 1) : 1
    table.push(`${c.padEnd(12)} ${String(actual[c] ?? 0).padStart(3)}  ${precision[c].toFixed(3).padStart(9)}  ${recall[c].toFixed(3).padStart(6)}`)
  }
  return { table, precision, recall, misses, ruleHits, ruleTotal }
}

t.test('labelled corpus: precision and recall per class', async (t) => {
  const corpus = buildCorpus()
  t.ok(corpus.length >= 150, `${corpus.length} assignments`)
  const { table, precision, recall, misses, ruleHits, ruleTotal } = score(corpus)
  for (const line of table) t.comment(line)
  t.comment(`weak rule right for ${ruleHits}/${ruleTotal}`)
  for (const m of misses) t.comment(`miss: ${m}`)

  // No false alarm: every real-looking credential and every ordinary value is configured.
  const alarms = corpus.filter((e) => e.expected === 'configured').filter((e) => classifyValue(e.name, e.value, { environment: e.environment ?? 'production' }).state !== 'configured')
  t.same(alarms.map((e) => e.name), [], 'no real-looking or ordinary value is flagged')
  t.equal(precision.placeholder, 1, 'placeholder precision 1')
  t.equal(precision.weak, 1, 'weak precision 1')
  t.ok(recall.placeholder >= 0.95, `placeholder recall ${recall.placeholder.toFixed(3)} ≥ 0.95`)
  t.ok(recall.weak >= 0.9, `weak recall ${recall.weak.toFixed(3)} ≥ 0.9`)
  t.equal(recall.missing, 1, 'every empty value is missing')
  t.ok(ruleHits / ruleTotal >= 0.9, `weak rule right for ${ruleHits}/${ruleTotal}`)
  // Every rule is exercised by the corpus.
  const rules = new Set(corpus.map((e) => e.rule))
  for (const { rule } of WEAK_RULES) t.ok(rules.has(rule), `corpus covers ${rule}`)
})

t.test('real-looking credentials are never flagged, over many fresh draws', async (t) => {
  let n = 0
  const flagged: string[] = []
  for (let round = 0; round < 200; round++) {
    for (const e of [...realLooking(), ...symbolPasswords(50)]) {
      n++
      const got = classifyValue(e.name, e.value, prod)
      if (got.state !== 'configured') flagged.push(`${e.name}=${JSON.stringify(e.value)}: ${got.state} ${got.rule ?? got.reason ?? ''}`)
    }
  }
  t.comment(`${n} generated credentials, ${flagged.length} flagged`)
  t.same(flagged, [])
})

t.test('long and hostile values: no throw, linear time', async (t) => {
  // Each value built at a scale k; a linear detector takes about 4x as long at
  // k=4 as at k=1, a quadratic one 16x. The bound is the ratio of two timings
  // taken in this test, not a number of milliseconds.
  const hostile = (k: number) => [
    'a'.repeat(50_000 * k) + '<' + 'b'.repeat(25_000 * k),
    'ab'.repeat(12_500 * k) + 'c',
    'A'.repeat(15_000 * k),
    '%' + 'A'.repeat(15_000 * k),
    'a@' + '.'.repeat(15_000 * k) + '@',
    'enter '.repeat(5_000 * k),
    '${'.repeat(7_500 * k),
    '{{ '.repeat(7_500 * k),
    'postgres://u:%E0@h/db',
    'postgres://' + 'a:'.repeat(7_500 * k),
    '-----BEGIN X-----\n' + 'a\n'.repeat(12_500 * k),
  ]
  const names = ['API_KEY', 'DATABASE_URL', 'SMTP_HOST', 'X']
  const timeAll = (values: string[]) => {
    // The fastest of three runs: a pause of the machine inflates one run, not all three.
    let best = Infinity
    for (let run = 0; run < 3; run++) {
      const started = performance.now()
      for (const v of values) for (const name of names) classifyValue(name, v, prod)
      best = Math.min(best, performance.now() - started)
    }
    return best
  }
  for (const v of hostile(4)) for (const name of names) t.doesNotThrow(() => classifyValue(name, v, prod))
  const small = timeAll(hostile(1))
  const large = timeAll(hostile(4))
  t.ok(large < small * 10, `4x the input took ${(large / small).toFixed(1)}x the time (${small.toFixed(1)} ms, then ${large.toFixed(1)} ms); quadratic would be 16x`)
})

t.test('weak rules depend on the environment', async (t) => {
  const testKey = `sk_test_51${'Ab3dE6gH9jK2mN5pQ8sT1vW4yZ7'.repeat(3)}`
  t.equal(classifyValue('STRIPE_SECRET_KEY', testKey, prod).rule, 'test_mode_key')
  t.equal(classifyValue('STRIPE_SECRET_KEY', testKey, { environment: 'staging' }).state, 'configured', 'test keys belong in staging')
  t.equal(classifyValue('NODE_ENV', 'development', { environment: 'staging' }).state, 'configured')
  t.equal(classifyValue('DEBUG', 'true', { environment: 'prod' }).rule, 'debug_in_production', 'prod means production')
  t.equal(classifyValue('REDIS_PASSWORD', 'redis123', { environment: 'staging' }).rule, 'weak_password', 'shared machines need real passwords')
  for (const dev of ['development', 'dev', 'local', 'test']) {
    t.equal(classifyValue('REDIS_PASSWORD', 'redis123', { environment: dev }).state, 'configured', `dev defaults are expected in ${dev}`)
    t.equal(classifyValue('OPENAI_API_KEY', 'your-openai-api-key-here', { environment: dev }).state, 'placeholder', `a placeholder is one in ${dev} too`)
  }
})

t.test('a placeholder wins over weak; empty is missing', async (t) => {
  t.same(classifyValue('STRIPE_API_KEY', 'sk_test_placeholder_replace_with_real_key', prod), { state: 'placeholder', reason: 'vendor_template' })
  t.same(classifyValue('DB_PASSWORD', 'changeme', prod), { state: 'placeholder', reason: 'template_words' }, 'SPEC: changeme is a placeholder')
  t.same(classifyValue('API_KEY', '', prod), { state: 'missing' })
  t.same(classifyValue('API_KEY', '   ', prod), { state: 'missing' })
})

t.test('a credential identical to the example file is a placeholder; other names are not', async (t) => {
  const secret = 'Zk3qP9xT2mW7vR4nL8yB6cJ1'
  t.same(classifyValue('JWT_SECRET', secret, { ...prod, exampleValue: secret }), { state: 'placeholder', reason: 'same_as_example' })
  t.same(classifyValue('JWT_SECRET', secret, { ...prod, exampleValue: 'other' }), { state: 'configured' })
  t.same(classifyValue('JWT_SECRET', secret, { ...prod, exampleValue: '' }), { state: 'configured' })
  t.same(classifyValue('PORT', '3000', { ...prod, exampleValue: '3000' }), { state: 'configured' })
  t.same(classifyValue('LOG_LEVEL', 'info', { ...prod, exampleValue: 'info' }), { state: 'configured' })
})

t.test('references: unexpanded unless what they name is defined alongside', async (t) => {
  const value = 'postgres://${DB_USER}:${DB_PASSWORD}@db:5432/app'
  t.same(classifyValue('DATABASE_URL', value, prod), { state: 'placeholder', reason: 'unexpanded_reference' })
  t.same(classifyValue('DATABASE_URL', value, { ...prod, isDefined: (n) => n === 'DB_USER' || n === 'DB_PASSWORD' }), { state: 'configured' })
  t.same(classifyValue('DATABASE_URL', value, { ...prod, isDefined: (n) => n === 'DB_USER' }), { state: 'placeholder', reason: 'unexpanded_reference' })
  t.same(classifyValue('API_KEY', '${OPENAI_API_KEY}', { ...prod, isDefined: () => true }), { state: 'configured' })
})

t.test('structured values are judged by structure, not by the words in them', async (t) => {
  const configured: Array<[string, string]> = [
    ['API_BASE_URL', 'https://example-corp.internal'],
    ['DB_HOST', 'sample-db.prod.internal'],
    ['PLACEHOLDER_IMAGE_URL', 'https://via.placeholder.com/150'],
    ['EXAMPLE_MODE', 'on'],
    ['MERGE_STRATEGY', 'replace'],
    ['CACHE_KEY', 'users'],
    ['SORT_KEY', 'created_at'],
    ['MAIL_FROM', 'Acme <noreply@acme.io>'],
  ]
  for (const [name, value] of configured) t.equal(classifyValue(name, value, prod).state, 'configured', `${name}=${value}`)
  const reserved: Array<[string, string]> = [
    ['SMTP_HOST', 'smtp.example.com'],
    ['API_URL', 'https://api.example.org/v1'],
    ['MAIL_FROM', 'noreply@example.net'],
    ['CALLBACK_URL', 'https://your-domain.com/callback'],
  ]
  for (const [name, value] of reserved) t.equal(classifyValue(name, value, prod).reason, 'reserved_domain', `${name}=${value}`)
})

t.test('WEAK_RULES: stable names, one description each', async (t) => {
  const names = WEAK_RULES.map((r) => r.rule)
  t.equal(new Set(names).size, names.length, 'unique')
  for (const r of WEAK_RULES) {
    t.match(r.rule, /^[a-z_]+$/)
    t.ok(r.description.length > 10 && !r.description.includes('\n'), `${r.rule} has a one-line description`)
  }
  t.same(names, ['test_mode_key', 'debug_in_production', 'dev_default_secret', 'weak_password', 'sequential_or_repeated', 'too_short'])
})
