// Prometheus view of the env audit (SPEC §3 groundtruth_env_*). Names and
// states only: no label or value ever carries a variable's value.
import { Gauge, type Registry } from 'prom-client'
import { ENV_STATES, type EnvSourceFinding } from './env/index.js'

export function registerEnvMetrics(registry: Registry, source: () => readonly EnvSourceFinding[]): void {
  const gauge = (name: string, help: string, labelNames: string[], fill: (g: Gauge, findings: readonly EnvSourceFinding[]) => void) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset()
        fill(this, source())
      },
    })

  gauge('groundtruth_env_variable_placeholder', ' 1 when the variable holds a placeholder (your-key-here, changeme, <TOKEN> ...), else 0', ['source', 'variable'], (g, findings) => {
    for (const f of findings) for (const v of f.variables) g.set({ source: f.source, variable: v.name }, v.state === 'placeholder' ? 1 : 0)
  })
  gauge('groundtruth_env_variable_missing', '1 when the variable is required or listed in the example file but absent or empty, else 0', ['source', 'variable'], (g, findings) => {
    for (const f of findings) for (const v of f.variables) g.set({ source: f.source, variable: v.name }, v.state === 'missing' ? 1 : 0)
  })
  gauge('groundtruth_env_variable_weak', 'The variable is set but unsafe for its environment, by rule; only emitted when 1', ['source', 'variable', 'rule'], (g, findings) => {
    for (const f of findings) for (const v of f.variables) if (v.state === 'weak' && v.rule) g.set({ source: f.source, variable: v.name, rule: v.rule }, 1)
  })
  gauge('groundtruth_env_variables', 'Variables of the source by state (configured, placeholder, missing, weak)', ['source', 'state'], (g, findings) => {
    for (const f of findings) for (const state of ENV_STATES) g.set({ source: f.source, state }, f.counts[state])
  })
  // A missing .env is a finding, not a crash: this is its check_ok-style row.
  gauge('groundtruth_env_file_readable', '1 when the env file (role="env") or its example file (role="example") could be read, else 0', ['source', 'role'], (g, findings) => {
    for (const f of findings) {
      if (f.source === 'process') continue
      g.set({ source: f.source, role: 'env' }, f.readable ? 1 : 0)
      if (f.example) g.set({ source: f.source, role: 'example' }, f.example.readable ? 1 : 0)
    }
  })
}
