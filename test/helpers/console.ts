// What client libraries print to the console while a test file runs: kept
// (and still shown) so a test can prove no secret and no unhandled error
// event ever reached it.
import type { Test } from 'tap'

/** Captures console.error, .warn and .log until the file's end; returns the lines printed so far (the live array). */
export function capturePrinted(t: Test): string[] {
  const printed: string[] = []
  for (const method of ['error', 'warn', 'log'] as const) {
    const original = console[method]
    console[method] = (...args: unknown[]) => {
      printed.push(args.map(String).join(' '))
      original.apply(console, args)
    }
    t.teardown(() => {
      console[method] = original
    })
  }
  return printed
}
