// Check names known before a run: what a kind's `checkNames` is built from.

/** The given `expect` keys that are configured, in the order given: one check each. */
export function configured<E extends object>(expect: E, keys: readonly (keyof E & string)[]): string[] {
  return keys.filter((key) => expect[key] !== undefined)
}
