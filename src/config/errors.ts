// Config problems are collected, not thrown one at a time, so a user fixes a
// file in one pass. Each names the file, the key path and what was expected.

export interface ConfigProblem {
  /** Key path as the user writes it: `services[2].depends_on[0]`. */
  path: string
  message: string
  /** 1-based position in the file, when known. */
  line?: number
  column?: number
}

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: ConfigProblem[],
  ) {
    super(problems.map((p) => formatProblem(file, p)).join('\n'))
    this.name = 'ConfigError'
  }
}

export function formatProblem(file: string, p: ConfigProblem): string {
  const where = p.line ? `${file}:${p.line}:${p.column ?? 1}` : file
  return p.path ? `${where}: ${p.path}: ${p.message}` : `${where}: ${p.message}`
}

/** `['services', 2, 'depends_on', 0]` → `services[2].depends_on[0]`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = ''
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`
    else out += out ? `.${String(key)}` : String(key)
  }
  return out
}
