// The CLI's Io, captured: what `main(argv, io)` printed, for in-process CLI tests.
import type { Io } from '../../src/cli.js'
import { ROOT } from './child.js'

export type CapturedIo = Io & { out: string; err: string }

export function captureIo(cwd = ROOT, env: Record<string, string | undefined> = {}, isTTY = false): CapturedIo {
  const io: CapturedIo = { out: '', err: '', isTTY, cwd, env, stdout: (s) => void (io.out += s), stderr: (s) => void (io.err += s) }
  return io
}
