// The shape of a value: URL, e-mail address, host name, file path, PEM block,
// or free text split into word tokens. Structured values are judged by their
// structure (a reserved domain, a template in the user info) and never by
// the words in a real host name: `https://example-corp.internal` and
// `sample-db.prod.internal` are addresses, not templates.

/** scheme://…, with a lower-case scheme of two or more characters (http, s3, postgresql+asyncpg). */
export function isUrl(value: string): boolean {
  return /^[a-z][a-z0-9+.-]+:\/\/\S*$/.test(value)
}

/** user@domain.tld, checked in parts: the one-regex version backtracks quadratically on "a@....". */
export function isEmail(value: string): boolean {
  const at = value.indexOf('@')
  if (at <= 0 || at !== value.lastIndexOf('@')) return false
  return /^[A-Za-z0-9._%+-]+$/.test(value.slice(0, at)) && /^[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$/.test(value.slice(at + 1))
}

/** `api.acme.io`, `db:5432`? no — needs a dot and an alphabetic last label, or an IPv4 address. */
export function isHostname(value: string): boolean {
  if (/^\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?$/.test(value)) return true
  return /^(?=.{1,253}(?::\d{1,5})?$)[a-z0-9_](?:[a-z0-9_-]*[a-z0-9])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9])?)*\.[a-z][a-z0-9-]*(?::\d{1,5})?$/i.test(value)
}

export function isPath(value: string): boolean {
  return /^(?:\/|\.\.?\/|~\/|[A-Za-z]:[\\/])/.test(value) && !/\s/.test(value)
}

export function isPem(value: string): boolean {
  return /-----BEGIN [A-Z0-9 ]+-----/.test(value)
}

/** Lower-case word tokens: split on everything that is not a letter or a digit. */
export function valueTokens(value: string): string[] {
  return value
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((t) => t !== '')
}

/**
 * Word tokens as a person writes them: split at symbols and at camelCase
 * humps (yourApiKey → your, api, key), lower-cased. A token in mixed case
 * that is no camelCase word (`bAr`, `xxX`) is how chance spells inside a
 * random key; it becomes '' so that it matches no word.
 */
export function wordTokens(value: string): string[] {
  return value
    .replace(/([a-z0-9])(?=[A-Z])/g, '$1 ')
    // APIKey → API Key; with a lookahead, not ([A-Z]+)([A-Z][a-z]), which backtracks quadratically on long capitals.
    .replace(/([A-Z])(?=[A-Z][a-z])/g, '$1 ')
    .split(/[^A-Za-z0-9]+/)
    .filter((t) => t !== '')
    .map((t) => (/^(?:[a-z0-9]+|[A-Z0-9]+|[A-Z][a-z0-9]+)$/.test(t) ? t.toLowerCase() : ''))
}

/**
 * Like wordTokens, without the camelCase split: for judging whether a value
 * is a phrase, where cutting a random string at its humps would make words of it.
 */
export function plainWords(value: string): string[] {
  return value
    .split(/[^A-Za-z0-9]+/)
    .filter((t) => t !== '')
    .map((t) => (/^(?:[a-z0-9]+|[A-Z0-9]+|[A-Z][a-z0-9]+)$/.test(t) ? t.toLowerCase() : ''))
}

/** Host names a template uses: RFC 2606/6761 reserved names and "your-domain"-style labels. */
export function isPlaceholderHost(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '').replace(/:\d+$/, '')
  if (/(?:^|\.)example(?:\.(?:com|org|net|edu))?$/.test(h) || /\.invalid$/.test(h)) return true
  const labels = h.split('.')
  return labels.some((l) => /^your(?:[-_]|domain|site|app|project|company|server|host|bucket|account|org|tenant|instance|store|shop|region|cluster|name|id)/.test(l) || /^<.*>$/.test(l) || l === 'my-domain' || l === 'mydomain')
    || ['host', 'hostname', 'domain', 'server', 'your-host'].includes(h)
}
