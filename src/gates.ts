// The pass/fail verdict of `check`: the ready ratio must reach the gate and
// no critical service may be not ready, whatever the ratio.
import type { Config } from './config/load.js'
import type { Snapshot } from './results.js'

export interface GateVerdict {
  passed: boolean
  /** One sentence per failed gate. */
  failures: string[]
}

export function evaluateGates(snapshot: Snapshot, config: Pick<Config, 'gates'>): GateVerdict {
  const failures: string[] = []
  const ratio = snapshot.ratios.overall ?? 0
  const min = config.gates.min_ready_ratio
  if (ratio < min) failures.push(`ready ratio ${percent(ratio)} is below the gate of ${percent(min)}`)
  for (const r of snapshot.records) {
    if (r.config.critical && !snapshot.readiness.get(r.config.name)?.ready) failures.push(`critical service ${r.config.name} is not ready`)
  }
  return { passed: failures.length === 0, failures }
}

export function percent(ratio: number): string {
  return `${Math.round(ratio * 1000) / 10}%`
}
