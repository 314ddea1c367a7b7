// Waiting for a state instead of sleeping for it: poll until the function
// gives a value (anything but undefined), fail naming what was awaited at
// the deadline, with the last error seen on the way.

export async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      const v = await fn()
      if (v !== undefined) return v
    } catch (err) {
      lastError = err
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`)
    await new Promise((r) => setTimeout(r, everyMs))
  }
}

/** `until` for a condition: resolves once it holds. */
export async function untilTrue(what: string, ok: () => boolean, timeoutMs: number, everyMs = 5): Promise<void> {
  await until(what, () => (ok() ? true : undefined), timeoutMs, everyMs)
}
