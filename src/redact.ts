// Secrets never leave the process: every string that reaches a log line,
// /status, a report or an error message passes through here first.

const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@'"]*@/gi
const MASK = '***'
/** Names of variables, headers and parameters whose values are credentials. */
export const SECRET_NAME = /pass|secret|token|key|auth|credential|signature|cookie|session/i

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
    return raw.replace(USERINFO, '$1')
  }
  const path = url.pathname === '/' ? '' : url.pathname
  return `${url.protocol}//${url.host}${path}`
}

/** Collects the secret values a configuration holds so they can be masked. */
export class SecretSet {
  readonly #values = new Set<string>()

  add(value: string | undefined): void {
    // Very short values would mask ordinary words in messages; they are not
    // worth protecting this way (and a 1–3 character password is its own finding).
    if (value && value.length >= 4) this.#values.add(value)
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
        this.add(decodeURIComponent(url.password))
      }
      for (const [k, v] of url.searchParams) if (SECRET_NAME.test(k)) this.add(v)
    } catch {
      /* not a URL: nothing to learn from it */
    }
  }

  /** The text with URL credentials and every known secret value masked. */
  redact(text: string): string {
    let out = text.replace(USERINFO, `$1${MASK}@`)
    // Longest first, so a secret that contains another is masked whole.
    for (const value of [...this.#values].sort((a, b) => b.length - a.length)) {
      out = out.split(value).join(MASK)
    }
    return out
  }
}
