// MySQL-protocol peers for the mysql kind's tests:
//   startMariadb   a throwaway MariaDB server (mariadb-install-db + mariadbd in
//                  a temp dir, on a free loopback port) for what the machine's
//                  server (no TLS, writable) cannot show: TLS with a private
//                  CA, read_only=ON, a small max_connections. About a second
//                  to start; killed and removed at the end.
//   fake packets   a greeting and an OK packet, for protocol-level fakes that
//                  log a client in and then misbehave; fakeMysqlServer, a
//                  fake that logs anyone in and answers queries as told.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { createConnection, type Connection } from 'mysql2/promise'
import { peer, pour, type Peer, type Where } from '../hostile/peers.js'
import { createServer } from 'node:net'
import { closedPort, listen, type Running } from './servers.js'
import { makeCert, type TestCert } from './tls.js'

export interface Mariadb {
  port: number
  /** The CA that signed the server certificate (valid for localhost and 127.0.0.1). */
  cert: TestCert
  /** A connection as root (no password), for setting the server up. */
  root(): Promise<Connection>
  stop(): Promise<void>
}

const INSTALL_DB = 'mariadb-install-db'
const MARIADBD = '/usr/sbin/mariadbd'

/** Starts a MariaDB with TLS, on 127.0.0.1, with these extra server options (`--read-only` ...). */
export async function startMariadb(options: string[] = []): Promise<Mariadb> {
  const dir = mkdtempSync(join(tmpdir(), 'gt-mariadb-'))
  const data = join(dir, 'data')
  const cert = makeCert(30)
  const certFile = join(dir, 'server.pem')
  const keyFile = join(dir, 'server.key')
  writeFileSync(certFile, cert.cert)
  writeFileSync(keyFile, cert.key)
  const asRoot = process.getuid?.() === 0 ? ['--user=root'] : []
  const common = ['--no-defaults', `--datadir=${data}`, '--innodb-log-file-size=4M', '--innodb-buffer-pool-size=16M', ...asRoot]
  let proc: ChildProcess | undefined
  const cleanup = () => {
    rmSync(dir, { recursive: true, force: true })
    rmSync(dirname(cert.caFile), { recursive: true, force: true })
  }
  try {
    // Asynchronous, so a test file can go on while the server is made.
    await promisify(execFile)(INSTALL_DB, [...common, '--auth-root-authentication-method=normal', '--skip-test-db'], { timeout: 60_000 })
    const port = await closedPort()
    let log = ''
    proc = spawn(
      MARIADBD,
      [...common, `--port=${port}`, '--bind-address=127.0.0.1', `--socket=${join(dir, 'sock')}`, `--pid-file=${join(dir, 'pid')}`, '--skip-log-bin', `--ssl-cert=${certFile}`, `--ssl-key=${keyFile}`, ...options],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    const started = proc
    started.stdout!.on('data', (d: Buffer) => (log += d.toString()))
    started.stderr!.on('data', (d: Buffer) => (log += d.toString()))
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`mariadbd on ${port} did not start:\n${log}`)), 30_000)
      const onData = () => {
        if (/ready for connections/.test(log)) {
          clearTimeout(timer)
          resolve()
        }
      }
      started.stdout!.on('data', onData)
      started.stderr!.on('data', onData)
      started.once('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`mariadbd on ${port} exited (${code}):\n${log}`))
      })
    })
    return {
      port,
      cert,
      root: () => createConnection({ host: '127.0.0.1', port, user: 'root' }),
      async stop() {
        if (started.exitCode === null && started.signalCode === null) {
          const exited = new Promise((r) => started.once('exit', r))
          started.kill('SIGKILL')
          await exited
        }
        cleanup()
      },
    }
  } catch (err) {
    proc?.kill('SIGKILL')
    cleanup()
    throw err
  }
}

/** A MySQL packet: 3-byte length, sequence id, payload. */
export function mysqlPacket(seq: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(4)
  header.writeUIntLE(payload.length, 0, 3)
  header[3] = seq
  return Buffer.concat([header, payload])
}

/**
 * A protocol-10 greeting as MariaDB sends it (mysql_native_password and
 * MariaDB's version unless told otherwise), with CLIENT_SSL when `ssl`: what
 * a client must see before it logs in.
 */
export function mysqlGreeting({ ssl = false, plugin = 'mysql_native_password', version = '5.5.5-10.11.0-MariaDB-fake' } = {}): Buffer {
  const capabilities = Buffer.alloc(2)
  // LONG_PASSWORD, FOUND_ROWS, LONG_FLAG, CONNECT_WITH_DB, PROTOCOL_41, TRANSACTIONS, SECURE_CONNECTION (+ SSL)
  capabilities.writeUInt16LE(0xa20f | (ssl ? 0x0800 : 0))
  return mysqlPacket(
    0,
    Buffer.concat([
      Buffer.from([0x0a]),
      Buffer.from(`${version}\0`),
      Buffer.from([1, 0, 0, 0]), // connection id
      Buffer.from('abcdefgh'), // scramble, part 1
      Buffer.from([0]),
      capabilities,
      Buffer.from([0x21, 0x02, 0x00]), // charset, status
      Buffer.from([0x0a, 0x00]), // MULTI_RESULTS, PLUGIN_AUTH
      Buffer.from([21]),
      Buffer.alloc(10),
      Buffer.from('ijklmnopqrst\0'), // scramble, part 2
      Buffer.from(`${plugin}\0`),
    ]),
  )
}

/** OK: whatever the client logged in with is accepted. */
export function mysqlOk(seq: number): Buffer {
  return mysqlPacket(seq, Buffer.from([0, 0, 0, 2, 0, 0, 0]))
}

/**
 * Greets, accepts any login, then answers the first query with a "large
 * packet" without end: 0xffffff-byte parts, each announcing another, which
 * a client buffers until the last part arrives.
 */
export function mysqlEndlessPacket(where: Where = 'tcp'): Promise<Peer> {
  const filler = Buffer.alloc(64 * 1024, 0xff)
  return peer((socket, count) => {
    const greeting = mysqlGreeting()
    count(greeting.length)
    socket.write(greeting)
    let seen = 0
    socket.on('data', () => {
      seen++
      if (seen === 1) {
        const ok = mysqlOk(2)
        count(ok.length)
        socket.write(ok)
      } else if (seen === 2) {
        pour(socket, filler, count)
      }
    })
  }, where)
}

/** What a fake answers to one query: a result set (one text column per cell), an error, or OK. */
export type FakeReply = { rows: string[][] } | { error: { errno: number; message: string } } | 'ok'

const lenenc = (text: string): Buffer => {
  const bytes = Buffer.from(text)
  if (bytes.length >= 251) throw new Error('fake: strings under 251 bytes only')
  return Buffer.concat([Buffer.from([bytes.length]), bytes])
}
const EOF = Buffer.from([0xfe, 0, 0, 2, 0])

/** The packets of one reply, numbered from sequence 1. */
function replyPackets(reply: FakeReply): Buffer[] {
  if (reply === 'ok') return [Buffer.from([0, 0, 0, 2, 0, 0, 0])]
  if ('error' in reply) {
    const head = Buffer.alloc(3)
    head[0] = 0xff
    head.writeUInt16LE(reply.error.errno, 1)
    return [Buffer.concat([head, Buffer.from(`#HY000${reply.error.message}`)])]
  }
  const width = reply.rows[0]?.length ?? 1
  const column = (i: number) =>
    Buffer.concat([
      ...['def', '', '', '', `c${i}`, `c${i}`].map(lenenc),
      // charset utf8, length 64, VAR_STRING, no flags, no decimals, filler
      Buffer.from([0x0c, 33, 0, 64, 0, 0, 0, 0xfd, 0, 0, 0, 0, 0]),
    ])
  return [Buffer.from([width]), ...Array.from({ length: width }, (_, i) => column(i)), EOF, ...reply.rows.map((row) => Buffer.concat(row.map(lenenc))), EOF]
}

/**
 * A protocol-level fake of a MySQL server: greets as `version`, logs anyone
 * in, and answers each COM_QUERY with `answer(sql)` (text columns only, the
 * classic EOF-terminated result set). `queries` lists what it was asked.
 */
export async function fakeMysqlServer(version: string, answer: (sql: string) => FakeReply): Promise<Running & { queries: string[] }> {
  const queries: string[] = []
  const running = await listen(
    createServer((socket) => {
      socket.on('error', () => {})
      socket.write(mysqlGreeting({ version }))
      let pending = Buffer.alloc(0)
      let loggedIn = false
      socket.on('data', (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk])
        while (pending.length >= 4 && pending.length >= 4 + pending.readUIntLE(0, 3)) {
          const payload = pending.subarray(4, 4 + pending.readUIntLE(0, 3))
          pending = pending.subarray(4 + payload.length)
          if (!loggedIn) {
            loggedIn = true
            socket.write(mysqlOk(2))
          } else if (payload[0] === 0x03) {
            const sql = payload.subarray(1).toString()
            queries.push(sql)
            socket.write(Buffer.concat(replyPackets(answer(sql)).map((p, i) => mysqlPacket(i + 1, p))))
          } else if (payload[0] === 0x01) {
            socket.end()
          }
        }
      })
    }),
    'tcp',
  )
  return { ...running, queries }
}
