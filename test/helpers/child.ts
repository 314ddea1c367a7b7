// Running the real `groundtruth` executable in a child process, as a user would.
import { join } from 'node:path'

export const ROOT = new URL('../..', import.meta.url).pathname

// Under tap, a child compiles the TypeScript with the same loader as tap
// (its ts-node import), so the coverage tap records for the child maps onto
// the same lines as the parent's; with another loader (tsx) the two sets of
// line maps would scramble each other when merged. Outside tap, tsx does.
const tapTypescript = process.execArgv.find((arg) => arg.includes('@tapjs/typescript'))

/** node arguments that run the CLI from source. */
export const CLI = [...(tapTypescript ? [tapTypescript] : ['--import', 'tsx']), join(ROOT, 'src/bin.ts')]

/** The environment for a child: ours plus `extra`. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...extra }
}
