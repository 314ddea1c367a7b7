// A probe kind's client library, loaded on the first run of a probe of that
// kind rather than when the registry (probes/index.ts) is imported.
//
// Why: memory. Every kind is registered at start, whatever the config holds,
// and loading a client library costs resident memory whether or not a service
// ever uses it. Measured by import, in this order, on Node 20: pg +4 MB,
// ioredis +12 MB, amqplib +8 MB (noisy), against an idle daemon of ~91 MB RSS
// and a Node floor of ~41 MB (issue 15 wants <= 80 MB at 1,000 services). A
// config without a kind's services now pays nothing for it: importing the CLI
// went from ~91 to ~79 MB RSS (after gc, mean of 10). The Elasticsearch and
// MinIO clients were already imported this way, in their run().
//
// Each probe run awaits the library inside the run, so the runner's deadline
// (its clock starts before run() is called) bounds the first import too.

/** A memoised loader: every call shares one promise; `loaded()` is the library once it has arrived. */
export interface Lazy<T> {
  (): Promise<T>
  /** The library if it has loaded, else undefined (for synchronous checks such as `instanceof`). */
  loaded(): T | undefined
}

/**
 * Wraps `load` (an `import()`) so it runs once, on the first call. A failed
 * load is forgotten, so the next run tries again instead of repeating the
 * first run's error forever.
 */
export function lazy<T>(load: () => Promise<T>): Lazy<T> {
  let pending: Promise<T> | undefined
  let value: T | undefined
  const get = (): Promise<T> =>
    (pending ??= load().then(
      (loaded) => (value = loaded),
      (err: unknown) => {
        pending = undefined
        throw err
      },
    ))
  return Object.assign(get, { loaded: () => value })
}
