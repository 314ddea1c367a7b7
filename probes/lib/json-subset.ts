// "Subset match" for expect.json: every key the config names must be present
// with an equal value; keys the config does not name are ignored, and an
// expected array element matches any element of the actual array.

/**
 * Undefined when `expected` is a subset of `actual`, else where and how they
 * differ. `mask` is applied to a shown value before it is cut short, so a
 * secret the peer echoes cannot leak its first characters past the cut.
 */
export function jsonSubsetMismatch(expected: unknown, actual: unknown, path = '$', mask: (text: string) => string = (text) => text): string | undefined {
  const show = (value: unknown) => shorten(mask(JSON.stringify(value) ?? String(value)))
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${path}: expected an array, got ${show(actual)}`
    for (const [i, item] of expected.entries()) {
      if (!actual.some((candidate) => jsonSubsetMismatch(item, candidate, '$', mask) === undefined)) {
        return `${path}: no element matches expected[${i}] ${show(item)}`
      }
    }
    return undefined
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return `${path}: expected an object, got ${show(actual)}`
    for (const [key, value] of Object.entries(expected)) {
      // Own keys only: `in` also sees Object.prototype, so "constructor" counted as
      // present and `{ __proto__: {} }` matched any object.
      if (!Object.hasOwn(actual, key)) return `${path}.${key}: missing`
      const inner = jsonSubsetMismatch(value, (actual as Record<string, unknown>)[key], `${path}.${key}`, mask)
      if (inner) return inner
    }
    return undefined
  }
  return expected === actual ? undefined : `${path}: expected ${show(expected)}, got ${show(actual)}`
}

function shorten(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}
