// Secrets never leave the process: every string that reaches a log line,
// /status, a report or an error message passes through here first.

const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@'"]*@/gi
const MASK = '***'
/** Names of variables, headers and parameters whose values are credentials. */
export const SECRET_NAME = /pass|secret|token|key|auth|credential|signature|cookie|session/i
/** Where a text was cut short: what precedes it may be the start of a secret. */
const CUT = /(\.\.\.|…)/g
/** Shortest start of a secret masked where a text was cut (the issue: 3–11 characters leaked). */
const MIN_CUT_PREFIX = 3
/** Shortest base64 run masked: shorter ones would hit ordinary words. */
const MIN_BASE64 = 8

/**
 * A URL reduced to what an operator needs to recognise it: scheme, host,
 * port and path. User, password, query string and fragment are dropped,
 * because any of them may carry a credential.
 */
export function displayTarget(raw: string): string {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    // Up to the last "@" before any query or fragment: a password holding an
    // unencoded "/" must not show its tail as the host.
    return raw.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^?#\s]*@/i, '$1').replace(USERINFO, '$1')
  }
  const path = url.pathname === '/' ? '' : url.pathname
  return `${url.protocol}//${url.host}${path}`
}

/**
 * The forms a secret takes in text a peer or a library builds: as written,
 * JSON-escaped, percent-encoded (also with "+" for spaces), and inside
 * base64 at each of the three byte alignments (an `Authorization: Basic`
 * header, a token echoed base64-encoded), in both base64 alphabets.
 */
export function secretForms(value: string): string[] {
  const forms = new Set<string>([value])
  forms.add(JSON.stringify(value).slice(1, -1))
  forms.add(encodeURIComponent(value))
  forms.add(encodeURIComponent(value).replace(/%20/g, '+'))
  const bytes = Buffer.from(value, 'utf8')
  for (let pad = 0; pad < 3; pad++) {
    const b64 = Buffer.concat([Buffer.alloc(pad), bytes]).toString('base64')
    // Characters whose 6 bits all come from the secret's bytes.
    const from = Math.ceil((pad * 8) / 6)
    const to = Math.floor(((pad + bytes.length) * 8) / 6)
    const core = b64.slice(from, to)
    if (core.length >= MIN_BASE64) {
      forms.add(core)
      forms.add(core.replace(/\+/g, '-').replace(/\//g, '_'))
    }
  }
  return [...forms]
}

/** Collects the secret values a configuration holds so they can be masked. */
export class SecretSet {
  readonly #values = new Set<string>()
  /** Every form of every value, longest first; rebuilt after an add. */
  #forms: string[] | undefined

  add(value: string | undefined): void {
    // Very short values would mask ordinary words in messages; they are not
    // worth protecting this way (and a 1–3 character password is its own finding).
    if (value && value.length >= 4 && !this.#values.has(value)) {
      this.#values.add(value)
      this.#forms = undefined
    }
  }

  /**
   * Adds the password of a URL (raw and percent-decoded) and query values
   * whose name says they are credentials. User names are not secrets and
   * masking them would blank out ordinary words such as "postgres".
   */
  addUrl(raw: string): void {
    try {
      const url = new URL(raw)
      if (url.password) {
        this.add(url.password)
        this.add(safeDecode(url.password))
      }
      for (const [k, v] of url.searchParams) if (SECRET_NAME.test(k)) this.add(v)
    } catch {
      /* not a URL: nothing to learn from it */
    }
  }

  /**
   * Adds the value of a header whose name says it is a credential: the
   * token after `Bearer`/`Token`, and for `Basic` the base64 token, the
   * decoded `user:password` and the password alone.
   */
  addHeader(name: string, value: string): void {
    if (!SECRET_NAME.test(name)) return
    const basic = /^Basic\s+(\S+)\s*$/i.exec(value)
    if (basic) {
      this.add(basic[1])
      const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8')
      const colon = decoded.indexOf(':')
      if (colon >= 0) {
        this.add(decoded)
        this.add(decoded.slice(colon + 1))
      }
      return
    }
    this.add(value.replace(/^(Bearer|Basic|Token)\s+/i, ''))
  }

  /** The text with URL credentials and every known secret value masked. */
  redact(text: string): string {
    let out = text.replace(USERINFO, `$1${MASK}@`)
    const forms = this.#allForms()
    // Longest first, so a secret that contains another is masked whole.
    for (const form of forms) if (out.includes(form)) out = out.split(form).join(MASK)
    // A text cut short ("abc...") before it reached here may end in the start of a secret.
    if (forms.length) out = maskCutPrefixes(out, forms)
    return out
  }

  #allForms(): string[] {
    this.#forms ??= [...new Set([...this.#values].flatMap(secretForms))].sort((a, b) => b.length - a.length)
    return this.#forms
  }
}

/** Masks the longest start of a secret (at least MIN_CUT_PREFIX characters) that ends right at a cut marker. */
function maskCutPrefixes(text: string, forms: string[]): string {
  let out = ''
  let last = 0
  for (const m of text.matchAll(CUT)) {
    let before = text.slice(last, m.index)
    let best = 0
    for (const form of forms) {
      for (let k = Math.min(form.length - 1, before.length); k >= MIN_CUT_PREFIX && k > best; k--) {
        if (before.endsWith(form.slice(0, k))) {
          best = k
          break
        }
      }
    }
    if (best) before = `${before.slice(0, before.length - best)}${MASK}`
    out += before + m[0]
    last = m.index + m[0].length
  }
  return out + text.slice(last)
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}
