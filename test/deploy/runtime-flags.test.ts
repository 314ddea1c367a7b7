// Every launcher we ship starts Node with src/runtime.ts' flags: the
// executable's shebang, `npm start` and the benches (the Dockerfile is held
// to them in deploy.test.ts).
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { NODE_FLAGS, RUNTIME_ENV, RUNTIME_ENV_WORDS } from '../../src/runtime.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8')

t.test('the shebang, npm start and the benches carry the runtime flags and environment', async (t) => {
  t.equal(read('src/bin.ts').split('\n')[0], `#!/usr/bin/env -S ${RUNTIME_ENV_WORDS.join(' ')} node ${NODE_FLAGS.join(' ')}`)
  const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> }
  t.match(pkg.scripts.start, `&& ${RUNTIME_ENV_WORDS.join(' ')} node ${NODE_FLAGS.join(' ')} dist/src/bin.js serve`)
  for (const bench of ['bench/lib/peers.ts', 'bench/lib/fleet.ts']) {
    t.match(read(bench), '...NODE_FLAGS', bench)
    t.match(read(bench), 'RUNTIME_ENV', bench)
  }
})

t.test('the shebang line really starts Node with that environment (env -S)', async (t) => {
  const [, env, words] = /^#!(\S+) -S (.*)$/.exec(read('src/bin.ts').split('\n')[0]!)!
  // env(1) as the kernel runs it for the executable, with this Node for `node` and a script that says what it was given.
  const names = JSON.stringify(Object.keys(RUNTIME_ENV))
  const script = `console.log(${names}.map((n) => n + "=" + process.env[n]).join(" ") + " " + process.execArgv.slice(0, -2).join(" "))`
  const out = execFileSync(env!, ['-S', words!.replace(/(^| )node( |$)/, ` ${process.execPath} `), '-e', script], { encoding: 'utf8', env: { PATH: process.env.PATH } })
  t.equal(out.trim(), `${RUNTIME_ENV_WORDS.join(' ')} ${NODE_FLAGS.join(' ')}`)
})

t.test('the flags are ones this Node accepts (a typo would stop every launcher)', async (t) => {
  const out = execFileSync(process.execPath, [...NODE_FLAGS, '-e', 'console.log(require("node:v8").getHeapSpaceStatistics().find((s) => s.space_name === "new_space").space_size)'], { encoding: 'utf8' })
  t.ok(Number(out) > 0 && Number(out) <= 8 * 1024 * 1024, `new space ${out.trim()} bytes: the young generation is bounded`)
})
