// Where a key path stands in a YAML file, for error messages that name the
// line: the groundtruth config, the web config and compose files all report
// their problems this way.
import { isMap, isNode, isScalar, type Document, type LineCounter } from 'yaml'

/** The 1-based line and column of `path`; a missing key is reported at its parent. */
export function positionOf(doc: Document, lines: LineCounter, path: readonly PropertyKey[]): { line?: number; column?: number } {
  for (let n = path.length; n >= 0; n--) {
    const node = keyOrNode(doc, path.slice(0, n) as (string | number)[])
    if (isNode(node) && node.range) {
      const pos = lines.linePos(node.range[0])
      return { line: pos.line, column: pos.col }
    }
  }
  return {}
}

/**
 * A mapping entry is located at its key: a block value (`servces:` then a list)
 * starts on a later line, and an unknown key is the key's fault. A list item at itself.
 */
function keyOrNode(doc: Document, path: (string | number)[]): unknown {
  const parent = path.length > 0 ? doc.getIn(path.slice(0, -1), true) : undefined
  const pair = isMap(parent) ? parent.items.find((p) => isScalar(p.key) && p.key.value === path.at(-1)) : undefined
  return pair?.key ?? doc.getIn(path, true)
}
