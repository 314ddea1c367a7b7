// The redis probe against real servers: the machine's Redis on 6379 (no
// password) and redis-server processes this file starts itself (password +
// ACL users, a replica, TLS, one killed and restarted), through parseConfig
// and runProbe.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { PROBE_KINDS } from '../../probes/index.js'
import { parseConfig } from '../../src/config/load.js'
import type { RunResult } from '../../src/runner.js'
import { beatSentinel, checkPairs, detailOf, lateness, notBeforeTimeout, type Ran, runService } from '../helpers/probe-run.js'
import { closedPort, tarpit } from '../helpers/servers.js'
import { capturePrinted } from '../helpers/console.js'
import { clientSockets, settle, socketHandles } from '../helpers/sockets.js'
import { makeCert } from '../helpers/tls.js'

const run = promisify(execFile)

// Taken before any server or probe exists: what the test process holds on its own.
const baseline = socketHandles()

// Planted secrets: unique, so finding one anywhere in the output is a leak.
const suffix = randomBytes(6).toString('hex')
const PASSWORD = `gt-redis-pw-${suffix}`
const ACL_USER = `gt_probe_${suffix}`
// Characters that must be percent-encoded in a URL, to prove the probe decodes them.
const ACL_PASSWORD = `gt@acl/pw:${suffix}%`
const LIMITED_USER = `gt_ping_only_${suffix}`
const LIMITED_PASSWORD = `gt-limited-${suffix}`
const NOPASS_USER = `gt_nopass_${suffix}`
const INFO_USER = `gt_info_${suffix}`
const SECRETS = [PASSWORD, ACL_PASSWORD, encodeURIComponent(ACL_PASSWORD), LIMITED_PASSWORD]

// Everything ioredis or the probe might print: it must never carry a secret or an "Unhandled error event".
const printed = capturePrinted(t)

/** Every result a probe produced in this file, for the secret scan at the end. */
const results: RunResult[] = []
async function redis(url: string, extra: Record<string, unknown> = {}, sentinel?: number): Promise<Ran> {
  const ran = await runService({ probe: 'redis', url, timeout: '3s', ...extra }, { sentinel })
  results.push(ran.result)
  return ran
}

interface Server {
  port: number
  proc: ChildProcess
  args: string[]
  log: string
}

const servers = new Set<Server>()
const dirs: string[] = []

/** Starts redis-server with these arguments and resolves once it accepts connections. */
function startRedis(port: number, args: string[]): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'gt-redis-'))
  dirs.push(dir)
  const full = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...(args.includes('--tls-port') ? ['--port', '0', '--tls-port', String(port)] : ['--port', String(port)]), ...args.filter((a) => a !== '--tls-port')]
  const proc = spawn('redis-server', full, { stdio: ['ignore', 'pipe', 'pipe'] })
  const server: Server = { port, proc, args, log: '' }
  servers.add(server)
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server on ${port} did not start:\n${server.log}`)), 5000)
    const onData = (chunk: Buffer) => {
      server.log += chunk.toString()
      if (/Ready to accept connections/.test(server.log)) {
        clearTimeout(timer)
        resolve(server)
      }
    }
    proc.stdout!.on('data', onData)
    proc.stderr!.on('data', onData)
    proc.on('exit', (code, signal) => {
      servers.delete(server)
      clearTimeout(timer)
      reject(new Error(`redis-server on ${port} exited (${code ?? signal}):\n${server.log}`))
    })
  })
}

async function kill(server: Server): Promise<void> {
  if (server.proc.exitCode !== null || server.proc.signalCode !== null) return
  const exited = new Promise((r) => server.proc.once('exit', r))
  server.proc.kill('SIGKILL')
  await exited
}

t.teardown(async () => {
  await Promise.all([...servers].map(kill))
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

/** redis-cli against a spawned server; the password travels in the environment, not argv. */
async function cli(port: number, args: string[], password = PASSWORD): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { env: { ...process.env, REDISCLI_AUTH: password } })
  return stdout.trim()
}

const kind = PROBE_KINDS.get('redis')!
function targetOf(url: string): string {
  const config = parseConfig(`services:\n  - { name: svc, probe: redis, url: ${JSON.stringify(url)} }\n`, 'target.yml', PROBE_KINDS, {})
  return kind.target(config.services[0] as never)
}

let master: Server

t.before(async () => {
  master = await startRedis(await closedPort(), ['--requirepass', PASSWORD, '--repl-diskless-sync-delay', '0'])
  t.equal(await cli(master.port, ['ACL', 'SETUSER', ACL_USER, 'on', `>${ACL_PASSWORD}`, '~*', '+@all']), 'OK')
  t.equal(await cli(master.port, ['ACL', 'SETUSER', LIMITED_USER, 'on', `>${LIMITED_PASSWORD}`, '+ping']), 'OK')
  t.equal(await cli(master.port, ['ACL', 'SETUSER', NOPASS_USER, 'on', 'nopass', '+ping']), 'OK')
  t.equal(await cli(master.port, ['ACL', 'SETUSER', INFO_USER, 'on', 'nopass', '+ping', '+info']), 'OK')
})

const withPassword = (password: string, user = '') => `redis://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${master.port}`

t.test('the machine Redis on 6379 (no password) is up', async (t) => {
  const { result } = await redis('redis://127.0.0.1:6379', { expect: { role: 'master', max_latency: '2s' } })
  t.equal(result.ok, true)
  t.equal(result.reason, undefined)
  t.equal(result.error, undefined)
  t.same(checkPairs(result), [
    ['role', true],
    ['max_latency', true],
  ])
  t.equal(detailOf(result, 'role'), 'master, expected master')
  t.match(detailOf(result, 'max_latency'), /^\d.* to connect and PING \(limit 2s\)$/)
  t.match(result.info.redis_version, /^\d+\.\d+\.\d+/)
  t.equal(result.info.role, 'master')
  t.type(result.info.latency_ms, 'number')
  t.equal(result.info.password_required, undefined)

  // Another database of the same server, and no expectations: no checks at all.
  const db = await redis('redis://127.0.0.1:6379/2')
  t.equal(db.result.ok, true)
  t.same(checkPairs(db.result), [])
})

t.test('a password to a server that wants none still answers, and says so', async (t) => {
  const { result } = await redis('redis://:not-needed-here@127.0.0.1:6379')
  t.equal(result.ok, true)
  t.equal(result.info.password_required, false)
})

t.test('target is host:port/db, never credentials', async (t) => {
  t.equal(targetOf('redis://127.0.0.1:6379'), '127.0.0.1:6379/0')
  t.equal(targetOf('redis://cache.internal'), 'cache.internal:6379/0')
  t.equal(targetOf(`redis://${ACL_USER}:${encodeURIComponent(ACL_PASSWORD)}@10.0.0.5:6380/4`), '10.0.0.5:6380/4')
  t.equal(targetOf(`rediss://:${PASSWORD}@[::1]:6390/1`), '[::1]:6390/1')
})

t.test('password authentication', async (t) => {
  t.test('the right password is up', async (t) => {
    const { result } = await redis(withPassword(PASSWORD), { expect: { role: 'master' } })
    t.equal(result.ok, true)
    t.same(checkPairs(result), [['role', true]])
    t.equal(result.info.role, 'master')
    t.match(result.info.redis_version, /^\d+\.\d+\.\d+/)
  })

  t.test('a wrong password is auth (WRONGPASS)', async (t) => {
    const { result } = await redis(withPassword(`wrong-${suffix}`), { expect: { role: 'master' } })
    t.equal(result.ok, false)
    t.equal(result.reason, 'auth')
    t.equal(result.error, 'AUTH: WRONGPASS invalid username-password pair or user is disabled.')
    t.same(checkPairs(result), [['role', false]])
    t.equal(detailOf(result, 'role'), 'not evaluated: auth')
  })

  t.test('no password at all is auth (NOAUTH)', async (t) => {
    const { result } = await redis(`redis://127.0.0.1:${master.port}`)
    t.equal(result.ok, false)
    t.equal(result.reason, 'auth')
    t.equal(result.error, 'PING: NOAUTH Authentication required.')
  })
})

t.test('ACL users', async (t) => {
  t.test('the right user and password (percent-encoded in the URL) is up', async (t) => {
    const { result, yaml } = await redis(withPassword(ACL_PASSWORD, ACL_USER), { expect: { role: 'master' } })
    t.match(yaml, encodeURIComponent(ACL_PASSWORD))
    t.equal(result.ok, true)
    t.same(checkPairs(result), [['role', true]])
  })

  t.test("the user's wrong password is auth", async (t) => {
    const { result } = await redis(withPassword(`${ACL_PASSWORD}x`, ACL_USER))
    t.equal(result.ok, false)
    t.equal(result.reason, 'auth')
    t.match(result.error, /^AUTH: WRONGPASS /)
  })

  t.test("another user's password is auth", async (t) => {
    const { result } = await redis(withPassword(PASSWORD, ACL_USER))
    t.equal(result.ok, false)
    t.equal(result.reason, 'auth')
  })

  t.test('a user without a password in the URL still logs in as that user', async (t) => {
    const nopass = await redis(`redis://${NOPASS_USER}@127.0.0.1:${master.port}`)
    t.equal(nopass.result.ok, true)
    const needsOne = await redis(`redis://${ACL_USER}@127.0.0.1:${master.port}`)
    t.equal(needsOne.result.ok, false)
    t.equal(needsOne.result.reason, 'auth')
    t.match(needsOne.result.error, /^AUTH: WRONGPASS /)
  })

  t.test('a user refused ROLE but allowed INFO: the role comes from INFO replication', async (t) => {
    const { result } = await redis(`redis://${INFO_USER}@127.0.0.1:${master.port}`, { expect: { role: 'master' } })
    t.equal(result.ok, true)
    t.same(checkPairs(result), [['role', true]])
    t.equal(result.info.role, 'master')
    t.match(result.info.redis_version, /^\d+\.\d+\.\d+/)
  })

  t.test('a user allowed only PING is up; its role is unknown and says why', async (t) => {
    const plain = await redis(withPassword(LIMITED_PASSWORD, LIMITED_USER))
    t.equal(plain.result.ok, true)
    t.equal(plain.result.info.role, undefined)
    t.equal(plain.result.info.redis_version, undefined)

    const { result } = await redis(withPassword(LIMITED_PASSWORD, LIMITED_USER), { expect: { role: 'master' } })
    t.equal(result.ok, false)
    t.equal(result.reason, 'expectation')
    t.same(checkPairs(result), [['role', false]])
    t.equal(detailOf(result, 'role'), "unknown (ROLE: NOPERM this user has no permissions to run the 'role' command), expected master")
  })
})

t.test('expect.role', async (t) => {
  t.test('replica expected, master found: check role is 0, reason expectation', async (t) => {
    const { result } = await redis(withPassword(PASSWORD), { expect: { role: 'replica' } })
    t.equal(result.ok, false)
    t.equal(result.reason, 'expectation')
    t.same(checkPairs(result), [['role', false]])
    t.equal(detailOf(result, 'role'), 'master, expected replica')
    t.equal(result.error, 'role: master, expected replica')
    t.equal(result.info.role, 'master')
  })

  t.test('a real replica of the password-protected master', async (t) => {
    const replica = await startRedis(await closedPort(), ['--replicaof', '127.0.0.1', String(master.port), '--masterauth', PASSWORD])
    // Full sync of an empty dataset is quick; wait for the link to come up.
    let last: RunResult | undefined
    for (let i = 0; i < 50; i++) {
      last = (await redis(`redis://127.0.0.1:${replica.port}`, { expect: { role: 'replica' } })).result
      if (last.info.master_link_status === 'connected') break
      await new Promise((r) => setTimeout(r, 100))
    }
    t.equal(last?.ok, true)
    t.same(checkPairs(last!), [['role', true]])
    t.equal(last?.info.role, 'replica')
    t.equal(last?.info.master, `127.0.0.1:${master.port}`)
    t.equal(last?.info.master_link_status, 'connected')
    t.equal(detailOf(last!, 'role'), 'replica (master link connected), expected replica')

    const wrong = await redis(`redis://127.0.0.1:${replica.port}`, { expect: { role: 'master' } })
    t.equal(wrong.result.ok, false)
    t.equal(wrong.result.reason, 'expectation')
    t.equal(detailOf(wrong.result, 'role'), 'replica (master link connected), expected master')
    await kill(replica)
  })
})

t.test('max_latency is judged on connect + AUTH + PING', async (t) => {
  const { result } = await redis(withPassword(PASSWORD), { expect: { max_latency: '1ms' } })
  // Loopback can be faster than 1ms; only a failure has something to assert beyond the row.
  t.same(checkPairs(result).map(([name]) => name), ['max_latency'])
  t.match(detailOf(result, 'max_latency'), /^\d.* to connect, authenticate and PING \(limit 1ms\)$/)
  if (!result.ok) t.equal(result.reason, 'expectation')
})

t.test('a server killed between probes is refused, then up again once restarted on the same port', async (t) => {
  const victim = await startRedis(await closedPort(), ['--requirepass', PASSWORD])
  const url = `redis://:${PASSWORD}@127.0.0.1:${victim.port}`
  t.equal((await redis(url)).result.ok, true)

  await kill(victim)
  const down = await redis(url, { expect: { role: 'master' } })
  t.equal(down.result.ok, false)
  t.equal(down.result.reason, 'refused')
  t.equal(down.result.error, `connect ECONNREFUSED 127.0.0.1:${victim.port}`)
  t.same(checkPairs(down.result), [['role', false]])

  const again = await startRedis(victim.port, ['--requirepass', PASSWORD])
  const up = await redis(url, { expect: { role: 'master' } })
  t.equal(up.result.ok, true)
  t.same(checkPairs(up.result), [['role', true]])

  // Killed while the probe waits on it (clients paused, so AUTH hangs): the
  // probe ends at once with the reason, not at the timeout.
  t.equal(await cli(again.port, ['CLIENT', 'PAUSE', '5000', 'ALL']), 'OK')
  setTimeout(() => void kill(again), 200)
  const cut = await redis(url, {}, 1500)
  t.equal(cut.result.ok, false)
  t.equal(cut.result.reason, 'error')
  t.equal(cut.result.error, 'the connection closed during AUTH')
  t.ok(beatSentinel(cut), `ended when the server died, not at the 3s timeout (${cut.ms.toFixed(0)}ms, before a 1.5s timer)`)
})

t.test('a server at maxclients refuses the new client', async (t) => {
  const full = await startRedis(await closedPort(), ['--maxclients', '1'])
  const holder: Socket = connect(full.port, '127.0.0.1')
  holder.on('error', () => {})
  await new Promise((r) => holder.once('connect', r))
  await new Promise((r) => setTimeout(r, 50))
  const { result } = await redis(`redis://127.0.0.1:${full.port}`)
  holder.destroy()
  t.equal(result.ok, false)
  t.equal(result.reason, 'refused')
  t.equal(result.error, 'PING: ERR max number of clients reached')
  await kill(full)
})

t.test('rediss:// with a private CA', async (t) => {
  const cert = makeCert(30)
  const dir = mkdtempSync(join(tmpdir(), 'gt-redis-tls-'))
  dirs.push(dir)
  writeFileSync(join(dir, 'server.key'), cert.key)
  writeFileSync(join(dir, 'server.pem'), cert.cert)
  const tls = await startRedis(await closedPort(), [
    '--tls-port',
    '--tls-cert-file', join(dir, 'server.pem'),
    '--tls-key-file', join(dir, 'server.key'),
    '--tls-ca-cert-file', cert.caFile,
    '--tls-auth-clients', 'no',
    '--requirepass', PASSWORD,
  ])
  const url = `rediss://:${PASSWORD}@127.0.0.1:${tls.port}`

  t.test('trusted through ca_file: up', async (t) => {
    const { result } = await redis(url, { tls: { ca_file: cert.caFile }, expect: { role: 'master' } })
    t.equal(result.ok, true)
    t.same(checkPairs(result), [['role', true]])
  })

  t.test('server_name checked against the certificate', async (t) => {
    const good = await redis(url, { tls: { ca_file: cert.caFile, server_name: 'localhost' } })
    t.equal(good.result.ok, true)
    const bad = await redis(url, { tls: { ca_file: cert.caFile, server_name: 'elsewhere.example' } })
    t.equal(bad.result.ok, false)
    t.equal(bad.result.reason, 'tls')
    t.match(bad.result.error, /ERR_TLS_CERT_ALTNAME_INVALID/)
  })

  t.test('without ca_file the certificate is not trusted: tls', async (t) => {
    const { result } = await redis(url, { expect: { role: 'master' } })
    t.equal(result.ok, false)
    t.equal(result.reason, 'tls')
    t.match(result.error, /^SELF_SIGNED_CERT_IN_CHAIN|^UNABLE_TO_VERIFY_LEAF_SIGNATURE/)
    t.same(checkPairs(result), [['role', false]])
  })

  t.test('insecure: up without verification', async (t) => {
    const { result } = await redis(url, { tls: { insecure: true } })
    t.equal(result.ok, true)
  })

  t.test('plain redis:// to a TLS port fails instead of hanging', async (t) => {
    const ran = await redis(`redis://:${PASSWORD}@127.0.0.1:${tls.port}`, {}, 1500)
    const { result, ms } = ran
    t.equal(result.ok, false)
    t.equal(result.reason, 'error')
    // The TLS server hangs up on a plaintext AUTH, with or without a reset.
    t.match(result.error, /^the connection closed during AUTH($|: read ECONNRESET$)/)
    t.ok(beatSentinel(ran), `${ms.toFixed(0)}ms, before a 1.5s timer`)
  })

  t.test('tls settings with a redis:// url are a mistake, said so', async (t) => {
    const { result } = await redis(`redis://127.0.0.1:6379`, { tls: { insecure: true } })
    t.equal(result.ok, false)
    t.equal(result.reason, 'error')
    t.equal(result.error, 'tls settings are given but the url is redis://; use rediss:// for TLS')
  })
})

t.test('a closed port is refused at once', async (t) => {
  const port = await closedPort()
  const ran = await redis(`redis://127.0.0.1:${port}`, {}, 1000)
  const { result, ms } = ran
  t.equal(result.ok, false)
  t.equal(result.reason, 'refused')
  t.ok(beatSentinel(ran), `${ms.toFixed(0)}ms, before a 1s timer`)
})

t.test('an unknown host is a dns failure', async (t) => {
  const { result } = await redis('redis://nonexistent.invalid:6379')
  t.equal(result.ok, false)
  t.equal(result.reason, 'dns')
  t.match(result.error, /nonexistent\.invalid/)
})

t.test('a database out of range is an error naming SELECT', async (t) => {
  const { result } = await redis('redis://127.0.0.1:6379/999')
  t.equal(result.ok, false)
  t.equal(result.reason, 'error')
  t.equal(result.error, 'SELECT: ERR DB index is out of range')
})

t.test('a tarpit times out within the bound and leaves no socket behind', async (t) => {
  const pit = await tarpit()
  const timeout = 500
  const ran = await redis(`redis://:${PASSWORD}@127.0.0.1:${pit.port}`, { timeout: `${timeout}ms`, expect: { role: 'master' } }, timeout)
  const { result, ms } = ran
  t.equal(result.ok, false)
  t.equal(result.reason, 'timeout')
  t.equal(result.error, 'no answer within the 500ms timeout')
  t.same(checkPairs(result), [['role', false]])
  t.ok(notBeforeTimeout(ms, timeout), `not before the timeout (${ms.toFixed(1)}ms)`)
  t.ok(lateness(ran) <= timeout * 0.1, `bounded: ${ms.toFixed(1)}ms, a plain ${timeout}ms timer fired at ${ran.sentinelMs?.toFixed(1)}ms`)
  await settle()
  t.same(clientSockets(), [], 'the probe closed its connection to the tarpit')
  await pit.close()
})

t.test('config validation', async (t) => {
  const parse = (url: string, extra = '') => () => parseConfig(`services:\n  - { name: svc, probe: redis, url: ${JSON.stringify(url)}${extra} }\n`, 'v.yml', PROBE_KINDS, {})
  t.throws(parse('redis://127.0.0.1:6379/abc'), /services\[0\]\.url: expected a database number as the URL path/)
  t.throws(parse('http://127.0.0.1:6379'), /services\[0\]\.url: expected a URL starting with redis:\/\/ or rediss:\/\//)
  t.throws(parse('redis://127.0.0.1:6379', ', expect: { role: primary }'), /services\[0\]\.expect\.role/)
  t.doesNotThrow(parse('rediss://u:p@cache:6380/15', ', expect: { role: replica, max_latency: 50ms }'))
})

t.test('discover: REDIS_URL becomes service redis, URL as found', async (t) => {
  const url = `redis://:${PASSWORD}@cache:6379/1`
  t.same(kind.discover!({ REDIS_URL: url }), [{ from: 'REDIS_URL', service: { name: 'redis', group: 'infrastructure', probe: 'redis', url } }])
  t.same(kind.discover!({}), [])
  t.same(kind.discover!({ REDIS_URL: '' }), [])
})

t.test('no secret in any output, no unhandled client error, no socket left', async (t) => {
  t.ok(results.length > 20, `${results.length} results scanned`)
  const everything = [JSON.stringify(results), ...results.flatMap((r) => [r.error ?? '', ...r.checks.map((c) => c.detail ?? '')]), ...printed].join('\n')
  for (const secret of SECRETS) t.notOk(everything.includes(secret), `${secret.slice(0, 8)}... never printed`)
  t.same(
    printed.filter((line) => /ioredis|Unhandled error/i.test(line)),
    [],
    'ioredis printed nothing (every error event was handled)',
  )
  await settle()
  t.same(socketHandles(), baseline)
})
