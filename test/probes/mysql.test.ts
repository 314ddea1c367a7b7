// The mysql probe against real MariaDB servers, through the real config path
// and runner: the machine's (127.0.0.1:3306, root without a password, no
// TLS, writable), where a throwaway user with a password and a few tables
// are made and dropped again, and a private one this file starts
// (test/helpers/mariadb.ts: TLS with a private CA, read_only=ON,
// max_connections=10). Protocol-level fakes (named so in the titles) play
// what no server here does: a malformed packet after login, a peer that is
// not a MySQL server, silence, a hang-up, MySQL 8 (its flavour of time
// limit) and caching_sha2_password's full authentication.
import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise'
import t from 'tap'
import { PROBE_KINDS } from '../../probes/index.js'
import { loadMysql } from '../../probes/mysql/connect.js'
import { parseConfig } from '../../src/config/load.js'
import { ConfigError } from '../../src/config/errors.js'
import type { RunResult } from '../../src/runner.js'
import { ROOT } from '../helpers/child.js'
import { capturePrinted } from '../helpers/console.js'
import { fakeMysqlServer, startMariadb, mysqlGreeting, mysqlOk, mysqlPacket } from '../helpers/mariadb.js'
import { checkPairs, detailOf, lateness, notBeforeTimeout, type Ran, runService } from '../helpers/probe-run.js'
import { bannerServer, closedPort, listen, serverPool, tarpit } from '../helpers/servers.js'
import { nothingLeftOpen, socketHandles } from '../helpers/sockets.js'
import { createServer, type Socket } from 'node:net'

// Taken before any server or probe exists: what the test process holds on its own.
const baseline = socketHandles()
const loadedBeforeAnyRun = loadMysql.loaded()
// The private server takes a few seconds to make: started now, used further down.
const privateServer = startMariadb(['--read-only', '--max-connections=10']).then(
  (server) => {
    t.teardown(() => server.stop())
    return server
  },
  (err: unknown) => err as Error,
)
const printed = capturePrinted(t)

const suffix = randomBytes(4).toString('hex')
const USER = `gt_my_${suffix}`
// Characters that must be percent-encoded in a URL, to prove the probe decodes them.
const PASSWORD = `gt@my/pw:${suffix}%`
const NO_GRANT_USER = `gt_my_nogrant_${suffix}`
const NO_GRANT_PASSWORD = `gt-nogrant-${suffix}`
const WRONG = `gt-wrong-${suffix}`
const SECRETS = [PASSWORD, encodeURIComponent(PASSWORD), NO_GRANT_PASSWORD, WRONG]
const TABLE = `gt_my_items_${suffix}`
const VIEW = `gt_my_view_${suffix}`
const MIXED = `gt_my_Mixed_${suffix}`
const ODD = `gt my.odd\`${suffix}`
const PROC = `gt_my_proc_${suffix}`

const { keep, closeAll } = serverPool()
t.teardown(closeAll)

/** Runs SQL as root on the machine's server, on a connection of its own, closed after. */
async function admin<T = RowDataPacket[]>(sql: string, values: unknown[] = [], port = 3306): Promise<T> {
  const conn = await createConnection({ host: '127.0.0.1', port, user: 'root', database: port === 3306 ? 'test' : undefined })
  try {
    const [rows] = await conn.query(sql, values)
    return rows as T
  } finally {
    await hangUp(conn)
  }
}

/** Ends a connection of the test's own and frees its socket at once. */
async function hangUp(conn: Connection): Promise<void> {
  await conn.end()
  ;(conn as unknown as { connection: { stream: Socket } }).connection.stream.destroy()
}

const url = (user: string, password: string | undefined, rest = '127.0.0.1:3306/test') =>
  `mysql://${encodeURIComponent(user)}${password === undefined ? '' : `:${encodeURIComponent(password)}`}@${rest}`
const OK_URL = url(USER, PASSWORD)

/** Every result a probe produced in this file, for the secret scan at the end. */
const results: RunResult[] = []
async function mysql(fields: Record<string, unknown>, sentinel?: number): Promise<Ran> {
  const ran = await runService({ probe: 'mysql', timeout: '3s', ...fields }, { sentinel })
  results.push(ran.result)
  return ran
}

/** Sessions of `user` the server still has (a probe's connection must be gone, server side too). */
async function sessionsOf(user: string, port = 3306): Promise<number> {
  for (let i = 0; ; i++) {
    const [row] = await admin<{ n: number }[]>('SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE USER = ?', [user], port)
    if (row!.n === 0 || i >= 50) return row!.n
    await new Promise((r) => setTimeout(r, 20))
  }
}

t.before(async () => {
  await admin(`CREATE USER ?@'%' IDENTIFIED BY ?`, [USER, PASSWORD])
  await admin(`GRANT SELECT, INSERT, CREATE, DROP ON test.* TO ?@'%'`, [USER])
  await admin(`CREATE USER ?@'%' IDENTIFIED BY ?`, [NO_GRANT_USER, NO_GRANT_PASSWORD])
  await admin(`CREATE TABLE \`${TABLE}\` (id INT PRIMARY KEY, flag BIT(1), amount DECIMAL(5,2))`)
  await admin(`INSERT INTO \`${TABLE}\` VALUES (1, b'0', 0.00), (2, b'1', 1.50)`)
  await admin(`CREATE VIEW \`${VIEW}\` AS SELECT id FROM \`${TABLE}\``)
  await admin(`CREATE TABLE \`${MIXED}\` (id INT)`)
  await admin(`CREATE TABLE \`${ODD.replace(/`/g, '``')}\` (id INT)`)
  await admin(`CREATE PROCEDURE \`${PROC}\`() READS SQL DATA BEGIN SELECT COUNT(*) FROM \`${TABLE}\`; SELECT 0; END`)
  await admin(`GRANT EXECUTE ON test.* TO ?@'%'`, [USER])
})

t.teardown(async () => {
  for (const table of [TABLE, MIXED, ODD]) await admin(`DROP TABLE IF EXISTS \`${table.replace(/`/g, '``')}\``)
  await admin(`DROP VIEW IF EXISTS \`${VIEW}\``)
  await admin(`DROP PROCEDURE IF EXISTS \`${PROC}\``)
  for (const user of [USER, NO_GRANT_USER]) await admin(`DROP USER IF EXISTS ?@'%'`, [user])
})

// ---------------------------------------------------------------- the machine's MariaDB

t.test('a user with a password (percent-encoded in the URL): up, with the server facts', async (t) => {
  const { result, yaml } = await mysql({ url: OK_URL, expect: { tables: [TABLE, `test.${TABLE}`], read_only: false, query: `SELECT COUNT(*) = 2 FROM \`${TABLE}\``, max_latency: '2s' } })
  t.match(yaml, encodeURIComponent(PASSWORD), 'the password really travels percent-encoded')
  t.equal(result.ok, true, result.error ?? '')
  t.same(checkPairs(result), [
    [`table:${TABLE}`, true],
    [`table:test.${TABLE}`, true],
    ['read_only', true],
    ['query', true],
    ['max_latency', true],
  ])
  t.equal(detailOf(result, `table:${TABLE}`), `found test.${TABLE}`)
  t.equal(detailOf(result, 'read_only'), 'writable (@@global.read_only), expected writable')
  t.equal(detailOf(result, 'query'), "the query's first cell was 1, which counts as true")
  t.match(detailOf(result, 'max_latency'), /^\d.* to connect, log in and SELECT 1 \(limit 2s\)$/)
  t.match(result.info, { flavour: 'mariadb', database: 'test', read_only: false, encrypted: false })
  t.match(result.info.server_version, /MariaDB/)
  t.type(result.info.latency_ms, 'number')
  t.equal(result.info.tls_version, undefined)
  t.equal(await sessionsOf(USER), 0, 'the server has no session of the probe left')
})

t.test('root without a password and no expectations: up, no checks', async (t) => {
  const { result } = await mysql({ url: 'mysql://root@127.0.0.1:3306/test' })
  t.equal(result.ok, true, result.error ?? '')
  t.same(checkPairs(result), [])
  // mariadb:// is the same protocol; no database in the URL is fine.
  const plain = await mysql({ url: 'mariadb://root@127.0.0.1' })
  t.equal(plain.result.ok, true, plain.result.error ?? '')
  t.equal(plain.result.info.database, undefined)
})

t.test('a wrong password is auth (1045), naming the user, never the password', async (t) => {
  const { result } = await mysql({ url: url(USER, WRONG), expect: { read_only: false } })
  t.equal(result.ok, false)
  t.equal(result.reason, 'auth')
  t.match(result.error, new RegExp(`^Access denied for user '${USER}'@'[^']+' \\(using password: YES\\) \\(ER_ACCESS_DENIED_ERROR, errno 1045\\)$`))
  t.same(result.info, { errno: 1045, code: 'ER_ACCESS_DENIED_ERROR', sqlstate: '28000' })
  t.same(checkPairs(result), [['read_only', false]])
  t.equal(detailOf(result, 'read_only'), 'not evaluated: auth')
})

t.test('no password for a user that has one is auth too', async (t) => {
  const { result } = await mysql({ url: url(USER, undefined) })
  t.equal(result.reason, 'auth')
  t.match(result.error, /using password: NO/)
})

t.test('a database the user may not use is auth (1044)', async (t) => {
  const { result } = await mysql({ url: url(NO_GRANT_USER, NO_GRANT_PASSWORD) })
  t.equal(result.reason, 'auth')
  t.match(result.error, /ER_DBACCESS_DENIED_ERROR, errno 1044/)
  t.equal(result.info.errno, 1044)
})

t.test('a database that does not exist is error, with its code in info (1049)', async (t) => {
  const { result } = await mysql({ url: `mysql://root@127.0.0.1:3306/gt_my_missing_${suffix}` })
  t.equal(result.reason, 'error')
  t.equal(result.error, `Unknown database 'gt_my_missing_${suffix}' (ER_BAD_DB_ERROR, errno 1049)`)
  t.same(result.info, { errno: 1049, code: 'ER_BAD_DB_ERROR', sqlstate: '42000' })
})

t.test('a closed port is refused', async (t) => {
  const { result } = await mysql({ url: url(USER, PASSWORD, `127.0.0.1:${await closedPort()}/test`) })
  t.equal(result.reason, 'refused')
})

t.test('TLS asked of a server without TLS (the machine MariaDB has none) is tls', async (t) => {
  const { result } = await mysql({ url: OK_URL, tls: {} })
  t.equal(result.reason, 'tls')
  t.equal(result.error, 'the server does not offer TLS, and the service asks for it (tls:)')
})

t.test('expect.tables', async (t) => {
  t.test('a view, a name in another case, a missing table: each fails and says why', async (t) => {
    const wrongCase = MIXED.toLowerCase()
    const { result } = await mysql({ url: OK_URL, expect: { tables: [VIEW, wrongCase, `gt_my_missing_${suffix}`, `mysql.gt_my_missing_${suffix}`] } })
    t.equal(result.reason, 'expectation')
    t.equal(detailOf(result, `table:${VIEW}`), `no table test.${VIEW}: test.${VIEW} is a view`)
    t.equal(detailOf(result, `table:${wrongCase}`), `no table test.${wrongCase} (test.${MIXED} exists: names are case-sensitive on this server, lower_case_table_names=0)`)
    t.equal(detailOf(result, `table:gt_my_missing_${suffix}`), `no table test.gt_my_missing_${suffix} (or this user may not see it)`)
    t.equal(detailOf(result, `table:mysql.gt_my_missing_${suffix}`), `no table mysql.gt_my_missing_${suffix} (or this user may not see it)`)
  })

  t.test('backquoted names, and database.table with no database in the URL', async (t) => {
    const odd = `\`${ODD.replace(/`/g, '``')}\``
    const { result } = await mysql({ url: 'mysql://root@127.0.0.1:3306', expect: { tables: [`test.${odd}`, `\`test\`.${MIXED}`, TABLE] } })
    t.same(checkPairs(result), [
      [`table:test.${odd}`, true],
      [`table:\`test\`.${MIXED}`, true],
      [`table:${TABLE}`, false],
    ])
    t.equal(detailOf(result, `table:test.${odd}`), `found test.${odd}`)
    t.equal(detailOf(result, `table:${TABLE}`), `the URL names no database to look for ${TABLE} in: write it as database.table`)
  })

  t.test('a table the user has no privilege on is not seen', async (t) => {
    const { result } = await mysql({ url: OK_URL, expect: { tables: ['mysql.global_priv'] } })
    t.same(checkPairs(result), [['table:mysql.global_priv', false]])
    const root = await mysql({ url: 'mysql://root@127.0.0.1:3306/test', expect: { tables: ['mysql.global_priv'] } })
    t.same(checkPairs(root.result), [['table:mysql.global_priv', true]])
  })
})

t.test('expect.read_only against a writable server', async (t) => {
  const { result } = await mysql({ url: OK_URL, expect: { read_only: true } })
  t.equal(result.reason, 'expectation')
  t.equal(result.error, 'read_only: writable (@@global.read_only), expected read-only')
  t.equal(result.info.read_only, false)
})

t.test('expect.query', async (t) => {
  const cases: [string, string, boolean, string][] = [
    ['a false first cell', 'SELECT 0', false, "the query's first cell was 0, which counts as false"],
    ['a BIT(1) of 0', `SELECT flag FROM \`${TABLE}\` WHERE id = 1`, false, "the query's first cell was 0, which counts as false"],
    ['a BIT(1) of 1', `SELECT flag FROM \`${TABLE}\` WHERE id = 2`, true, "the query's first cell was 1, which counts as true"],
    ['a DECIMAL of 0.00', `SELECT amount FROM \`${TABLE}\` WHERE id = 1`, false, 'the query\'s first cell was "0.00", which counts as false'],
    ['a string', "SELECT 'yes'", true, 'the query\'s first cell was "yes", which counts as true'],
    ['NULL', 'SELECT NULL', false, "the query's first cell was null, which counts as false"],
    ['no rows', `SELECT id FROM \`${TABLE}\` WHERE id = 0`, false, 'the query returned no rows'],
    ['no result set', 'DO 1', false, 'the statement returned no result set'],
    ["a procedure's first result set", `CALL \`${PROC}\`()`, true, "the query's first cell was 2, which counts as true"],
  ]
  for (const [label, query, ok, detail] of cases) {
    const { result } = await mysql({ url: OK_URL, expect: { query } })
    t.same(checkPairs(result), [['query', ok]], label)
    t.equal(detailOf(result, 'query'), detail, label)
  }

  t.test('writes are refused, DDL included (the session is read-only, not just the transaction)', async (t) => {
    const writes = [`INSERT INTO \`${TABLE}\` VALUES (3, b'1', 3)`, `DROP TABLE \`${TABLE}\``, `CREATE TABLE gt_my_new_${suffix} (id INT)`, `TRUNCATE TABLE \`${TABLE}\``]
    for (const query of writes) {
      const { result } = await mysql({ url: OK_URL, expect: { query } })
      t.equal(result.reason, 'expectation', query)
      t.equal(detailOf(result, 'query'), 'Cannot execute statement in a READ ONLY transaction (ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION, errno 1792)', query)
    }
    const rows = await admin<{ n: number }[]>(`SELECT COUNT(*) AS n FROM \`${TABLE}\``)
    t.equal(rows[0]!.n, 2, 'the table is untouched')
    const created = await admin(`SHOW TABLES LIKE 'gt_my_new_${suffix}'`)
    t.same(created, [], 'no table was created')
  })

  t.test('one statement only: a second is a syntax error, not run', async (t) => {
    const { result } = await mysql({ url: OK_URL, expect: { query: `SELECT 1; DROP TABLE \`${TABLE}\`` } })
    t.equal(result.reason, 'expectation')
    t.match(detailOf(result, 'query'), /\(ER_PARSE_ERROR, errno 1064\)$/)
    t.same(await admin(`SHOW TABLES LIKE '${TABLE}'`), [{ [`Tables_in_test (${TABLE})`]: TABLE }])
  })

  t.test('a slow query is cut by max_statement_time inside the probe timeout: reason timeout', async (t) => {
    const timeoutMs = 1000
    const ran = await mysql({ url: OK_URL, timeout: `${timeoutMs}ms`, expect: { query: 'SELECT SLEEP(10)' } }, timeoutMs)
    t.equal(ran.result.reason, 'timeout', ran.result.error ?? '')
    t.same(checkPairs(ran.result), [['query', false]])
    t.match(detailOf(ran.result, 'query'), /^Query execution was interrupted \(max_statement_time exceeded\) \(errno 1969, max_statement_time \d+ms, within the probe timeout\)$/)
    t.ok(lateness(ran) < 0, `the server cut it before the probe timeout (${ran.ms.toFixed(0)}ms)`)
    t.equal(await sessionsOf(USER), 0, 'no session of the probe left on the server')
  })
})

// ---------------------------------------------------------------- protocol-level fakes

/** A protocol-level fake: greets, accepts any login, then does `after` with the socket. */
function fakeServer(after: (socket: Socket) => void) {
  return keep(
    listen(
      createServer((socket) => {
        socket.on('error', () => {})
        socket.write(mysqlGreeting())
        socket.once('data', () => after(socket))
      }),
      'tcp',
    ),
  )
}

t.test('protocol-level fake: a malformed packet nobody waits for, out of sequence, right after login, fails the run (mysql2 alone throws it as an uncaught exception, and prints the sequence warning)', async (t) => {
  const fake = await fakeServer((socket) => socket.write(Buffer.concat([mysqlOk(2), mysqlPacket(9, Buffer.from([0xff]))])))
  const { result } = await mysql({ url: url('root', 'pw', `127.0.0.1:${fake.port}/test`) })
  t.equal(result.reason, 'error')
  t.match(result.error, /^the server sent what is not the MySQL protocol \(/)
})

t.test('protocol-level fake: a server that does not speak MySQL fails at its first bytes, not at the timeout', async (t) => {
  const ssh = await keep(bannerServer('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n'))
  const timeoutMs = 1500
  const ran = await mysql({ url: url('root', 'pw', `127.0.0.1:${ssh.port}/test`), timeout: `${timeoutMs}ms` }, timeoutMs / 3)
  t.equal(ran.result.reason, 'error')
  t.equal(ran.result.error, 'not a MySQL server: it spoke first with "SSH-2.0-OpenSSH_9.2p1 Debian-2+d"')
  t.equal(ran.sentinelMs, undefined, `before a third of the timeout (${ran.ms.toFixed(0)}ms)`)

  const noise = await keep(bannerServer(randomBytes(256).toString('latin1')))
  const garbage = await mysql({ url: url('root', 'pw', `127.0.0.1:${noise.port}/test`), timeout: `${timeoutMs}ms` }, timeoutMs / 3)
  t.equal(garbage.result.reason, 'error')
  t.match(garbage.result.error, /^not a MySQL server: it spoke first with "/)
})

t.test('protocol-level fake: TLS offered, then not spoken, is tls', async (t) => {
  const fake = await keep(
    listen(
      createServer((socket) => {
        socket.on('error', () => {})
        socket.write(mysqlGreeting({ ssl: true }))
        socket.once('data', () => socket.write('this is not a TLS record'))
      }),
      'tcp',
    ),
  )
  const { result } = await mysql({ url: url('root', 'pw', `127.0.0.1:${fake.port}/test`), tls: { insecure: true } })
  t.equal(result.reason, 'tls')
})

t.test('protocol-level fake: a server that hangs up after the login packet: error, said so', async (t) => {
  const fake = await fakeServer((socket) => socket.end())
  const { result } = await mysql({ url: url('root', 'pw', `127.0.0.1:${fake.port}/test`) })
  t.equal(result.reason, 'error')
  t.equal(result.error, 'the server closed the connection')
})

t.test("protocol-level fake: caching_sha2_password's full authentication over plaintext is tls (the server's key is never fetched unencrypted)", async (t) => {
  const fake = await keep(
    listen(
      createServer((socket) => {
        socket.on('error', () => {})
        socket.write(mysqlGreeting({ plugin: 'caching_sha2_password' }))
        // AuthMoreData: "perform full authentication", which needs the password encrypted.
        socket.once('data', () => socket.write(mysqlPacket(2, Buffer.from([0x01, 0x04]))))
      }),
      'tcp',
    ),
  )
  const { result } = await mysql({ url: url('app', PASSWORD, `127.0.0.1:${fake.port}/test`) })
  t.equal(result.reason, 'tls')
  t.match(result.error, /needs TLS: add tls: to the service/)
})

/** A protocol-level fake of a MySQL 8 server (read_only=ON); `executionTime: false` plays one without max_execution_time. */
function fakeMysql8(options: { executionTime: boolean }) {
  return keep(
    fakeMysqlServer('8.0.36', (sql) => {
      if (sql.startsWith('SELECT 1, VERSION()')) return { rows: [['1', '8.0.36', 'app', '1', '0']] }
      if (sql === 'SELECT 42') return { rows: [['42']] }
      if (sql.startsWith('SET SESSION max_execution_time') && !options.executionTime) return { error: { errno: 1193, message: "Unknown system variable 'max_execution_time'" } }
      return 'ok'
    }),
  ) as Promise<Awaited<ReturnType<typeof fakeMysqlServer>>>
}

t.test('protocol-level fake of MySQL 8: the time limit is max_execution_time (milliseconds), the facts read alike', async (t) => {
  const fake = await fakeMysql8({ executionTime: true })
  const { result } = await mysql({ url: `mysql://app:${encodeURIComponent(PASSWORD)}@127.0.0.1:${fake.port}/app`, expect: { read_only: true, query: 'SELECT 42' } })
  t.equal(result.ok, true, result.error ?? '')
  t.match(result.info, { flavour: 'mysql', server_version: '8.0.36', database: 'app', read_only: true })
  t.match(fake.queries, [/^SELECT 1, VERSION\(\)/, 'SET SESSION TRANSACTION READ ONLY', /^SET SESSION max_execution_time = \d+$/, 'START TRANSACTION READ ONLY', 'SELECT 42', 'ROLLBACK'])

  const old = await fakeMysql8({ executionTime: false })
  const without = await mysql({ url: `mysql://app@127.0.0.1:${old.port}/app`, expect: { query: 'SELECT 42' } })
  t.equal(without.result.ok, true, 'a server without the variable is probed all the same (the probe timeout bounds the query)')
})

t.test('a tarpit, and a greeting then silence: timeout, bounded by a plain timer of the timeout', async (t) => {
  const pit = await keep(tarpit())
  const silent = await fakeServer(() => {})
  for (const port of [pit.port, silent.port]) {
    const timeoutMs = 400
    const ran = await mysql({ url: url('root', 'pw', `127.0.0.1:${port}/test`), timeout: `${timeoutMs}ms` }, timeoutMs)
    t.equal(ran.result.reason, 'timeout', ran.result.error ?? '')
    t.ok(notBeforeTimeout(ran.ms, timeoutMs), `not before the timeout (${ran.ms.toFixed(1)}ms)`)
    t.ok(lateness(ran) <= timeoutMs * 0.1, `at most 10% after the plain timer (${ran.ms.toFixed(1)}ms; the timer at ${ran.sentinelMs?.toFixed(1)}ms)`)
  }
})

// ---------------------------------------------------------------- a private MariaDB: TLS, read_only=ON, max_connections

t.test('a private MariaDB (TLS, read_only=ON, max_connections=10)', async (t) => {
  const server = await privateServer
  if (server instanceof Error) {
    t.fail(`could not start a private MariaDB: ${server.message}`)
    return
  }
  const at = `127.0.0.1:${server.port}`
  const root = `mysql://root@${at}`
  const ca = server.cert.caFile

  t.test('TLS verified against the CA: encrypted, the version in info', async (t) => {
    const { result } = await mysql({ url: root, tls: { ca_file: ca }, expect: { read_only: true } })
    t.equal(result.ok, true, result.error ?? '')
    t.equal(result.info.encrypted, true)
    t.match(result.info.tls_version, /^TLSv1\.[23]$/)
    t.equal(result.info.read_only, true)
    t.equal(detailOf(result, 'read_only'), 'read-only (@@global.read_only), expected read-only')
  })

  t.test('the name checked is tls.server_name when given (the certificate is for localhost and 127.0.0.1)', async (t) => {
    const good = await mysql({ url: root, tls: { ca_file: ca, server_name: 'localhost' } })
    t.equal(good.result.ok, true, good.result.error ?? '')
    const bad = await mysql({ url: root, tls: { ca_file: ca, server_name: 'db.example.com' } })
    t.equal(bad.result.reason, 'tls')
    t.match(bad.result.error, /^TLS handshake failed: .*db\.example\.com/)
  })

  t.test('an unknown CA is tls; insecure: true encrypts without verifying', async (t) => {
    const unknown = await mysql({ url: root, tls: {} })
    t.equal(unknown.result.reason, 'tls')
    t.match(unknown.result.error, /^TLS handshake failed: .*(self[- ]signed|unable to (get|verify))/i)
    const insecure = await mysql({ url: root, tls: { insecure: true } })
    t.equal(insecure.result.ok, true, insecure.result.error ?? '')
    t.equal(insecure.result.info.encrypted, true)
  })

  t.test('a read-only server: expect.read_only false fails, the probe itself still passes', async (t) => {
    const { result } = await mysql({ url: root, expect: { read_only: false, query: 'SELECT @@read_only' } })
    t.same(checkPairs(result), [
      ['read_only', false],
      ['query', true],
    ])
    t.equal(result.reason, 'expectation')
  })

  t.test('a passing run says goodbye (COM_QUIT): no aborted client on the server', async (t) => {
    const aborted = async () => Number((await admin<{ Value: string }[]>(`SHOW GLOBAL STATUS LIKE 'Aborted_clients'`, [], server.port))[0]!.Value)
    const before = await aborted()
    for (let i = 0; i < 3; i++) t.equal((await mysql({ url: root, tls: { ca_file: ca } })).result.ok, true)
    t.equal((await mysql({ url: root })).result.ok, true)
    t.equal(await aborted(), before)
  })

  t.test('max_connections reached is refused (1040)', async (t) => {
    const user = `gt_my_cc_${suffix}`
    await admin(`CREATE USER ?@'%' IDENTIFIED BY ?`, [user, PASSWORD], server.port)
    const held: Connection[] = []
    try {
      // Up to max_connections sessions of a user without SUPER (root keeps a spare one).
      for (let i = 0; i < 12; i++) {
        try {
          held.push(await createConnection({ host: '127.0.0.1', port: server.port, user, password: PASSWORD }))
        } catch {
          break
        }
      }
      const { result } = await mysql({ url: url(user, PASSWORD, at) })
      t.equal(result.reason, 'refused', result.error ?? '')
      t.match(result.error, /^Too many connections \(ER_CON_COUNT_ERROR, errno 1040\)$/)
    } finally {
      for (const conn of held) await hangUp(conn)
    }
  })
})

// ---------------------------------------------------------------- config, target, discovery

const kind = PROBE_KINDS.get('mysql')!
function configOf(fields: Record<string, unknown>) {
  const yaml = `services:\n  - ${JSON.stringify({ name: 'svc', probe: 'mysql', ...fields })}\n`
  return parseConfig(yaml, 'mysql.yml', PROBE_KINDS, {})
}
function targetOf(u: string): string {
  return kind.target(configOf({ url: u }).services[0] as never)
}
function problems(fields: Record<string, unknown>): string {
  try {
    configOf(fields)
  } catch (err) {
    if (err instanceof ConfigError) return err.message
    throw err
  }
  return ''
}

t.test('target is host:port[/db], never credentials', async (t) => {
  t.equal(targetOf(OK_URL), '127.0.0.1:3306/test')
  t.equal(targetOf('mysql://db.internal'), 'db.internal:3306')
  t.equal(targetOf(`mariadb://app:${WRONG}@[::1]:3307/app%20db`), '[::1]:3307/app db')
  t.equal(targetOf('mysql://h/100%'), 'h:3306/100%', 'a path that is not percent-encoding is taken as written')
})

t.test('config: the URL and the expectations are checked at load', async (t) => {
  t.match(problems({ url: 'postgres://h/db' }), /expected a URL starting with mysql:\/\/ or mariadb:\/\//)
  t.match(problems({ url: 'mysql://h/db/extra' }), /expected at most a database name as the URL path/)
  t.match(problems({ url: 'mysql://h/db?ssl-mode=REQUIRED' }), /expected TLS to be asked for with the service's tls: key .* not the URL parameter "ssl-mode"/)
  t.equal(problems({ url: 'mysql://h/db?charset=utf8mb4', tls: { insecure: true } }), '', 'other parameters are left alone')
  t.match(problems({ url: 'mysql://h/db', expect: { tables: ['a.b.c'] } }), /expected "table" or "database.table"/)
  t.match(problems({ url: 'mysql://h/db', expect: { tables: ['`open'] } }), /unterminated backquote/)
  t.match(problems({ url: 'mysql://h/db', expect: { tables: ['``'] } }), /empty quoted name/)
  t.match(problems({ url: 'mysql://h/db', expect: { tables: ['a-b'] } }), /unexpected "-" in the value/)
  t.match(problems({ url: 'mysql://h/db', expect: { tables: ['a', 'a'] } }), /expected each table once/)
  t.match(problems({ url: 'mysql://h/db', expect: { tables: [''] } }), /expected a table name, got an empty string/)
  t.match(problems({ url: 'mysql://h/db', expect: { tables: ['-'] } }), /expected a name \(letters, digits/)
  t.match(problems({ url: 'mysql://h/db', expect: { read_only: 'yes' } }), /read_only/)
})

t.test('discovery: MYSQL_URL, and DATABASE_URL only when it is mysql:// or mariadb://; postgres never takes those', async (t) => {
  const postgres = PROBE_KINDS.get('postgres')!
  const mysqlService = (from: string, u: string) => [{ from, service: { name: 'mysql', group: 'infrastructure', probe: 'mysql', url: u } }]
  t.same(kind.discover!({ MYSQL_URL: OK_URL }), mysqlService('MYSQL_URL', OK_URL))
  t.same(kind.discover!({ DATABASE_URL: 'mysql://u@h/d' }), mysqlService('DATABASE_URL', 'mysql://u@h/d'))
  t.same(kind.discover!({ DATABASE_URL: 'mariadb://u@h/d' }), mysqlService('DATABASE_URL', 'mariadb://u@h/d'))
  t.same(postgres.discover!({ DATABASE_URL: 'mysql://u@h/d' }), [], 'postgres leaves a mysql DATABASE_URL alone')
  t.same(postgres.discover!({ DATABASE_URL: 'mariadb://u@h/d' }), [])
  t.same(kind.discover!({ DATABASE_URL: 'postgres://u@h/d' }), [], 'mysql leaves a postgres DATABASE_URL alone')
  t.same(kind.discover!({ DATABASE_URL: 'postgres://u@h/d', MYSQL_URL: 'mysql://u@h/d' }), mysqlService('MYSQL_URL', 'mysql://u@h/d'))
  t.same(kind.discover!({ DATABASE_URL: '', MYSQL_URL: '' }), [])
  t.ok(kind.discoveredFrom!.includes('MYSQL_URL') && kind.discoveredFrom!.includes('DATABASE_URL'))
})

t.test('mysql2 is loaded by the first mysql run, not by the registry (probes/lib/lazy.ts)', async (t) => {
  // Only type imports of mysql2 in the kind's files: importing the registry loads none of it.
  const dir = join(ROOT, 'probes/mysql')
  for (const file of readdirSync(dir)) {
    const source = readFileSync(join(dir, file), 'utf8')
    t.notMatch(source, /^import (?!type )[^\n]*from 'mysql2/m, `${file} imports mysql2 as types only`)
  }
  t.ok(loadedBeforeAnyRun === undefined, 'no run, no mysql2 (this file imports mysql2 itself, so its module cache cannot tell)')
  t.ok(loadMysql.loaded(), 'loaded once a run asked for it')
})

t.test('no secret in any result or on the console', async (t) => {
  const everything = JSON.stringify(results) + printed.join('\n')
  for (const secret of SECRETS) t.notOk(everything.includes(secret), `${secret} never shown`)
  t.notMatch(printed.join('\n'), /packets out of order/, "mysql2's sequence warnings are not printed")
  t.ok(results.length > 30, `${results.length} runs scanned`)
})

t.test('nothing is left open once the servers are closed', (t) => nothingLeftOpen(t, baseline, closeAll))
