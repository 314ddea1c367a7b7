// What may leave the process: targets without credentials, texts with every
// known secret masked.
import t from 'tap'
import { createLogger } from '../src/log.js'
import { displayTarget, SecretSet } from '../src/redact.js'

t.test('displayTarget keeps scheme, host, port and path only', async (t) => {
  t.equal(displayTarget('postgres://app:s3cret@db.internal:5432/core?sslmode=require'), 'postgres://db.internal:5432/core')
  t.equal(displayTarget('https://user:pw@example.com/health?token=abc#frag'), 'https://example.com/health')
  t.equal(displayTarget('redis://:pw@127.0.0.1:6379'), 'redis://127.0.0.1:6379')
  t.equal(displayTarget('not a url user:pw@x'), 'not a url user:pw@x', 'no scheme: nothing to strip')
  t.equal(displayTarget('http://user:pw@[bad'), 'http://[bad', 'unparseable URL with user info: the user info goes')
})

t.test('SecretSet masks URL passwords, credential parameters and added values', async (t) => {
  const secrets = new SecretSet()
  secrets.addUrl('postgres://app:p%40ss-w0rd-123@db:5432/core?sslmode=require&api_key=k3y-0f-mine-99')
  secrets.addUrl('not a url')
  secrets.add('tok-abcdef-123456')
  secrets.add('abc') // too short to mask safely
  secrets.add(undefined)
  const text = 'failed postgres://app:p%40ss-w0rd-123@db:5432/core with p@ss-w0rd-123, k3y-0f-mine-99 and tok-abcdef-123456; sslmode=require abc app'
  const out = secrets.redact(text)
  for (const planted of ['p%40ss-w0rd-123', 'p@ss-w0rd-123', 'k3y-0f-mine-99', 'tok-abcdef-123456']) t.notOk(out.includes(planted), planted)
  t.match(out, /postgres:\/\/\*\*\*@db:5432\/core/)
  t.match(out, /sslmode=require abc app$/, 'ordinary words and user names are left alone')
})

t.test('the logger writes JSON lines through the mask and honours the level', async (t) => {
  const lines: string[] = []
  const secrets = new SecretSet()
  secrets.add('hunter2-hunter2')
  const log = createLogger({ level: 'info', secrets: () => secrets, write: (l) => lines.push(l) })
  log.debug('hidden')
  log.info('connect', { url: 'amqp://guest:hunter2-hunter2@mq:5672/' })
  log.warn('w')
  log.error('e', { error: 'password hunter2-hunter2 rejected' })
  t.equal(lines.length, 3)
  const parsed = lines.map((l) => JSON.parse(l))
  t.same(parsed.map((p) => p.level), ['info', 'warn', 'error'])
  t.equal(parsed[0].url, 'amqp://***@mq:5672/')
  t.equal(parsed[2].error, 'password *** rejected')
  t.notOk(lines.join('').includes('hunter2-hunter2'))
})
