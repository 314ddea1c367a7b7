// The second real container engine for the tests: Debian's rootful Podman
// (with runc), serving its Docker-compatible API on a private socket. Like
// test/helpers/engine.ts, everything lives in a directory of its own: storage
// (--root, --runroot, --tmpdir, so the event log too), the socket, the log of
// the service and a containers.conf, and the test image is imported from
// Debian's static busybox (no registry can be reached). Containers run with
// `--network none`.
//
// What this machine needs that a stock Podman does not do by itself:
// - no systemd: cgroup manager `cgroupfs`, events logger `file`; Podman 4.3
//   then starts no healthcheck timer ("unable to get systemd connection to add
//   healthchecks"), so a test runs `podman healthcheck run NAME` by hand;
// - no CAP_SYS_RESOURCE: rootful Podman asks runc for RLIMIT_NOFILE/NPROC
//   above this machine's hard limits ("error setting rlimit type 7: operation
//   not permitted"), so containers.conf sets modest default ulimits;
// - the service runs under `tini -s` (a child subreaper): each container's
//   conmon double-forks away, and without a subreaper it would be reparented
//   to PID 1, which here reaps nothing. The CLI goes through the service
//   (`podman --remote`), so every conmon is the service's descendant;
// - storage driver `vfs`: nothing is mounted under the directory (overlay
//   mounts its home onto itself and would outlive a crashed test).
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { BUSYBOX, importBusyboxImage } from './busybox-image.js'

const run = promisify(execFile)
export { IMAGE } from './busybox-image.js'
const PODMAN = '/usr/bin/podman'
const TINI = '/usr/bin/tini'
const RUNC = ['/usr/sbin/runc', '/usr/bin/runc'].find((p) => existsSync(p))

export interface TestPodman {
  /** `unix:///…/podman.sock`, for `docker.host`. */
  host: string
  /** Runs the podman CLI against this service (`podman --remote`). */
  podman(...args: string[]): Promise<string>
  stop(): Promise<void>
}

/** Why Podman cannot run here, or undefined when it can. */
export function podmanMissing(): string | undefined {
  if (!existsSync(PODMAN)) return `${PODMAN} is not installed (Debian podman; .ci/run installs it)`
  if (!RUNC) return 'runc is not installed (Debian runc)'
  if (!existsSync(TINI)) return `${TINI} is not installed (Debian tini: the Podman service's subreaper)`
  if (!BUSYBOX) return 'busybox is not installed (Debian busybox-static)'
  if (process.getuid?.() !== 0) return 'rootful Podman needs root'
  return undefined
}

export async function startPodman(): Promise<TestPodman> {
  const root = mkdtempSync(join(tmpdir(), 'gt-podman-'))
  const socket = join(root, 'podman.sock')
  const host = `unix://${socket}`
  const conf = join(root, 'containers.conf')
  writeFileSync(
    conf,
    [
      '[containers]',
      'default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]',
      '[engine]',
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      `runtime = "runc"`,
      '[engine.runtimes]',
      `runc = ["${RUNC}"]`,
      '',
    ].join('\n'),
  )
  const env = { ...process.env, CONTAINERS_CONF: conf }
  const storage = ['--root', join(root, 'storage'), '--runroot', join(root, 'run'), '--tmpdir', join(root, 'tmp'), '--storage-driver', 'vfs']
  const logFile = join(root, 'service.log')
  const log = openSync(logFile, 'w')
  const service: ChildProcess = spawn(TINI, ['-s', '--', PODMAN, ...storage, 'system', 'service', '--time=0', host], { stdio: ['ignore', log, log], env })
  closeSync(log)
  const exited = new Promise((r) => service.once('exit', r))
  const podman = async (...args: string[]) => (await run(PODMAN, ['--remote', '--url', host, ...args], { env, maxBuffer: 4 * 1024 * 1024 })).stdout.trim()
  const stop = async () => {
    if (service.exitCode === null && service.signalCode === null) {
      // A restart loop may start again while it is being removed: removed until none is left.
      for (let i = 0; i < 10; i++) {
        await podman('rm', '-f', '-t', '0', '-a').catch(() => '')
        if (!(await podman('ps', '-aq').catch(() => ''))) break
      }
      service.kill('SIGTERM')
      // Unref'd: a pending timer would hold the test process open after the service is gone.
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000).unref())])
    }
    // conmon's exit commands (`podman container cleanup`, arguments naming this
    // directory) may outlive the service by a moment: waited for, not killed.
    for (let i = 0; i < 40 && processesNaming(root).length > 0; i++) await new Promise((r) => setTimeout(r, 250))
    rmSync(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 })
  }
  try {
    for (let i = 0; ; i++) {
      try {
        await podman('version', '--format', '{{.Server.Version}}')
        break
      } catch (err) {
        if (i > 120 || service.exitCode !== null) throw new Error(`the podman service did not come up: ${String(err)}; its log: ${readFileSync(logFile, 'utf8').slice(-2000)}`)
        await new Promise((r) => setTimeout(r, 250))
      }
    }
    await importBusyboxImage(root, [PODMAN, '--remote', '--url', host], env)
  } catch (err) {
    await stop()
    throw err
  }
  return { host, podman, stop }
}

/** Ids of the processes whose command line names `dir`. */
function processesNaming(dir: string): number[] {
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(dir)) pids.push(Number(entry))
    } catch {
      // gone meanwhile
    }
  }
  return pids
}
