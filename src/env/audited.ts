// Which variables an env source audits, known when the config is loaded: its
// `required` names, the names in its example file and (for a file source)
// the names in the file. A service's `needs_env` must name variables some
// source audits, or its readiness would hang on a variable nobody checks.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parse } from 'dotenv'
import type { EnvSourceSpec } from './audit.js'

/** The sources' labels (as /status names them) and the names each audits. */
export function auditedNames(sources: readonly EnvSourceSpec[], cwd: string): Array<{ source: string; names: Set<string> }> {
  return sources.map((spec) => {
    const names = new Set(spec.required)
    for (const path of [spec.example, spec.file]) {
      if (path === undefined) continue
      // An unreadable file audits nothing yet; the audit reports it as a finding of its own.
      for (const name of Object.keys(readNames(resolve(cwd, path)))) names.add(name)
    }
    return { source: spec.file ?? 'process', names }
  })
}

function readNames(path: string): Record<string, string> {
  try {
    return parse(readFileSync(path))
  } catch {
    return {}
  }
}
