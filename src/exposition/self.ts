// groundtruth's own metrics: which build runs and whether the last config
// reload took.
import { collector, gauge, series } from './metric.js'

export interface SelfState {
  version: string
  /** False after a reload that failed (the previous config stays in force). */
  reloadOk: boolean
  /** Unix seconds of the last successful load. */
  reloadAt: number
}

export const BUILD_INFO = gauge('groundtruth_build_info', 'Always 1; the labels say which groundtruth is running', ['version', 'nodejs'])
export const CONFIG_RELOAD_OK = gauge('groundtruth_config_last_reload_successful', '0 after a reload that failed (the previous config stays in force), else 1')
export const CONFIG_RELOAD_AT = gauge('groundtruth_config_last_reload_success_timestamp_seconds', 'When the config was last loaded successfully (Unix time)')

export const selfCollector = collector<SelfState>('self', [
  series(BUILD_INFO, (s, emit) => emit({ version: s.version, nodejs: process.version }, 1)),
  series(CONFIG_RELOAD_OK, (s, emit) => emit({}, s.reloadOk ? 1 : 0)),
  series(CONFIG_RELOAD_AT, (s, emit) => emit({}, s.reloadAt)),
])
