// Loading a config that must fail, and locating lines in test YAML, so each
// bad-config test states only what the user would be told.
import { ConfigError } from '../../src/config/errors.js'
import { loadConfig } from '../../src/config/load.js'
import { writeConfig } from './config.js'
import { PROBE_KINDS } from '../../probes/index.js'

export interface Failure {
  file: string
  dir: string
  error: ConfigError
}

/** Writes the YAML to a fresh temp file, loads it, and returns the ConfigError it must raise. */
export async function loadFailure(yaml: string, env: Record<string, string | undefined> = {}): Promise<Failure> {
  const { file, dir } = writeConfig(yaml)
  try {
    await loadConfig(file, PROBE_KINDS, env)
  } catch (err) {
    if (err instanceof ConfigError) return { file, dir, error: err }
    throw err
  }
  throw new Error(`expected a ConfigError for:\n${yaml}`)
}

/** 1-based number of the only line containing `needle` (throws when absent or ambiguous). */
export function lineOf(yaml: string, needle: string): number {
  const lines = yaml.split('\n')
  const hits = lines.flatMap((line, i) => (line.includes(needle) ? [i + 1] : []))
  if (hits.length !== 1) throw new Error(`"${needle}" is on ${hits.length} lines of the test YAML, expected exactly 1`)
  return hits[0]!
}
