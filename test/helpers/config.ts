// Writing configs for tests: a YAML text into a fresh temp dir.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export function writeConfig(yaml: string, name = 'groundtruth.yml'): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'gt-cfg-'))
  const file = join(dir, name)
  writeFileSync(file, yaml)
  return { dir, file }
}
