#!/usr/bin/env -S MALLOC_ARENA_MAX=2 MALLOC_TRIM_THRESHOLD_=131072 node --max-semi-space-size=4
// The `groundtruth` executable. Exit codes are documented in cli.ts.
import { main } from './cli.js'

process.exitCode = await main(process.argv.slice(2))
