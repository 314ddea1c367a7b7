// The verdict (SPEC "The verdict"): `check`'s exit code, the report's
// headline, /status `gates` and the page. It fails when the ready ratio is
// under the gate, a critical service is not ready, nothing is configured, or
// a finding of a kind the gates list exists anywhere. Each failure is one
// sentence naming what and where.
import type { Config } from './config/load.js'
import type { EnvSourceFinding } from './env/audit.js'
import type { Finding } from './probe.js'
import type { Snapshot } from './results.js'

export interface GateVerdict {
  passed: boolean
  /** One sentence per failed gate. */
  failures: string[]
}

export function evaluateGates(snapshot: Snapshot, config: Pick<Config, 'gates'>): GateVerdict {
  const failures: string[] = []
  const gates = config.gates
  if (snapshot.records.length === 0) failures.push('nothing is configured: the config has no services to probe')
  const ratio = snapshot.ratios.overall ?? 0
  if (snapshot.records.length > 0 && ratio < gates.min_ready_ratio) failures.push(`ready ratio ${percent(ratio)} is below the gate of ${percent(gates.min_ready_ratio)}`)
  for (const r of snapshot.records) {
    const readiness = snapshot.readiness.get(r.config.name)
    if (!r.config.critical || readiness?.ready) continue
    const why = readiness?.causes.length ? `: ${readiness.causes.map((c) => (c.cause === 'down' ? `down (${c.detail})` : c.detail)).join('; ')}` : r.last ? '' : ': not probed yet'
    failures.push(`critical service ${r.config.name} is not ready${why}`)
  }
  failures.push(...envGateFailures(snapshot.env, gates.env))
  for (const r of snapshot.records) {
    for (const f of r.last?.findings ?? []) if (gateListed(f, gates)) failures.push(`${r.config.name} ${f.summary}`)
  }
  return { passed: failures.length === 0, failures }
}

function gateListed(f: Finding, gates: Config['gates']): boolean {
  return (gates[f.concern] as readonly string[]).includes(f.kind)
}

const ENV_WORDS = {
  placeholder: ['holds a placeholder', 'hold a placeholder'],
  missing: ['is missing', 'are missing'],
  weak: ['is weak', 'are weak'],
} as const

/** One sentence per source and state: "in .env (production), 2 variables hold a placeholder: OPENAI_API_KEY, ANTHROPIC_API_KEY". */
function envGateFailures(env: readonly EnvSourceFinding[], kinds: Config['gates']['env']): string[] {
  const out: string[] = []
  for (const source of env) {
    for (const kind of kinds) {
      const vars = source.variables.filter((v) => v.state === kind)
      if (vars.length === 0) continue
      const names = vars.map((v) => (v.rule ? `${v.name} (${v.rule.replace(/_/g, ' ')})` : v.name))
      const [one, many] = ENV_WORDS[kind]
      out.push(`in ${source.source} (${source.environment}), ${vars.length === 1 ? `1 variable ${one}` : `${vars.length} variables ${many}`}: ${names.join(', ')}`)
    }
  }
  return out
}

/** "a", "a and b", "a, b and c". */
export function list(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`
}

export function percent(ratio: number): string {
  return `${Math.round(ratio * 1000) / 10}%`
}
