// The env audit (SPEC §2 `env:`, §3 groundtruth_env_*): for every configured
// source, which variables are configured, placeholders, missing or weak —
// the "Environment Configuration: 39/80 vars (49%)" line of a hand-written
// status report, measured.
//
// Values never leave this module: a finding holds names, states, rule and
// reason names and line numbers only — no value, no prefix of one, not even
// its length. Errors say why a file could not be read, never what it holds.

import { resolve } from 'node:path'
import { classifyValue, ENV_STATES, type EnvState } from './detect.js'
import { readDotenvFile, type DotenvDuplicate, type DotenvRead } from './dotenv-file.js'
import type { PlaceholderReason } from './placeholder.js'

export type { EnvState } from './detect.js'

export interface EnvSourceSpec {
  file?: string
  example?: string
  source?: 'process'
  required: string[]
  environment?: string
}

export interface EnvAuditOptions {
  /** The top-level `environment`, for sources that do not set their own. */
  environment: string
  /** Relative `file` and `example` paths are resolved against this directory. */
  cwd: string
  processEnv: Record<string, string | undefined>
}

export interface EnvVariableFinding {
  name: string
  state: EnvState
  /** For weak: the rule broken (see WEAK_RULES). */
  rule?: string
  /** For placeholder: why (see PlaceholderReason). */
  reason?: PlaceholderReason
  /** The line of the assignment dotenv uses (file sources, when the file assigns the name). */
  line?: number
}

export interface EnvSourceFinding {
  /** The file path as written in the config, or 'process'. */
  source: string
  environment: string
  /** False when the file is missing or unreadable. */
  readable: boolean
  /** Why the file is not readable (no content). */
  error?: string
  example?: { file: string; readable: boolean; error?: string }
  /** Sorted by name; file keys ∪ example keys ∪ required. */
  variables: EnvVariableFinding[]
  duplicates: DotenvDuplicate[]
  counts: Record<EnvState, number>
  /** configured N of total M: the "configured N/M (P%)" line. */
  configured: number
  total: number
}

/** configured / total, or undefined when there is nothing to judge. */
export function configuredRatio(finding: Pick<EnvSourceFinding, 'configured' | 'total'>): number | undefined {
  return finding.total === 0 ? undefined : finding.configured / finding.total
}

export async function auditEnv(sources: EnvSourceSpec[], opts: EnvAuditOptions): Promise<EnvSourceFinding[]> {
  return Promise.all(sources.map((s) => auditSource(s, opts)))
}

async function auditSource(spec: EnvSourceSpec, opts: EnvAuditOptions): Promise<EnvSourceFinding> {
  const environment = spec.environment ?? opts.environment
  const example = spec.example === undefined ? undefined : await readDotenvFile(resolve(opts.cwd, spec.example))
  const exampleValues = example?.ok ? example.values : {}
  const exampleInfo = spec.example === undefined || example === undefined ? undefined : { file: spec.example, readable: example.ok, ...(example.ok ? {} : { error: example.error }) }

  let label: string
  let file: DotenvRead | undefined
  let values: Record<string, string | undefined>
  let names: Set<string>
  let isDefined: ((name: string) => boolean) | undefined
  if (spec.file !== undefined) {
    label = spec.file
    file = await readDotenvFile(resolve(opts.cwd, spec.file))
    values = file.ok ? file.values : {}
    names = new Set([...Object.keys(values), ...Object.keys(exampleValues), ...spec.required])
    // `${NAME}` in a file is a reference when NAME is defined in the file or in
    // the environment it is loaded into (dotenv-expand, docker compose).
    const fileValues = values
    isDefined = (name) => nonEmpty(own(fileValues, name)) || nonEmpty(own(opts.processEnv, name))
  } else {
    label = 'process'
    values = opts.processEnv
    // Only what the config asks about: the required names and those the
    // example file lists. The process environment holds much else (PATH,
    // HOME, the CI's own tokens) that is none of this audit's business, and
    // listing it would put arbitrary names into labels.
    names = new Set([...spec.required, ...Object.keys(exampleValues)])
  }

  const lines = file?.ok ? file.lines : {}
  const variables: EnvVariableFinding[] = [...names].sort(byName).map((name) => {
    const exampleValue = own(exampleValues, name)
    const { state, rule, reason } = classifyValue(name, own(values, name) ?? '', {
      environment,
      ...(exampleValue !== undefined ? { exampleValue } : {}),
      ...(isDefined ? { isDefined } : {}),
    })
    const line = own(lines, name)
    return { name, state, ...(rule ? { rule } : {}), ...(reason ? { reason } : {}), ...(line !== undefined ? { line } : {}) }
  })

  const counts = Object.fromEntries(ENV_STATES.map((s) => [s, 0])) as Record<EnvState, number>
  for (const v of variables) counts[v.state]++
  return {
    source: label,
    environment,
    readable: file === undefined || file.ok,
    ...(file && !file.ok ? { error: file.error } : {}),
    ...(exampleInfo ? { example: exampleInfo } : {}),
    variables,
    duplicates: file?.ok ? file.duplicates : [],
    counts,
    configured: counts.configured,
    total: variables.length,
  }
}

/** obj[key] when obj itself holds it: a variable named `constructor` must not find Object's. */
function own<T>(obj: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(obj, key) ? obj[key] : undefined
}

function nonEmpty(value: string | undefined): boolean {
  return value !== undefined && value.trim() !== ''
}

/** Code-unit order: the same on every machine, whatever its locale. */
function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
