import { main } from '../../src/cli.js'
const [cwd, ...args] = process.argv.slice(2)
process.exitCode = await main(args, { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s), isTTY: false, cwd: cwd!, env: {} })
