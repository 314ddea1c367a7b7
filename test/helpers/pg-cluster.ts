// A throwaway PostgreSQL cluster for tests that need what the machine's
// server (trust auth, no TLS) cannot show: password authentication and TLS.
// initdb + pg_ctl from /usr/lib/postgresql/*/bin, run as the `postgres` user
// when the tests run as root (the server refuses to run as root), in a temp
// dir, on a free port; about 1.5 s to start, stopped with `-m immediate`.
import { execFileSync } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import pg from 'pg'
import { makeCert, type TestCert } from './tls.js'

export interface Cluster {
  port: number
  /** The CA that signed the server certificate (valid for localhost and 127.0.0.1). */
  cert: TestCert
  /** Runs SQL as the superuser, over TLS. */
  sql(text: string, database?: string): Promise<pg.QueryResult>
  stop(): Promise<void>
}

/** The newest installed server's bin directory. */
export function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql'
  if (!existsSync(root)) return undefined
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a))
  return versions[0] ? join(root, versions[0], 'bin') : undefined
}

/** A loopback port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/**
 * Starts a cluster with SSL on, listening on 127.0.0.1 and 127.0.0.2 (the
 * latter is not in the certificate: a host-name mismatch). pg_hba accepts
 * only TLS connections with SCRAM passwords.
 */
export async function startCluster(superPassword: string): Promise<Cluster> {
  const bin = postgresBin()
  if (!bin) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql/*/bin')
  const asRoot = process.getuid?.() === 0
  const dir = mkdtempSync(join(tmpdir(), 'gt-pg-'))
  const data = join(dir, 'data')
  const owner = asRoot ? { uid: Number(execFileSync('id', ['-u', 'postgres']).toString()), gid: Number(execFileSync('id', ['-g', 'postgres']).toString()) } : undefined
  const own = (path: string) => owner && chownSync(path, owner.uid, owner.gid)
  const run = (cmd: string, args: string[]) =>
    execFileSync(asRoot ? 'runuser' : join(bin, cmd), asRoot ? ['-u', 'postgres', '--', join(bin, cmd), ...args] : args, { stdio: 'pipe', timeout: 30_000 })

  const cert = makeCert(30)
  const cleanup = () => {
    rmSync(dir, { recursive: true, force: true })
    rmSync(dirname(cert.caFile), { recursive: true, force: true })
  }
  const port = await freePort()
  try {
    own(dir)
    writeFileSync(join(dir, 'pw'), `${superPassword}\n`, { mode: 0o600 })
    own(join(dir, 'pw'))
    run('initdb', ['-D', data, '-U', 'postgres', '-A', 'scram-sha-256', `--pwfile=${join(dir, 'pw')}`, '--no-sync', '-E', 'UTF8'])
    rmSync(join(dir, 'pw'))
    for (const [name, content] of [['server.key', cert.key], ['server.crt', cert.cert]] as const) {
      writeFileSync(join(data, name), content)
      chmodSync(join(data, name), 0o600)
      own(join(data, name))
    }
    writeFileSync(join(data, 'pg_hba.conf'), 'local all all scram-sha-256\nhostssl all all 127.0.0.0/8 scram-sha-256\n')
    own(join(data, 'pg_hba.conf'))
    const options = [
      `-p ${port}`,
      `-k ${dir}`,
      "-c listen_addresses='127.0.0.1,127.0.0.2'",
      '-c ssl=on',
      '-c password_encryption=scram-sha-256',
      '-c fsync=off',
      '-c max_connections=20',
    ].join(' ')
    run('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', '-t', '20', 'start'])
  } catch (err) {
    // Whatever was started goes; the server log says why it failed.
    let log = ''
    try {
      log = readFileSync(join(dir, 'log'), 'utf8')
      run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop'])
    } catch {
      /* nothing was running */
    }
    cleanup()
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? ''
    throw new Error(`throwaway PostgreSQL cluster did not start: ${(err as Error).message}\n${stderr}\n${log}`)
  }

  let stopped = false
  return {
    port,
    cert,
    async sql(text, database = 'postgres') {
      const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password: superPassword, database, ssl: { rejectUnauthorized: false } })
      client.on('error', () => {})
      await client.connect()
      try {
        return await client.query(text)
      } finally {
        await client.end()
      }
    },
    async stop() {
      if (stopped) return
      stopped = true
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop'])
      } finally {
        cleanup()
      }
    },
  }
}
