// The env audit's gauges (SPEC §3 groundtruth_env_*). Names and states only:
// no label or value ever carries a variable's value.
import { collector, gauge, series } from '../exposition/metric.js'
import type { EnvSourceFinding } from './audit.js'
import { ENV_STATES } from './detect.js'

export const ENV_PLACEHOLDER = gauge('groundtruth_env_variable_placeholder', ' 1 when the variable holds a placeholder (your-key-here, changeme, <TOKEN> ...), else 0', ['source', 'variable'])
export const ENV_MISSING = gauge('groundtruth_env_variable_missing', '1 when the variable is required or listed in the example file but absent or empty, else 0', ['source', 'variable'])
export const ENV_WEAK = gauge('groundtruth_env_variable_weak', 'The variable is set but unsafe for its environment, by rule; only emitted when 1', ['source', 'variable', 'rule'])
export const ENV_VARIABLES = gauge('groundtruth_env_variables', 'Variables of the source by state (configured, placeholder, missing, weak)', ['source', 'state'])
export const ENV_FILE_READABLE = gauge('groundtruth_env_file_readable', '1 when the env file (role="env") or its example file (role="example") could be read, else 0', ['source', 'role'])

export const envCollector = collector<readonly EnvSourceFinding[]>('env', [
  series(ENV_PLACEHOLDER, (findings, emit) => {
    for (const f of findings) for (const v of f.variables) emit({ source: f.source, variable: v.name }, v.state === 'placeholder' ? 1 : 0)
  }),
  series(ENV_MISSING, (findings, emit) => {
    for (const f of findings) for (const v of f.variables) emit({ source: f.source, variable: v.name }, v.state === 'missing' ? 1 : 0)
  }),
  series(ENV_WEAK, (findings, emit) => {
    for (const f of findings) for (const v of f.variables) if (v.state === 'weak' && v.rule) emit({ source: f.source, variable: v.name, rule: v.rule }, 1)
  }),
  series(ENV_VARIABLES, (findings, emit) => {
    for (const f of findings) for (const state of ENV_STATES) emit({ source: f.source, state }, f.counts[state])
  }),
  // A missing .env is a finding, not a crash: this is its check_ok-style row.
  series(ENV_FILE_READABLE, (findings, emit) => {
    for (const f of findings) {
      if (f.source === 'process') continue
      emit({ source: f.source, role: 'env' }, f.readable ? 1 : 0)
      if (f.example) emit({ source: f.source, role: 'example' }, f.example.readable ? 1 : 0)
    }
  }),
])
