// Every launcher we ship starts Node with src/runtime.ts' flags: the
// executable's shebang, `npm start` and the benches (the Dockerfile is held
// to them in deploy.test.ts).
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { NODE_FLAGS } from '../../src/runtime.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8')

t.test('the shebang, npm start and the benches carry the runtime flags', async (t) => {
  t.equal(read('src/bin.ts').split('\n')[0], `#!/usr/bin/env -S node ${NODE_FLAGS.join(' ')}`)
  const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> }
  t.match(pkg.scripts.start, ` node ${NODE_FLAGS.join(' ')} dist/src/bin.js serve`)
  for (const bench of ['bench/lib/peers.ts', 'bench/lib/fleet.ts']) t.match(read(bench), '...NODE_FLAGS', bench)
})

t.test('the flags are ones this Node accepts (a typo would stop every launcher)', async (t) => {
  const out = execFileSync(process.execPath, [...NODE_FLAGS, '-e', 'console.log(require("node:v8").getHeapSpaceStatistics().find((s) => s.space_name === "new_space").space_size)'], { encoding: 'utf8' })
  t.ok(Number(out) > 0 && Number(out) <= 8 * 1024 * 1024, `new space ${out.trim()} bytes: the young generation is bounded`)
})
