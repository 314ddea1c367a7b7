// The env audit over real files: the example-file comparison ("configured
// N/M"), duplicated keys as dotenv resolves them, the process source,
// unreadable files as findings, dotenv's parsing rules, and no value — not
// even a piece of one — in any finding.
import { randomBytes } from 'node:crypto'
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'dotenv'
import t from 'tap'
import { auditEnv, configuredRatio, type EnvSourceFinding } from '../../src/env/audit.js'
import { parseDotenv, readDotenvFile } from '../../src/env/dotenv-file.js'

function dir(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'gt-env-'))
  for (const [name, text] of Object.entries(files)) writeFileSync(join(d, name), text)
  return d
}

/** A value nobody else has: base62 from random bytes. */
function unique(prefix = ''): string {
  return prefix + randomBytes(24).toString('base64').replace(/[^A-Za-z0-9]/g, '').slice(0, 28)
}

const byName = (f: EnvSourceFinding) => Object.fromEntries(f.variables.map((v) => [v.name, v]))

t.test('compares the file with its example: counts and the configured ratio', async (t) => {
  const cwd = dir({
    '.env': [
      'NODE_ENV=production',
      `OPENAI_API_KEY=sk-proj-${unique()}${unique()}`,
      'ANTHROPIC_API_KEY=placeholder_replace_with_real_key',
      'REDIS_PASSWORD=redis123',
      'SENTRY_DSN=',
      'EXTRA_ONLY_IN_FILE=1',
      '',
    ].join('\n'),
    '.env.example': ['NODE_ENV=development', 'OPENAI_API_KEY=your-openai-api-key-here', 'ANTHROPIC_API_KEY=', 'REDIS_PASSWORD=', 'SENTRY_DSN=', 'STRIPE_SECRET_KEY=sk_test_xxx', ''].join('\n'),
  })
  const [f] = await auditEnv([{ file: '.env', example: '.env.example', required: ['OPENAI_API_KEY', 'WEBHOOK_SECRET'] }], { environment: 'production', cwd, processEnv: {} })
  if (!f) throw new Error('no finding')
  t.equal(f.source, '.env', 'labelled as written in the config')
  t.equal(f.environment, 'production')
  t.equal(f.readable, true)
  t.same(f.example, { file: '.env.example', readable: true })
  t.same(
    f.variables.map((v) => v.name),
    ['ANTHROPIC_API_KEY', 'EXTRA_ONLY_IN_FILE', 'NODE_ENV', 'OPENAI_API_KEY', 'REDIS_PASSWORD', 'SENTRY_DSN', 'STRIPE_SECRET_KEY', 'WEBHOOK_SECRET'],
    'file ∪ example ∪ required, sorted',
  )
  const v = byName(f)
  t.same(v.ANTHROPIC_API_KEY, { name: 'ANTHROPIC_API_KEY', state: 'placeholder', reason: 'template_words', line: 3 })
  t.same(v.REDIS_PASSWORD, { name: 'REDIS_PASSWORD', state: 'weak', rule: 'weak_password', line: 4 })
  t.same(v.SENTRY_DSN, { name: 'SENTRY_DSN', state: 'missing', line: 5 }, 'empty in the file: missing, with its line')
  t.same(v.STRIPE_SECRET_KEY, { name: 'STRIPE_SECRET_KEY', state: 'missing' }, 'only in the example: missing, no line')
  t.same(v.WEBHOOK_SECRET, { name: 'WEBHOOK_SECRET', state: 'missing' }, 'required, nowhere: missing')
  t.equal(v.OPENAI_API_KEY?.state, 'configured')
  t.equal(v.NODE_ENV?.state, 'configured')
  t.same(f.counts, { configured: 3, placeholder: 1, missing: 3, weak: 1 })
  t.equal(f.configured, 3)
  t.equal(f.total, 8)
  t.equal(configuredRatio(f), 3 / 8)
  t.equal(configuredRatio({ configured: 0, total: 0 }), undefined, 'nothing to judge: no ratio')
})

t.test('a secret copied from the example file is a placeholder', async (t) => {
  const copied = unique('k')
  const cwd = dir({ '.env': `JWT_SECRET=${copied}\nPORT=3000\n`, '.env.example': `JWT_SECRET=${copied}\nPORT=3000\n` })
  const [f] = await auditEnv([{ file: '.env', example: '.env.example', required: [] }], { environment: 'production', cwd, processEnv: {} })
  const v = byName(f as EnvSourceFinding)
  t.same(v.JWT_SECRET, { name: 'JWT_SECRET', state: 'placeholder', reason: 'same_as_example', line: 1 })
  t.equal(v.PORT?.state, 'configured', 'an ordinary setting may equal the example')
})

t.test('duplicated keys: every line, and the last one wins as in dotenv', async (t) => {
  const text = ['# api keys', 'OPENAI_API_KEY=your-openai-api-key-here', 'PORT=3000', '', `OPENAI_API_KEY=sk-proj-${unique()}${unique()}`, 'PORT=4000', 'export PORT=5000', ''].join('\n')
  t.equal(parse(text).PORT, '5000', 'dotenv itself keeps the last assignment')
  const cwd = dir({ '.env': text })
  const [f] = await auditEnv([{ file: '.env', required: [] }], { environment: 'production', cwd, processEnv: {} })
  if (!f) throw new Error('no finding')
  t.same(f.duplicates, [
    { name: 'OPENAI_API_KEY', lines: [2, 5], winner: 5 },
    { name: 'PORT', lines: [3, 6, 7], winner: 7 },
  ])
  const v = byName(f)
  t.same(v.OPENAI_API_KEY, { name: 'OPENAI_API_KEY', state: 'configured', line: 5 }, 'judged on the winning value, at the winning line')
  t.equal(v.PORT?.line, 7)
})

t.test('process source: only required and example names, values from the given environment', async (t) => {
  const cwd = dir({ '.env.example': 'OPENAI_API_KEY=\nLOG_LEVEL=info\n' })
  const processEnv = { OPENAI_API_KEY: `sk-proj-${unique()}${unique()}`, DATABASE_URL: 'postgres://app:redis123@db/app', STRIPE_SECRET_KEY: `sk_test_51${unique()}${unique()}`, HOME: '/root', PATH: '/usr/bin' }
  const [f, g] = await auditEnv(
    [
      { source: 'process', example: '.env.example', required: ['STRIPE_SECRET_KEY', 'MISSING_TOKEN'] },
      { source: 'process', required: ['DATABASE_URL'], environment: 'staging' },
    ],
    { environment: 'production', cwd, processEnv },
  )
  if (!f || !g) throw new Error('no finding')
  t.equal(f.source, 'process')
  t.equal(f.readable, true)
  t.same(f.variables, [
    { name: 'LOG_LEVEL', state: 'missing' },
    { name: 'MISSING_TOKEN', state: 'missing' },
    { name: 'OPENAI_API_KEY', state: 'configured' },
    { name: 'STRIPE_SECRET_KEY', state: 'weak', rule: 'test_mode_key' },
  ])
  t.same(f.duplicates, [])
  t.equal(g.environment, 'staging', 'a source may set its own environment')
  t.same(g.variables, [{ name: 'DATABASE_URL', state: 'weak', rule: 'weak_password' }], 'never the whole process environment')
})

t.test('a missing file and a missing example are findings, not errors', async (t) => {
  const cwd = dir({ '.env': 'OPENAI_API_KEY=your-openai-api-key-here\n', '.env.example': 'OPENAI_API_KEY=\nSMTP_HOST=\n' })
  mkdirSync(join(cwd, 'a-directory'))
  const found = await auditEnv(
    [
      { file: 'nope/.env', example: '.env.example', required: ['JWT_SECRET'] },
      { file: '.env', example: '.env.missing-example', required: [] },
      { file: 'a-directory', required: [] },
    ],
    { environment: 'production', cwd, processEnv: {} },
  )
  const [noFile, noExample, directory] = found
  if (!noFile || !noExample || !directory) throw new Error('no finding')
  t.equal(noFile.readable, false)
  t.equal(noFile.error, 'file not found')
  t.same(noFile.variables.map((v) => [v.name, v.state]), [['JWT_SECRET', 'missing'], ['OPENAI_API_KEY', 'missing'], ['SMTP_HOST', 'missing']], 'what should be there is missing')
  t.same(noFile.counts, { configured: 0, placeholder: 0, missing: 3, weak: 0 })
  t.equal(noExample.readable, true)
  t.same(noExample.example, { file: '.env.missing-example', readable: false, error: 'file not found' })
  t.same(noExample.variables, [{ name: 'OPENAI_API_KEY', state: 'placeholder', reason: 'template_words', line: 1 }])
  t.equal(directory.readable, false)
  t.match(directory.error, /^EISDIR/)
})

t.test('an unreadable file is EACCES', { skip: process.getuid?.() === 0 ? 'root reads any file' : false }, async (t) => {
  const cwd = dir({ '.env': 'A=1\n' })
  chmodSync(join(cwd, '.env'), 0o000)
  t.same(await readDotenvFile(join(cwd, '.env')), { ok: false, error: 'EACCES: permission denied' })
})

t.test("dotenv's parsing: quotes, escapes, export, comments, multi-line values", async (t) => {
  const key = randomBytes(900).toString('base64').match(/.{1,64}/g)?.join('\n')
  const text = [
    '# comment line', //                                    1
    'export APP_NAME="Acme # not a comment"', //            2
    "SINGLE='single $NOT_EXPANDED'", //                     3
    'BACKTICK=`tick`', //                                   4
    'TRAILING=value # a comment', //                        5
    `PRIVATE_KEY="-----BEGIN PRIVATE KEY-----`, //          6
    key, //                                                 7…
    '-----END PRIVATE KEY-----"',
    'NOTES="first line',
    'FAKE_ASSIGNMENT=inside the quoted value"',
    'ESCAPED="line\\nbreak"',
    'COLON: yaml-style',
    'EMPTY=',
    'QUOTED_EMPTY=""',
    'no assignment on this line',
    '',
  ].join('\r\n')
  const parsed = parseDotenv(text)
  t.same(parsed.values, parse(text), 'values are exactly what dotenv parses')
  t.same(Object.keys(parsed.lines).sort(), Object.keys(parse(text)).sort(), 'LINE finds exactly the keys dotenv keeps')
  t.notOk('FAKE_ASSIGNMENT' in parsed.values, 'a line inside a quoted value is no assignment')
  t.equal(parsed.values.APP_NAME, 'Acme # not a comment')
  t.equal(parsed.values.TRAILING, 'value')
  t.equal(parsed.values.ESCAPED, 'line\nbreak')
  const keyLines = (key ?? '').split('\n').length
  t.equal(parsed.values.NOTES, 'first line\nFAKE_ASSIGNMENT=inside the quoted value')
  t.same(parsed.lines, {
    APP_NAME: 2,
    SINGLE: 3,
    BACKTICK: 4,
    TRAILING: 5,
    PRIVATE_KEY: 6,
    NOTES: 6 + keyLines + 2,
    ESCAPED: 6 + keyLines + 4,
    COLON: 6 + keyLines + 5,
    EMPTY: 6 + keyLines + 6,
    QUOTED_EMPTY: 6 + keyLines + 7,
  })

  const cwd = dir({ '.env': text })
  const [f] = await auditEnv([{ file: '.env', required: [] }], { environment: 'production', cwd, processEnv: {} })
  const v = byName(f as EnvSourceFinding)
  t.equal(v.PRIVATE_KEY?.state, 'configured', 'a multi-line PEM key is one configured value')
  t.equal(v.EMPTY?.state, 'missing')
  t.equal(v.QUOTED_EMPTY?.state, 'missing')
  t.equal(v.APP_NAME?.state, 'configured')
})

t.test('references to variables defined alongside are not placeholders', async (t) => {
  const cwd = dir({ '.env': `DB_USER=app\nDB_PASSWORD=${unique()}\nDATABASE_URL=postgres://\${DB_USER}:\${DB_PASSWORD}@db:5432/app\nBROKEN_URL=amqp://\${MQ_USER}@mq\nFROM_PROCESS=\${CI_TOKEN}\n` })
  const [f] = await auditEnv([{ file: '.env', required: [] }], { environment: 'production', cwd, processEnv: { CI_TOKEN: 'x' } })
  const v = byName(f as EnvSourceFinding)
  t.equal(v.DATABASE_URL?.state, 'configured')
  t.same(v.BROKEN_URL, { name: 'BROKEN_URL', state: 'placeholder', reason: 'unexpanded_reference', line: 4 })
  t.equal(v.FROM_PROCESS?.state, 'configured', 'defined in the environment the file is loaded into')
})

t.test('paths are resolved against cwd; names that are Object properties are just names', async (t) => {
  const cwd = dir({ 'app.env': 'A=1\n' })
  const [rel, abs] = await auditEnv(
    [
      { file: 'app.env', required: ['constructor', '__proto__', 'toString'] },
      { file: join(cwd, 'app.env'), required: [] },
    ],
    { environment: 'production', cwd, processEnv: {} },
  )
  t.same(rel?.variables.map((v) => [v.name, v.state]), [['A', 'configured'], ['__proto__', 'missing'], ['constructor', 'missing'], ['toString', 'missing']])
  t.equal(abs?.readable, true)
  t.equal(abs?.source, join(cwd, 'app.env'))
})

t.test('planted secrets: no finding holds a value or any 6-character piece of one', async (t) => {
  const planted = {
    STRIPE_SECRET_KEY: `sk_live_${unique()}${unique()}`,
    OPENAI_API_KEY: `sk-proj-${unique()}${unique()}`,
    JWT_SECRET: unique(),
    DB_PASSWORD: unique(),
    SHORT_TOKEN: unique().slice(0, 10), // weak: too_short
    TEST_KEY: `sk_test_${unique()}`, // weak: test_mode_key
    DATABASE_URL: `postgres://app:${unique()}@db.internal:5432/app`,
    LOSER: unique(), // overwritten by a later line
    EXAMPLE_ONLY: unique(), // only in the example file
    PROCESS_TOKEN: unique(), // only in the process environment
    MULTILINE_KEY: `-----BEGIN PRIVATE KEY-----\n${randomBytes(600).toString('base64')}\n-----END PRIVATE KEY-----`,
  }
  const env = [
    `STRIPE_SECRET_KEY=${planted.STRIPE_SECRET_KEY}`,
    `OPENAI_API_KEY="${planted.OPENAI_API_KEY}"`,
    `export JWT_SECRET='${planted.JWT_SECRET}'`,
    `DB_PASSWORD=${planted.DB_PASSWORD} # the db`,
    `SHORT_TOKEN=${planted.SHORT_TOKEN}`,
    `TEST_KEY=${planted.TEST_KEY}`,
    `DATABASE_URL=${planted.DATABASE_URL}`,
    `DB_PASSWORD=${planted.LOSER}`,
    `DB_PASSWORD=${planted.DB_PASSWORD}`,
    `MULTILINE_KEY="${planted.MULTILINE_KEY}"`,
    '',
  ].join('\n')
  const cwd = dir({ '.env': env, '.env.example': `EXAMPLE_ONLY=${planted.EXAMPLE_ONLY}\nJWT_SECRET=${planted.JWT_SECRET}\n` })
  const findings = await auditEnv(
    [
      { file: '.env', example: '.env.example', required: ['PROCESS_TOKEN'] },
      { source: 'process', example: '.env.example', required: ['PROCESS_TOKEN'] },
      { file: 'missing.env', example: '.env.example', required: [] },
    ],
    { environment: 'production', cwd, processEnv: { PROCESS_TOKEN: planted.PROCESS_TOKEN, EXAMPLE_ONLY: planted.EXAMPLE_ONLY } },
  )
  const out = JSON.stringify(findings)
  const states = byName(findings[0] as EnvSourceFinding)
  t.equal(states.SHORT_TOKEN?.rule, 'too_short')
  t.equal(states.TEST_KEY?.rule, 'test_mode_key')
  t.equal(states.JWT_SECRET?.reason, 'same_as_example')
  let pieces = 0
  for (const [name, value] of Object.entries(planted)) {
    for (const line of value.split('\n')) {
      for (let i = 0; i + 6 <= line.length; i++) {
        const piece = line.slice(i, i + 6)
        // The PEM armour and URL scaffolding are not secret; only pieces of the random parts count.
        if (/BEGIN|END|PRIVATE|-----|postgres|db\.internal|sk_live|sk-proj|sk_test/.test(piece) || /^[A-Z ]+$/.test(piece)) continue
        pieces++
        if (out.includes(piece)) t.fail(`a piece of ${name} leaked: ${piece}`)
      }
    }
  }
  t.ok(pieces > 500, `${pieces} pieces checked, none in the findings`)
})
