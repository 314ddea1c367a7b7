// Running the real `groundtruth` executable in a child process, as a user would.
import { join } from 'node:path'

export const ROOT = new URL('../..', import.meta.url).pathname
/** node arguments that run the CLI from source. */
export const CLI = ['--import', 'tsx', join(ROOT, 'src/bin.ts')]

/**
 * The environment for a child: without tap's coverage hooks (NODE_OPTIONS
 * imports @tapjs/processinfo, which records the child's coverage too),
 * because the child compiles the TypeScript with tsx, whose line maps differ
 * from tap's, and merging both scrambles the coverage of the same files.
 */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra }
  for (const key of Object.keys(env)) {
    if (key === 'NODE_OPTIONS' || key === 'NODE_V8_COVERAGE' || key.startsWith('_TAPJS_PROCESSINFO')) delete env[key]
  }
  return env
}
