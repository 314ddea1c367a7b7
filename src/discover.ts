// With no config file, groundtruth looks at the working directory the way a
// person would: the `.env` next to the code and the conventional variables
// that name services (SPEC §2). Each probe kind says what it recognises.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parse as parseDotenv } from 'dotenv'
import { ConfigError } from './config/errors.js'
import { validateConfig, type Config } from './config/load.js'
import type { ProbeKinds } from './probe.js'

export interface Discovery {
  config: Config
  /** One line per finding, for the user. */
  found: string[]
}

type Env = Record<string, string | undefined>

export const DISCOVERED = '(discovered)'

/** Discovery over the given probe kinds: each says what variables it recognises. */
export async function discover(dir: string, kinds: ProbeKinds, processEnv: Env = process.env): Promise<Discovery> {
  const found: string[] = []
  const dotenv = await readDotenv(join(dir, '.env'))
  const hasExample = (await readDotenv(join(dir, '.env.example'))) !== undefined
  if (dotenv) found.push(`.env with ${Object.keys(dotenv).length} variables`)
  // As dotenv itself does: the process environment wins over the file.
  const env: Env = { ...dotenv, ...processEnv }

  const services: Record<string, unknown>[] = []
  const names = new Set<string>()
  for (const kind of kinds.values()) {
    for (const { service, from } of kind.discover?.(env) ?? []) {
      if (names.has(service.name as string)) continue
      names.add(service.name as string)
      services.push(escapeReferences(service) as Record<string, unknown>)
      found.push(`service ${service.name as string} (${kind.kind}) from ${from}`)
    }
  }
  if (services.length === 0) {
    const variables = [...kinds.values()].flatMap((k) => k.discoveredFrom ?? []).join(', ')
    const looked = `no groundtruth.yml here and no service to discover (looked for ${variables} in the environment and .env); write a config file or pass --config`
    throw new ConfigError(DISCOVERED, [{ path: '', message: looked }])
  }
  const envSources = dotenv ? [{ file: join(dir, '.env'), ...(hasExample ? { example: join(dir, '.env.example') } : {}) }] : []
  return { config: validateConfig({ services, env: envSources }, DISCOVERED, kinds, env), found }
}

async function readDotenv(path: string): Promise<Record<string, string> | undefined> {
  try {
    return parseDotenv(await readFile(path))
  } catch {
    return undefined
  }
}

/** Discovered values are literal: a `${` inside one must not be expanded again. */
function escapeReferences(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(/\$\{/g, '$${')
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, escapeReferences(v)]))
  return value
}
