// Alerts from the env audit: placeholder, missing and weak variables, and
// env files that cannot be read (so are not audited at all).
import { ENV_FILE_READABLE, ENV_MISSING, ENV_PLACEHOLDER, ENV_WEAK } from '../../env/collector.js'
import { ruleGroup } from '../spec.js'

export const envAlerts = ruleGroup('groundtruth-env', [
  {
    name: 'GroundtruthEnvPlaceholder',
    for: '0m',
    severity: 'warning',
    expr: (x) => `${x.sel(ENV_PLACEHOLDER)} == 1`,
    summary: '{{ $labels.variable }} holds a placeholder',
    description: 'The variable {{ $labels.variable }} in {{ $labels.source }} holds a placeholder value (such as your-key-here or changeme) instead of a real one.',
  },
  {
    name: 'GroundtruthEnvMissing',
    for: '0m',
    severity: 'warning',
    expr: (x) => `${x.sel(ENV_MISSING)} == 1`,
    summary: '{{ $labels.variable }} is missing',
    description: 'The variable {{ $labels.variable }} is required or listed in the example file, but is absent or empty in {{ $labels.source }}.',
  },
  {
    name: 'GroundtruthEnvWeak',
    for: '0m',
    severity: 'warning',
    expr: (x) => `${x.sel(ENV_WEAK)} == 1`,
    summary: '{{ $labels.variable }} is weak',
    description: 'The variable {{ $labels.variable }} in {{ $labels.source }} is set but unsafe for its environment (rule {{ $labels.rule }}).',
  },
  {
    name: 'GroundtruthEnvFileUnreadable',
    for: '5m',
    severity: 'warning',
    expr: (x) => `${x.sel(ENV_FILE_READABLE)} == 0`,
    summary: 'Env file {{ $labels.source }} cannot be read',
    description:
      'groundtruth cannot read the {{ if eq $labels.role "example" }}example file{{ else }}env file{{ end }} of {{ $labels.source }}, so its variables are not audited.',
  },
])
