// Grafana field configs: units, colours, thresholds and value mappings.

export type Json = Record<string, unknown>

export function thresholds(steps: Array<[number | null, string]>): Json {
  return { mode: 'absolute', steps: steps.map(([value, color]) => ({ color, value })) }
}

/** Value mappings: `{ '0': ['down', 'red'] }` shows 0 as a red "down". */
export function mapping(values: Record<string, [string, string]>): Json[] {
  const options: Json = {}
  let index = 0
  for (const [value, [text, color]] of Object.entries(values)) options[value] = { text, color, index: index++ }
  return [{ type: 'value', options }]
}

export const READY_MAP = mapping({ '0': ['not ready', 'red'], '1': ['ready', 'green'] })
export const UP_MAP = mapping({ '0': ['down', 'red'], '1': ['up', 'green'] })

/** Field defaults of a 0/1 state: mapped to text, red below 1, green at 1. */
export function stateDefaults(mappings: Json[]): Json {
  return { mappings, color: { mode: 'thresholds' }, thresholds: thresholds([[null, 'red'], [1, 'green']]) }
}

/** One colour whatever the value: for counts that are neither good nor bad. */
export function fixedField(fixedColor: string, unit = 'none'): Json {
  return { defaults: { unit, color: { mode: 'fixed', fixedColor } }, overrides: [] }
}

/** A 0..1 ratio: red, orange from 80% of the threshold, green from the threshold. */
export function ratioField(threshold: number): Json {
  return {
    defaults: {
      unit: 'percentunit',
      min: 0,
      max: 1,
      decimals: 0,
      color: { mode: 'thresholds' },
      thresholds: thresholds([
        [null, 'red'],
        [threshold * 0.8, 'orange'],
        [threshold, 'green'],
      ]),
    },
    overrides: [],
  }
}

/** A count where 0 is healthy: green at 0, `bad` from 1. */
export function countField(bad: string): Json {
  return {
    defaults: {
      unit: 'none',
      decimals: 0,
      color: { mode: 'thresholds' },
      thresholds: thresholds([
        [null, 'green'],
        [1, bad],
      ]),
    },
    overrides: [],
  }
}

/** An age in seconds: orange from `warn`, red from `crit`. */
export function secondsField(warn: number, crit: number): Json {
  return {
    defaults: {
      unit: 's',
      color: { mode: 'thresholds' },
      thresholds: thresholds([
        [null, 'green'],
        [warn, 'orange'],
        [crit, 'red'],
      ]),
    },
    overrides: [],
  }
}

/** Field properties for one table column, by its (renamed) name. */
export function override(field: string, properties: Json[]): Json {
  return { matcher: { id: 'byName', options: field }, properties }
}

export const cellColor: Json = { id: 'custom.cellOptions', value: { type: 'color-background' } }
