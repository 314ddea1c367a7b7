// How the Node runtime under groundtruth is started. V8 lets the young
// generation grow to 16 MiB per semi-space (32 MiB committed) under a steady
// allocation rate such as a thousand probes a minute; groundtruth's live heap
// is about 20 MiB at 1,000 services, so that headroom was most of its RSS.
// At 4 MiB, RSS at 1,000 services fell by 20–30 MiB with no measurable CPU
// cost (bench/scale.ts; README "Performance"). Every launcher we ship uses
// these flags: the executable's shebang, `npm start`, the Dockerfile's
// ENTRYPOINT and the benches (test/deploy/runtime-flags.test.ts keeps them in
// step).
export const NODE_FLAGS = ['--max-semi-space-size=4'] as const
