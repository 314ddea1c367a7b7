// SQL names as a user writes them in expect.schemas / expect.tables, and as
// the probe shows them back. A "quoted" name matches exactly (in YAML write
// '"Meeting"' so the quotes survive); an unquoted one as written or, as SQL
// would read it, folded to lower case.

const ASCII_UPPER = /[A-Z]/g

/** Postgres folds unquoted identifiers to lower case, ASCII letters only. */
function fold(name: string): string {
  return name.replace(ASCII_UPPER, (c) => c.toLowerCase())
}

/** Full lower case, for finding names that differ from the wanted one only in case. */
export function lower(name: string): string {
  return name.toLowerCase()
}

/**
 * `core.users`, `"Meeting"`, `public."Meeting"`, `"odd.name"` → the parts as
 * Postgres stores them (unquoted parts folded, or as written when
 * `foldUnquoted` is false); or a message saying what is wrong.
 */
export function parseName(text: string, foldUnquoted = true): string[] | string {
  const parts: string[] = []
  let i = 0
  const s = text.trim()
  if (!s) return 'expected a name, got an empty string'
  for (;;) {
    if (s[i] === '"') {
      let part = ''
      i++
      for (;;) {
        if (i >= s.length) return `unterminated quote in "${text}"`
        if (s[i] === '"') {
          if (s[i + 1] === '"') {
            part += '"'
            i += 2
            continue
          }
          i++
          break
        }
        part += s[i++]
      }
      if (!part) return `empty quoted name in "${text}"`
      parts.push(part)
    } else {
      const m = /^[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*/.exec(s.slice(i))
      if (!m) return `expected a SQL name (letters, digits, _; or "quoted") in "${text}"`
      parts.push(foldUnquoted ? fold(m[0]) : m[0])
      i += m[0].length
    }
    if (i === s.length) return parts
    if (s[i] !== '.') return `unexpected "${s[i]}" in "${text}"`
    i++ // past the dot: a name must follow ("core." is "expected a SQL name")
  }
}

/** A name as SQL would need it written, for details: quoted only when it must be. */
export function showIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`
}
