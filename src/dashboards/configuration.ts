// The configuration dashboard: the env audit (findings by source and state,
// the variables to fix, unreadable env files) and config reloads.
import { ENV_FILE_READABLE, ENV_MISSING, ENV_PLACEHOLDER, ENV_VARIABLES, ENV_WEAK } from '../env/collector.js'
import { CONFIG_RELOAD_AT, CONFIG_RELOAD_OK } from '../exposition/self.js'
import { cellColor, countField, fixedField, mapping, override, stateDefaults } from './fields.js'
import { stat, table, timeseries, type PanelSpec } from './panels.js'
import type { DashboardSpec } from './shell.js'
import { ofJob } from './selectors.js'

/** Variables in one state; `bad` colours a non-zero count (configured is always good). */
const byState = (state: string, bad: string): PanelSpec =>
  stat({
    title: `Env: ${state}`,
    expr: `sum(${ofJob(ENV_VARIABLES, `state="${state}"`)})`,
    field: state === 'configured' ? fixedField('green') : countField(bad),
    description: `Variables in state ${state}, all env sources.`,
    w: 6,
  })

export const configuration = {
  file: 'groundtruth-configuration.json',
  uid: 'groundtruth-configuration',
  title: 'Configuration',
  description: 'Env audit: findings by source and state, variables to fix, unreadable env files, config reloads.',
  items: () => [
    { row: 'Env findings' },
    byState('configured', 'green'),
    byState('placeholder', 'red'),
    byState('missing', 'red'),
    byState('weak', 'orange'),
    table({
      title: 'Findings by source and state',
      queries: [{ expr: `sum by (source, state) (${ofJob(ENV_VARIABLES)})` }],
      transformations: [{ id: 'groupingToMatrix', options: { columnField: 'state', rowField: 'source', valueField: 'Value', emptyValue: 'zero' } }],
      description: 'Variable counts per env source (rows) and state (columns).',
      w: 12,
    }),
    timeseries({
      title: 'Findings over time',
      queries: [{ expr: ofJob(ENV_VARIABLES, 'state!="configured"'), legend: '{{source}}: {{state}}' }],
      description: 'Placeholder, missing and weak counts per source.',
    }),
    { row: 'Variables to fix' },
    table({
      title: 'Placeholder values',
      queries: [{ expr: `${ofJob(ENV_PLACEHOLDER)} == 1`, mayBeEmpty: true }],
      columns: { hide: ['Value'] },
      description: 'Variables whose value is a placeholder (your-key-here, changeme, ...).',
      w: 8,
    }),
    table({
      title: 'Missing variables',
      queries: [{ expr: `${ofJob(ENV_MISSING)} == 1`, mayBeEmpty: true }],
      columns: { hide: ['Value'] },
      description: 'Required or listed in the example file, but absent or empty.',
      w: 8,
    }),
    table({
      title: 'Weak values',
      queries: [{ expr: `${ofJob(ENV_WEAK)} == 1`, mayBeEmpty: true }],
      columns: { hide: ['Value'] },
      description: 'Set but unsafe for the environment; rule says why.',
      w: 8,
    }),
    { row: 'Files and config' },
    table({
      title: 'Env files',
      queries: [{ expr: ofJob(ENV_FILE_READABLE) }],
      columns: { rename: { Value: 'state' } },
      field: { defaults: {}, overrides: [override('state', [{ id: 'mappings', value: mapping({ '0': ['unreadable', 'red'], '1': ['readable', 'green'] }) }, cellColor])] },
      description: 'Each env file (role env) and its example (role example): unreadable ones cannot be audited.',
      w: 12,
      h: 6,
    }),
    stat({
      title: 'Config reload',
      expr: ofJob(CONFIG_RELOAD_OK),
      field: { defaults: stateDefaults(mapping({ '0': ['failed: old config in force', 'red'], '1': ['ok', 'green'] })), overrides: [] },
      description: 'Result of the last config reload.',
      w: 6,
      h: 6,
    }),
    stat({ title: 'Config loaded', expr: `time() - ${ofJob(CONFIG_RELOAD_AT)}`, field: fixedField('blue', 's'), description: 'Time since the config was last loaded.', w: 6, h: 6 }),
  ],
} as const satisfies DashboardSpec
