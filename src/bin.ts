#!/usr/bin/env node
// The `groundtruth` executable. Exit codes are documented in cli.ts.
import { main } from './cli.js'

process.exitCode = await main(process.argv.slice(2))
