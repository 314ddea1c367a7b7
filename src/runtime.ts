// How the Node runtime under groundtruth is started. V8 lets the young
// generation grow to 16 MiB per semi-space (32 MiB committed) under a steady
// allocation rate such as a thousand probes a minute; groundtruth's live heap
// is about 20 MiB at 1,000 services, so that headroom was most of its RSS.
// At 4 MiB, RSS at 1,000 services fell by 20–30 MiB with no measurable CPU
// cost (bench/scale.ts; README "Performance"). Every launcher we ship uses
// these flags and RUNTIME_ENV: the executable's shebang, `npm start`, the
// Dockerfile and the benches (test/deploy/runtime-flags.test.ts and
// deploy.test.ts keep them in step).
export const NODE_FLAGS = ['--max-semi-space-size=4'] as const

/**
 * The environment those launchers set. glibc's malloc gives each thread that
 * allocates an arena of its own, up to 8 per core, and keeps what each arena
 * once held: Node's GC and libuv threads made that 4–6 MiB of RSS at 1,000
 * services that two arenas do not cost (bench/scale.ts, no measurable CPU).
 * Other C libraries ignore it.
 */
export const RUNTIME_ENV = { MALLOC_ARENA_MAX: '2' } as const

/** RUNTIME_ENV as `NAME=value` words, for env(1) and shell lines. */
export const RUNTIME_ENV_WORDS = Object.entries(RUNTIME_ENV).map(([name, value]) => `${name}=${value}`)
