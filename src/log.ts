// Structured logs on stderr, one JSON object per line, every string passed
// through the active configuration's secret mask before it is written.
import type { SecretSet } from './redact.js'

export type Level = 'debug' | 'info' | 'warn' | 'error'
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 }

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void
  info(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
  error(msg: string, fields?: Record<string, unknown>): void
}

export interface LoggerOptions {
  level?: Level
  /** The mask in force; a getter because a reload brings a new one. */
  secrets?: () => SecretSet | undefined
  write?: (line: string) => void
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const min = ORDER[options.level ?? 'info']
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'))
  const log = (level: Level) => (msg: string, fields: Record<string, unknown> = {}) => {
    if (ORDER[level] < min) return
    const line = JSON.stringify({ ts: new Date().toISOString(), level, msg, ...fields })
    write(options.secrets?.()?.redact(line) ?? line)
  }
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') }
}

/** For library use and tests: drops everything. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} }
