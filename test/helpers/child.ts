// Running the real `groundtruth` executable in a child process, as a user would.
import { join } from 'node:path'

export const ROOT = new URL('../..', import.meta.url).pathname
/** node arguments that run the CLI from source. */
export const CLI = ['--import', 'tsx', join(ROOT, 'src/bin.ts')]

/**
 * The environment for a child: without tap's coverage directory, because the
 * child compiles the TypeScript with tsx, whose line maps differ from tap's,
 * and merging both would scramble the parent's coverage of the same files.
 */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra }
  delete env.NODE_V8_COVERAGE
  return env
}
