// The run's AbortSignal (fired at the timeout and when the run is over) meeting
// client code that knows nothing of it: a listener that is always removed, and
// an operation that stops being awaited the moment the run ends.

/**
 * Calls `fn` once when the signal aborts, at once if it already has; returns
 * what removes the listener (call it when the work is done, so a long-lived
 * signal does not collect listeners).
 */
export function onAbort(signal: AbortSignal, fn: () => void): () => void {
  if (signal.aborted) {
    fn()
    return () => {}
  }
  signal.addEventListener('abort', fn, { once: true })
  return () => signal.removeEventListener('abort', fn)
}

/** The operation's outcome, or a rejection with the abort reason as soon as the signal fires. */
export function abortable<T>(operation: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const stop = onAbort(signal, () => reject(signal.reason))
    operation.then(
      (value) => {
        stop()
        resolve(value)
      },
      (err: unknown) => {
        stop()
        reject(err)
      },
    )
  })
}

/** Waits for the operation to settle, however it settles, but never past the signal. */
export async function settledOrAborted(operation: Promise<unknown>, signal: AbortSignal): Promise<void> {
  await abortable(operation, signal).catch(() => {})
}
