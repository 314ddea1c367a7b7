// `${VAR}` and `${VAR:-default}` expansion, applied to every string value after
// YAML parsing (so an expanded value can never change the document's shape).
// `$${` writes a literal `${`.
import type { ConfigProblem } from './errors.js'
import { formatPath } from './errors.js'

const REFERENCE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g

export interface Expansion {
  value: unknown
  problems: ConfigProblem[]
  /** Values substituted from the environment, for the secret mask. */
  substituted: string[]
}

export function expandEnv(value: unknown, env: Record<string, string | undefined>): Expansion {
  const problems: ConfigProblem[] = []
  const substituted: string[] = []
  const walk = (node: unknown, path: PropertyKey[]): unknown => {
    if (typeof node === 'string') {
      return node.replace(REFERENCE, (whole, name: string | undefined, fallback: string | undefined) => {
        if (name === undefined) return '${'
        const set = env[name]
        // As in the shell: `:-` also replaces a value that is set but empty.
        if (fallback !== undefined && (set === undefined || set === '')) return fallback
        if (set !== undefined) {
          substituted.push(set)
          return set
        }
        problems.push({ path: formatPath(path), message: `environment variable ${name} is not set and ${whole} has no default (write \${${name}:-default} to give one)` })
        return ''
      })
    }
    if (Array.isArray(node)) return node.map((item, i) => walk(item, [...path, i]))
    if (node !== null && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v, [...path, k])]))
    }
    return node
  }
  return { value: walk(value, []), problems, substituted }
}
