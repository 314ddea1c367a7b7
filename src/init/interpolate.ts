// Compose's variable interpolation (the compose specification's
// "Interpolation"): `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
// `${VAR:?error}`, `${VAR?error}`, `${VAR:+alternative}`, `${VAR+alternative}`,
// nested defaults, and `$$` for a literal `$`.
//
// Besides the value compose would use, each string keeps its parts, so that
// `init` can write the *reference* into groundtruth's config (`${VAR}`,
// `${VAR:-default}`) instead of a value that may be a secret.

type Env = Record<string, string | undefined>

/** A piece of a compose string: literal text, or a variable reference. */
export type Part = { lit: string } | { ref: string; def?: string }

export interface Interpolated {
  /** What compose substitutes. */
  value: string
  /** The pieces, or undefined when a form groundtruth cannot write was used (`:+`, a nested default). */
  parts?: Part[]
  /** Variables referenced (all of them, nested ones too). */
  refs: string[]
  /** Variables used without a value and without a default (compose substitutes ""). */
  unset: string[]
  /** `${VAR:?message}` with VAR unset: compose refuses to start. */
  required: string[]
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/

export function interpolate(text: string, env: Env): Interpolated {
  const out: Interpolated = { value: '', parts: [], refs: [], unset: [], required: [] }
  const lit = (s: string) => {
    out.value += s
    const last = out.parts?.at(-1)
    if (last && 'lit' in last) last.lit += s
    else out.parts?.push({ lit: s })
  }
  let i = 0
  while (i < text.length) {
    const dollar = text.indexOf('$', i)
    if (dollar < 0) {
      lit(text.slice(i))
      break
    }
    lit(text.slice(i, dollar))
    const next = text[dollar + 1]
    if (next === '$') {
      lit('$')
      i = dollar + 2
      continue
    }
    if (next === '{') {
      const end = closingBrace(text, dollar + 2)
      if (end < 0) {
        // Compose rejects it; keep the text as written.
        lit(text.slice(dollar))
        break
      }
      braced(text.slice(dollar + 2, end), env, out)
      i = end + 1
      continue
    }
    const name = NAME.exec(text.slice(dollar + 1))?.[0]
    if (!name) {
      lit('$')
      i = dollar + 1
      continue
    }
    reference(name, undefined, env, out)
    i = dollar + 1 + name.length
  }
  return out
}

function closingBrace(text: string, from: number): number {
  let depth = 1
  for (let j = from; j < text.length; j++) {
    if (text[j] === '{') depth++
    else if (text[j] === '}' && --depth === 0) return j
  }
  return -1
}

function braced(inner: string, env: Env, out: Interpolated): void {
  const name = NAME.exec(inner)?.[0]
  if (!name) {
    out.value += `\${${inner}}`
    out.parts = undefined
    return
  }
  const rest = inner.slice(name.length)
  const op = /^(:-|-|:\?|\?|:\+|\+)?/.exec(rest)![0]
  const arg = rest.slice(op.length)
  if (op === '' && arg !== '') {
    // `${VAR foo}`: not a form compose accepts; keep it as written.
    out.value += `\${${inner}}`
    out.parts = undefined
    return
  }
  const set = env[name]
  const nonEmpty = set !== undefined && set !== ''
  out.refs.push(name)
  const nested = arg.includes('$') ? interpolate(arg, env) : undefined
  const argValue = nested ? nested.value : arg
  if (nested) for (const r of nested.refs) out.refs.push(r)
  switch (op) {
    case ':-':
    case '-': {
      const useDefault = op === ':-' ? !nonEmpty : set === undefined
      if (useDefault && nested) {
        out.unset.push(...nested.unset)
        out.required.push(...nested.required)
      }
      out.value += useDefault ? argValue : set
      // A nested default has no groundtruth form: the reference alone is written.
      out.parts?.push(nested ? { ref: name } : { ref: name, def: arg })
      return
    }
    case ':?':
    case '?': {
      const missing = op === ':?' ? !nonEmpty : set === undefined
      if (missing) out.required.push(name)
      out.value += set ?? ''
      out.parts?.push({ ref: name })
      return
    }
    case ':+':
    case '+': {
      const useAlt = op === ':+' ? nonEmpty : set !== undefined
      out.value += useAlt ? argValue : ''
      out.parts = undefined
      return
    }
    default:
      reference(name, undefined, env, out, true)
  }
}

function reference(name: string, def: string | undefined, env: Env, out: Interpolated, counted = false): void {
  if (!counted) out.refs.push(name)
  const set = env[name]
  if (set === undefined) out.unset.push(name)
  out.value += set ?? ''
  out.parts?.push({ ref: name, ...(def !== undefined ? { def } : {}) })
}

/**
 * The string as groundtruth's config writes it: references as `${VAR}` (with
 * their default when `keepDefaults` and groundtruth can write it), literal
 * text with `${` escaped as `$${`. Undefined when the parts are unknown.
 */
export function toTemplate(parts: Part[] | undefined, keepDefaults: boolean): string | undefined {
  if (!parts) return undefined
  return parts
    .map((p) => {
      if ('lit' in p) return p.lit.replace(/\$\{/g, () => '$${')
      const def = keepDefaults && p.def !== undefined && !p.def.includes('}') ? `:-${p.def}` : ''
      return `\${${p.ref}${def}}`
    })
    .join('')
}
