// The test image both container engines run: no registry can be reached, so
// it is a rootfs of Debian's static busybox and its applet links, piped as a
// tar into the engine's `import`.
import { execFile, spawn } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'

export const IMAGE = 'localhost/gt-bb:1'
export const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p))

/** Builds the rootfs under `root` and imports it as IMAGE with `importer` (the engine's CLI and its arguments up to `import`). */
export async function importBusyboxImage(root: string, importer: [string, ...string[]], env?: NodeJS.ProcessEnv): Promise<void> {
  if (!BUSYBOX) throw new Error('busybox is not installed (Debian busybox-static)')
  const rootfs = join(root, 'rootfs')
  mkdirSync(join(rootfs, 'bin'), { recursive: true })
  copyFileSync(BUSYBOX, join(rootfs, 'bin', 'busybox'))
  // `busybox --list` names busybox itself: not linked over the binary.
  const applets = (await promisify(execFile)(BUSYBOX, ['--list'])).stdout.split('\n').filter((a) => a && a !== 'busybox')
  for (const applet of applets) symlinkSync('busybox', join(rootfs, 'bin', applet))
  const [command, ...args] = importer
  await new Promise<void>((resolve, reject) => {
    const tar = spawn('tar', ['-C', rootfs, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] })
    const imp = spawn(command, [...args, 'import', '--change', 'ENV PATH=/bin', '--change', 'CMD ["/bin/sh"]', '-', IMAGE], { stdio: ['pipe', 'ignore', 'inherit'], env })
    tar.stdout.pipe(imp.stdin)
    imp.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} import exited ${code}`))))
  })
  rmSync(rootfs, { recursive: true, force: true })
}
