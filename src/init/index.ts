// `groundtruth init` (SPEC §1) and the compose half of discovery: a compose
// file read as compose reads it, one groundtruth service per compose service,
// written as a commented config or validated in memory.
import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { basename, dirname, relative, resolve } from 'node:path'
import { ConfigError } from '../config/errors.js'
import { validateConfig, type Config } from '../config/load.js'
import type { ProbeKinds } from '../probe.js'
import { COMPOSE_FILES, findComposeFile, readComposeFile } from './compose.js'
import { inferProject, type Inference } from './infer.js'
import { configObject, renderConfig } from './render.js'
import { initFromVariables } from './variables.js'

export { findComposeFile } from './compose.js'

type Env = Record<string, string | undefined>

export interface InitIo {
  stdout: (text: string) => void
  stderr: (text: string) => void
  cwd: string
  env: Env
}

export interface InitOptions {
  from?: string
  /** Where to write; `-` for standard output. */
  out?: string
  force?: boolean
}

/** Runs `init`; returns the exit code (2 when it refuses). */
export async function init(options: InitOptions, kinds: ProbeKinds, io: InitIo): Promise<number> {
  const from = options.from !== undefined ? resolve(io.cwd, options.from) : findComposeFile(io.cwd, existsSync)
  const toStdout = options.out === '-'
  const out = toStdout ? undefined : resolve(io.cwd, options.out ?? 'groundtruth.yml')
  if (out !== undefined && existsSync(out) && !options.force) {
    io.stderr(`groundtruth: ${relative(io.cwd, out) || out} exists; not overwritten (pass --force to replace it)\n`)
    return 2
  }
  if (from === undefined) return initWithoutCompose(out, kinds, io)
  const compose = readComposeFile(from, io.env)
  const inference = inferProject(compose, { outDir: out ? dirname(out) : io.cwd, kinds: new Set(kinds.keys()) })
  const shownFrom = relative(out ? dirname(out) : io.cwd, from) || basename(from)
  const text = renderConfig(inference, shownFrom)
  const say = toStdout ? io.stderr : io.stdout
  say(summary(inference, relative(io.cwd, from) || from))
  if (out === undefined) {
    io.stdout(text)
    return 0
  }
  await mkdir(dirname(out), { recursive: true })
  await writeFile(out, text)
  const shown = relative(io.cwd, out) || out
  const load = inference.env.length > 0 ? ` (with ${inference.env.map((e) => e.file).join(', ')} loaded into the environment)` : ''
  say(`wrote ${shown}: ${inference.services.length} services; check it with: groundtruth validate --config ${shown}${load}\n`)
  return 0
}

/** No compose file: the services the conventional variables name, if any. */
async function initWithoutCompose(out: string | undefined, kinds: ProbeKinds, io: InitIo): Promise<number> {
  const made = initFromVariables(io.cwd, io.env, kinds)
  if (made.services === 0) {
    io.stderr(`groundtruth: init found no compose file here (looked for ${COMPOSE_FILES.join(', ')}) and no conventional variable naming a service in the environment or .env; pass --from FILE\n`)
    return 2
  }
  const say = out === undefined ? io.stderr : io.stdout
  say(`no compose file here; from the environment and .env:\n${made.found.join('\n')}\n`)
  if (out === undefined) {
    io.stdout(made.text)
    return 0
  }
  await mkdir(dirname(out), { recursive: true })
  await writeFile(out, made.text)
  say(`wrote ${relative(io.cwd, out) || out}: ${made.services} services\n`)
  return 0
}

/** What was inferred and why, and what could not be: the printed half of `init` and compose discovery. */
export function summary(inference: Inference, from: string): string {
  const width = Math.max(...inference.services.map((s) => s.config.name as string).map((n) => n.length), 4)
  const lines = [`${from}: compose project "${inference.project}" (from ${inference.projectFrom}), ${inference.services.length} services`]
  for (const s of inference.services) {
    lines.push(`  ${(s.config.name as string).padEnd(width)}  ${(s.config.probe as string).padEnd(13)} ${s.why.join('; ')}`)
  }
  if (inference.environment) lines.push(`  environment: ${inference.environment.value} (from ${inference.environment.from})`)
  if (inference.env.length > 0) lines.push(`  env audit: ${inference.env.map((e) => e.file + (e.example ? ` against ${e.example}` : '')).join(', ')}`)
  const could = [...inference.notes, ...inference.services.flatMap((s) => s.notes.map((n) => `${s.config.name as string}: ${n}`))]
  if (could.length > 0) lines.push('could not, or needs a person:', ...could.map((n) => `  - ${n}`))
  return lines.join('\n') + '\n'
}

/**
 * Discovery from a compose file (no config file here): the config `init`
 * would write, validated in memory with the compose environment.
 */
export function discoverFromCompose(file: string, kinds: ProbeKinds, processEnv: Env): { config: Config; found: string } {
  const compose = readComposeFile(file, processEnv)
  const inference = inferProject(compose, { outDir: dirname(file), absolutePaths: true, kinds: new Set(kinds.keys()) })
  if (inference.services.length === 0) {
    throw new ConfigError(file, [{ path: 'services', message: 'no service to discover in the compose file (all left out by their profiles?); write a groundtruth.yml or pass --config' }])
  }
  // Secrets written in the compose file itself are used here, in memory, never written.
  const env = { ...inference.fallbackEnv, ...compose.env }
  const config = validateConfig(configObject(inference), `${file} (discovered)`, kinds, env)
  return { config, found: summary(inference, basename(file)) }
}
