// A real container engine for the tests: Debian's dockerd, started here with
// a data root, exec root and socket of its own (no iptables, no bridge), and a
// test image built locally from Debian's static busybox, since no registry can
// be reached. Containers run with `--network none`.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { BUSYBOX, importBusyboxImage } from './busybox-image.js'

const run = promisify(execFile)
export { IMAGE } from './busybox-image.js'
const DOCKERD = '/usr/sbin/dockerd'

export interface TestEngine {
  /** `unix:///…/engine.sock`, for `docker.host`. */
  host: string
  /** Runs the docker CLI against this engine. */
  docker(...args: string[]): Promise<string>
  stop(): Promise<void>
}

/** Why no engine can run here, or undefined when one can. */
export function engineMissing(): string | undefined {
  if (!existsSync(DOCKERD)) return `${DOCKERD} is not installed (Debian docker.io; .ci/run installs it)`
  if (!BUSYBOX) return 'busybox is not installed (Debian busybox-static)'
  if (process.getuid?.() !== 0) return 'dockerd needs root'
  return undefined
}

export async function startEngine(): Promise<TestEngine> {
  const root = mkdtempSync(join(tmpdir(), 'gt-engine-'))
  const socket = join(root, 'engine.sock')
  const host = `unix://${socket}`
  const daemon: ChildProcess = spawn(
    DOCKERD,
    ['--iptables=false', '--ip6tables=false', '--bridge=none', '--data-root', join(root, 'data'), '--exec-root', join(root, 'exec'), '--pidfile', join(root, 'dockerd.pid'), '-H', host],
    { stdio: 'ignore' },
  )
  const docker = async (...args: string[]) => (await run('docker', ['-H', host, ...args], { maxBuffer: 4 * 1024 * 1024 })).stdout.trim()
  for (let i = 0; ; i++) {
    try {
      await docker('version', '--format', '{{.Server.Version}}')
      break
    } catch (err) {
      if (i > 120 || daemon.exitCode !== null) throw new Error(`dockerd did not come up: ${String(err)}`)
      await new Promise((r) => setTimeout(r, 250))
    }
  }
  await importBusyboxImage(root, ['docker', '-H', host])
  return {
    host,
    docker,
    stop: async () => {
      await docker('rm', '-f', ...(await docker('ps', '-aq')).split('\n').filter(Boolean)).catch(() => '')
      const exited = new Promise((r) => daemon.once('exit', r))
      daemon.kill('SIGTERM')
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000).unref())])
      rmSync(root, { recursive: true, force: true })
    },
  }
}
