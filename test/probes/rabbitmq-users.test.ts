// The rabbitmq probe with a user of its own, made with rabbitmqctl (which
// needs root or the broker's Erlang cookie; without it these cases are
// skipped and say so). Kept apart from rabbitmq.test.ts because each
// rabbitmqctl call starts an Erlang VM (2-5 s): three calls in all.
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import { connect } from 'amqplib'
import t from 'tap'
import { checkPairs, runService } from '../helpers/probe-run.js'
import { clientSockets, settle } from '../helpers/sockets.js'

const run = promisify(execFile)
const rabbitmqctl = (...args: string[]) => run('rabbitmqctl', args, { timeout: 60_000 })

const suffix = randomBytes(4).toString('hex')
const user = `gt_probe_${suffix}`
// Every character that must be percent-encoded in the URL's user info.
const password = `gt-pw-${suffix}:@/%?#`
const url = `amqp://${user}:${encodeURIComponent(password)}@127.0.0.1:5672/%2F`

let unavailable: string | undefined
try {
  await rabbitmqctl('add_user', user, password)
} catch (err) {
  unavailable = `rabbitmqctl cannot manage users here: ${(err as Error).message.split('\n')[0]}`
}
t.teardown(async () => {
  if (!unavailable) await rabbitmqctl('delete_user', user).catch((err) => console.error(`could not delete the test user ${user}: ${(err as Error).message}`))
})

const probe = () => runService({ probe: 'rabbitmq', url, timeout: '3s' })

t.test('a user without permission on the vhost is auth: 530 NOT_ALLOWED', { skip: unavailable }, async (t) => {
  const { result } = await probe()
  t.equal(result.ok, false)
  t.equal(result.reason, 'auth')
  t.equal(result.error, `the broker refused to open vhost "/" for user "${user}": 530 NOT_ALLOWED - access to vhost '/' refused for user '${user}'`)
})

t.test('the same user with permissions and a password that needs percent-encoding is up', { skip: unavailable }, async (t) => {
  await rabbitmqctl('set_permissions', '-p', '/', user, '^$', '^$', '^$')
  const { result } = await probe()
  t.equal(result.ok, true)
  t.equal(result.reason, undefined)
  t.same(checkPairs(result), [])
  t.equal(result.info.vhost, '/')
  t.notOk(JSON.stringify(result).includes(`gt-pw-${suffix}`), 'the password appears nowhere')
})

t.test('a user with no configure, write or read permission can still see a queue exists', { skip: unavailable }, async (t) => {
  // A passive queue.declare needs no permission in RabbitMQ: a monitoring
  // user can be granted nothing ("^$") on the vhost.
  const admin = await connect('amqp://guest:guest@127.0.0.1:5672/')
  admin.on('error', () => {})
  const channel = await admin.createChannel()
  const queue = `gt-test-perm-${suffix}`
  await channel.assertQueue(queue, { durable: false })
  try {
    const { result } = await runService({ probe: 'rabbitmq', url, timeout: '3s', expect: { queues: [queue, `${queue}-absent`], consumers_min: 0 } })
    t.equal(result.reason, 'expectation')
    t.same(checkPairs(result), [
      [`queue:${queue}`, true],
      [`consumers:${queue}`, true],
      [`queue:${queue}-absent`, false],
      [`consumers:${queue}-absent`, false],
    ])
  } finally {
    await channel.deleteQueue(queue)
    await admin.close()
  }
})

t.test('nothing is left open', async (t) => {
  await settle()
  t.same(clientSockets(), [], 'no probe socket outlives its probe')
})
