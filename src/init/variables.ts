// `groundtruth init` with no compose file: the services the conventional
// variables name (DATABASE_URL, REDIS_URL, *_HEALTH_URL …, each probe kind's
// own `discover`), read from the environment and the `.env` here, written as
// `${VAR}` references so that no value, and so no secret, is ever copied.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'dotenv'
import { Document } from 'yaml'
import type { ProbeKinds } from '../probe.js'

type Env = Record<string, string | undefined>

export interface FromVariables {
  text: string
  /** One line per service found, for the user. */
  found: string[]
  services: number
}

export function initFromVariables(cwd: string, processEnv: Env, kinds: ProbeKinds): FromVariables {
  const dotenv = readDotenv(join(cwd, '.env'))
  const example = readDotenv(join(cwd, '.env.example'))
  // As dotenv does: the process environment wins over the file.
  const env: Env = { ...dotenv, ...processEnv }
  const services: Record<string, unknown>[] = []
  const found: string[] = []
  for (const kind of kinds.values()) {
    for (const { service, from } of kind.discover?.(env) ?? []) {
      if (services.some((s) => s.name === service.name)) continue
      services.push(asReferences(service, env, from))
      found.push(`  ${String(service.name)}: ${kind.kind} probe, from ${from}`)
    }
  }
  const config: Record<string, unknown> = { services }
  if (dotenv) config.env = [{ file: '.env', ...(example ? { example: '.env.example' } : {}) }]
  const doc = new Document(config)
  doc.commentBefore = [
    ' Written by `groundtruth init` from the conventional variables of the environment and .env.',
    ' Values are references (${VAR}), never copied: load the .env before groundtruth reads this file.',
    ' Add `depends_on`, `needs_env` and `critical` where they hold; `groundtruth validate` checks the file.',
  ].join('\n')
  return { text: doc.toString({ lineWidth: 0 }), found, services: services.length }
}

/**
 * The service with each string value that some variable holds replaced by a
 * reference to it: the variable it was found from first (its URL), then any
 * other (a MinIO key) — a value never reaches the file.
 */
function asReferences(service: Record<string, unknown>, env: Env, from: string): Record<string, unknown> {
  const names = [from, ...Object.keys(env).filter((n) => n !== from).sort()]
  return Object.fromEntries(
    Object.entries(service).map(([key, value]) => {
      if (typeof value !== 'string' || key === 'name' || key === 'group' || key === 'probe') return [key, value]
      const variable = names.find((n) => env[n] === value)
      return [key, variable ? `\${${variable}}` : value.replace(/\$\{/g, '$${')]
    }),
  )
}

function readDotenv(path: string): Record<string, string> | undefined {
  try {
    return parse(readFileSync(path))
  } catch {
    return undefined
  }
}
