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
 * The environment those launchers set, for glibc's malloc (other C libraries
 * ignore it). MALLOC_ARENA_MAX: malloc gives each thread that allocates an
 * arena of its own, up to 8 per core, and keeps what each arena once held;
 * Node's GC and libuv threads made that 4-6 MiB of RSS at 1,000 services
 * that two arenas do not cost. MALLOC_TRIM_THRESHOLD_: malloc gives free
 * memory at the top of an arena back past 128 KiB instead of past a
 * threshold it raises to the largest block it has freed (setting it also
 * fixes the mmap threshold at 128 KiB); the parser's and the compiler's
 * large blocks freed after start-up were 6 MiB kept. Both measured with
 * bench/scale.ts at 1,000 services. The trim costs no measurable CPU
 * (bench/blackbox.ts: 0.366-0.386 ms per HTTP /probe with it, 0.351-0.388
 * without, three runs each) and holds 6-7 MiB less under that load.
 */
export const RUNTIME_ENV = { MALLOC_ARENA_MAX: '2', MALLOC_TRIM_THRESHOLD_: '131072' } as const

/** RUNTIME_ENV as `NAME=value` words, for env(1) and shell lines. */
export const RUNTIME_ENV_WORDS = Object.entries(RUNTIME_ENV).map(([name, value]) => `${name}=${value}`)
