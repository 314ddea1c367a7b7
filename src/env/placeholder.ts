// Placeholder detection: a value that was never meant to work — a template
// left in place (`your-key-here`, `<TOKEN>`, `sk_test_placeholder…`), a
// masked or elided copy (`********`, `sk-...`), a reference nobody expanded
// (`${SECRET}`), or a secret copied verbatim from the example file.
//
// The rules look at word *tokens* and at the variable's name, never at bare
// substrings of structured values, because the same word is harmless
// elsewhere: a real host `samples.acme.io`, an image service
// `https://via.placeholder.com`, a mode `MERGE_STRATEGY=replace`.
//
// Real keys are random, and chance spells words in them: `BaR$N3…`,
// `…UblOrEMy…`, `<K8eUc>`. So long template words (example, sample,
// placeholder, replace ...) are matched inside credentials only in one case
// (sample, SAMPLE, Sample), short ones (foo, fake, mock, xxx) only in values
// made of words, and `<…>`/`${…}` only around names. The corpus test draws
// thousands of random keys in vendor formats to keep it so.

import { isAddressName, isCredentialName } from './names.js'
import { isEmail, isHostname, isPath, isPem, isPlaceholderHost, isUrl, valueTokens, wordTokens } from './shape.js'
import { squash } from './wordlists.js'

/** Why a value is a placeholder; goes to /status and the report, never the value. */
export type PlaceholderReason =
  | 'template_syntax' // <TOKEN>, {{ token }}, __TOKEN__, #{Token}, %TOKEN%
  | 'unexpanded_reference' // ${SECRET}, $SECRET: nothing expanded it
  | 'template_words' // your-key-here, replace-me, changeme, TODO, xxx, example/sample/dummy ...
  | 'vendor_template' // sk_test_placeholder…, whsec_placeholder…, sk-your-key, ghp_xxx
  | 'reserved_domain' // smtp.example.com, https://your-domain.com, noreply@example.org
  | 'masked' // ********, sk-...
  | 'empty_word' // null, none, undefined, n/a for a credential
  | 'name_as_value' // API_KEY=API_KEY
  | 'same_as_example' // a credential identical to the one in the example file

export interface PlaceholderContext {
  exampleValue?: string
  /** Tells whether `${NAME}` refers to a variable defined alongside; see `references`. */
  isDefined?: (name: string) => boolean
}

/**
 * Vendor key prefixes. A real body after one is long and random; a body made
 * of words (`placeholder_replace_with_real_key`, `your-key`) or too short to
 * be a key is a template.
 */
const VENDOR_PREFIX =
  /^(?:(?:sk|pk|rk)_(?:test|live)_|whsec_|sk-proj-|sk-ant-(?:api|admin)\d*-|sk-ant-|sk-svcacct-|sk-|ghp_|gho_|ghu_|ghs_|ghr_|github_pat_|glpat-|xox[abposr]-|xapp-|AKIA|ASIA|AIza|SG\.|hf_|npm_|shpat_|shpss_|re_|key-|rzp_(?:test|live)_|dop_v1_|sq0atp-|sq0csp-)/

/** Prefixes distinctive enough to judge under any variable name (re_, key-, sk- could start a word). */
const DISTINCTIVE_PREFIX = /^(?:(?:sk|pk|rk)_(?:test|live)_|whsec_|sk-proj-|sk-ant-|github_pat_|gh[pousr]_|xox[abposr]-|glpat-|rzp_(?:test|live)_)/

/**
 * Words that never occur in a real credential, matched inside words too
 * (sampleKey, EXAMPLEKEY) but only in one case (example, EXAMPLE, Example):
 * a random key holds a six-letter word in one case with a probability around
 * 1e-9, and mixed case ("sAmPle") is how chance spells it.
 */
const LONG_TEMPLATE_WORDS = ['example', 'sample', 'placeholder', 'replace', 'changeme', 'change_me', 'change-me', 'redacted', 'insert']

function hasLongTemplateWord(value: string): boolean {
  return LONG_TEMPLATE_WORDS.some((w) => value.includes(w) || value.includes(w.toUpperCase()) || value.includes(w[0]?.toUpperCase() + w.slice(1)))
}

/** Whole tokens that mark a credential as made up (only in values written by a person, see wordy). */
const FAKE_TOKENS = new Set(['fake', 'mock', 'dummy', 'foo', 'foobar', 'bar', 'baz', 'qux', 'lorem', 'ipsum', 'fixme', 'todo', 'tbd', 'tba', 'tbc', 'yours', 'your', 'here', 'goeshere'])

/** Words that stand for "no value" when written into a credential. */
const EMPTY_WORDS = new Set(['null', 'none', 'nil', 'undefined', 'empty', 'na', 'n/a', 'n.a.', '-', '--', '""', "''", 'unset', 'notset', 'not-set', 'not_set', 'missing'])

/** Verbs that start an instruction: insert-key-here, enter_your_token, put-your-key, set-me. */
const INSTRUCTION_VERBS = new Set(['insert', 'enter', 'put', 'add', 'paste', 'fill', 'set', 'provide', 'supply', 'specify', 'update', 'configure'])
const INSTRUCTION_OBJECTS = new Set(['your', 'here', 'me', 'real', 'actual', 'valid', 'own', 'key', 'token', 'secret', 'password', 'value', 'api'])

/** Nouns that a template names: example-bucket, sample-token, dummy-password. */
const SLOT_NOUNS = new Set(['key', 'keys', 'token', 'secret', 'password', 'pass', 'id', 'name', 'value', 'bucket', 'domain', 'host', 'url', 'project', 'account', 'org', 'company', 'user', 'username', 'email', 'tenant', 'client', 'here', 'api', 'apikey', 'dsn', 'webhook'])

/**
 * Written by a person: every token between symbols is a word in one case
 * (lower, UPPER, Capitalised), maybe with a short number (s3, v2), or a
 * number. Random keys give tokens of mixed case and digits, so a short word
 * such as "bar" or "Your" inside one (BaR$N3…, eYourCUFGV…) is chance, not a
 * template. (No camelCase split here: it would cut any random string into
 * one-case pieces.)
 */
function wordy(value: string): boolean {
  // People separate words with a space, -, _, ., :, / or a comma, not with runs of ^[#{?; a random
  // password's symbols fail here. (The two classes are disjoint, so this cannot backtrack.)
  if (!/^[A-Za-z0-9]+(?:[-_.,:/+\s]{1,3}[A-Za-z0-9]+)*[.!?:]?$/.test(value.trim())) return false
  const tokens = value.split(/[^A-Za-z0-9]+/).filter((t) => t !== '')
  return tokens.length > 0 && tokens.every((t) => /^(?:[a-z]+|[A-Z]+|[A-Z][a-z]+)\d{0,2}$|^\d{1,4}$|^\d{1,2}[a-z]{1,3}$/.test(t))
}

/** More words that name a slot in a template: <db-host>, <PORT>, <insert key>. */
const TEMPLATE_SLOT_WORDS = new Set(['your', 'insert', 'paste', 'enter', 'db', 'database', 'port', 'pwd', 'passwd', 'hostname', 'server', 'region', 'secret', 'path', 'file', 'redacted'])

/** `${NAME}` and `${NAME:-default}` inside a value, or a whole value `$NAME`. */
function references(value: string): string[] | undefined {
  // Names as people write them (DB_PASSWORD, HOME, db_user) and plain defaults (:-localhost),
  // not `${yT}`, `${qlnenx}` or `${P1G+o#k&…}` that chance puts in a generated password.
  const pattern = /\$\{([A-Z_][A-Z0-9_]{3,}|[A-Z]+_[A-Z0-9_]+|[a-z][a-z0-9]*_[a-z0-9_]+)(?::?[-=?+][\w./:@ -]*)?\}/g
  const braced = [...value.matchAll(pattern)].map((m) => m[1] ?? '')
  // Around a reference people write words, URLs or nothing; random symbols around
  // one (`0Xxk${DOM1}6Q>#`) mean chance wrote it inside a generated password.
  const rest = value.replace(pattern, ' ')
  if (braced.length > 0 && (!/[A-Za-z0-9]/.test(rest) || rest.includes('://') || wordy(rest))) return braced
  const bare = /^\$([A-Z_][A-Z0-9_]*)$/.exec(value)
  return bare ? [bare[1] ?? ''] : undefined
}

/** Template words in a no-space value or a short phrase. `credential` widens the word list. */
function templateWords(value: string, credential: boolean): boolean {
  // "please-set-me", "Please enter your key": politeness changes nothing; 0x (0xYOUR_PRIVATE_KEY) neither.
  const words = wordTokens(value.replace(/^0x(?=[A-Za-z])/, '')).filter((t, i) => i > 0 || t !== 'please')
  // The words joined by '-': "YOUR_HUGGINGFACE_TOKEN_HERE" and "yourHuggingfaceTokenHere" read alike.
  const joined = words.join('-')
  const spaced = /\s/.test(value)
  const first = words[0] ?? ''
  const last = words.at(-1) ?? ''
  // Rules keyed on a short word need a value written by a person: "TBC.]VYel!+k…"
  // and "eYourCUFGV…" are random passwords.
  const person = wordy(value.replace(/^0x(?=[A-Za-z])/, ''))

  if (/placeholder|PLACEHOLDER|Placeholder/.test(value)) return true
  // your-key, YOUR_HUGGINGFACE_TOKEN_HERE, YOURSECRETKEYGOESHERE, yourApiKey, your key here
  if (/^your(?:-|$)/.test(joined) || /^your[-a-z0-9]*?(?:key|token|secret|pass|id|domain|here|value|name|url|email|host|app|user|account|project|bucket|org|company|api|server|site|region|tenant|client|webhook|dsn|endpoint)/.test(joined)) return true
  if (person && !spaced && words.includes('your')) return true
  if (/goes-?here/.test(joined)) return true
  if (person && words.length >= 2 && last === 'here' && (!spaced || credential || words.some((t) => t !== 'here' && SLOT_NOUNS.has(t)))) return true
  if (/(?:key|token|secret|password|value|id)here$/.test(words.join(''))) return true
  // change-me, CHANGE_ME_IN_PRODUCTION, changeme, ChangeMe, change-this, please-change-it
  if (/(?:^|-)change-?(?:me|it|this|that)(?:-|$)/.test(joined) || /^changeme/.test(joined)) return true
  // replace-me, replace_with_real_key, REPLACE_WITH_SECRET
  if (/(?:^|-)replace-?(?:me|with|this|it|value)(?:-|$)/.test(joined) || (first === 'replace' && words.length >= 2 && person)) return true
  // insert-key-here, enter_your_api_key, put-your-key, add-your-key, set-me, fill-me-in
  if (person && INSTRUCTION_VERBS.has(first) && words.slice(1).some((t) => INSTRUCTION_OBJECTS.has(t))) return true
  const lastYour = words.lastIndexOf('your')
  if (spaced && words.slice(0, Math.max(lastYour, 0)).some((t) => ['enter', 'insert', 'put', 'add', 'paste', 'fill', 'provide'].includes(t))) return true
  // TODO, tbd, FIXME: TODO: set this
  if (person && ['todo', 'tbd', 'tba', 'tbc', 'fixme'].includes(first)) {
    if (/^[a-z]+(?:$|[\s:!.(])/i.test(value) || words.slice(1).some((t) => INSTRUCTION_OBJECTS.has(t) || INSTRUCTION_VERBS.has(t))) return true
  }
  // xxx, XXXX-XXXX, sk_live_xxxxxxxx
  if ((person && /(?:^|[^A-Za-z0-9])(?:x{3,}|X{3,})(?![A-Za-z0-9])/.test(value)) || /x{6,}|X{6,}/.test(value)) return true
  // AWS documentation keys: AKIAIOSFODNN7EXAMPLE, wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
  if (!spaced && /EXAMPLE/.test(value)) return true
  // path/to/credentials.json
  if (/(?:^|\/)path\/to\//i.test(value)) return true

  if (credential) {
    if (hasLongTemplateWord(value)) return true
    if (person && words.some((t) => FAKE_TOKENS.has(t))) return true
    // fakekey, mock_token, dummy-secret (not testkey: test is a working dev value, see weak.ts)
    if (/^(?:fake|mock|dummy|sample|example|some|any|random)[-_]?(?:api)?[-_]?(?:key|token|secret|password|pass|value)s?\d*$/i.test(value)) return true
    if (person && ['generate', 'create'].includes(first) && words.length >= 2) return true
    // some-random-string, a_long_random_value: a description of the value instead of one
    if (person && words.includes('random') && words.some((t) => ['string', 'value', 'chars', 'characters', 'text', 'secret', 'key', 'token', 'bytes', 'hex'].includes(t))) return true
    // API_KEY, SECRET_KEY_HERE, STRIPE_SECRET_KEY: a variable name where the value should be
    if (/^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$/.test(value) && words.some((t) => ['key', 'token', 'secret', 'password', 'id', 'api', 'apikey', 'dsn'].includes(t))) return true
  } else if (!spaced && words.length >= 2) {
    // example-bucket, sample_token_value: a template word next to the thing it stands for
    if (words.some((t) => ['example', 'sample', 'dummy', 'fake'].includes(t)) && words.some((t) => SLOT_NOUNS.has(t))) return true
  }
  return false
}

function vendorTemplate(value: string, credential: boolean): boolean {
  const m = VENDOR_PREFIX.exec(value)
  if (!m || !(credential || DISTINCTIVE_PREFIX.test(value))) return false
  const body = value.slice(m[0].length)
  if (body === '' || /^[.…*]+$/.test(body)) return true
  if (templateWords(body, true)) return true
  // A body of words only (placeholder_replace_with_real_key, my-key) or too short to be a key.
  const words = body.split(/[-_.]/)
  if (/^[a-z]+(?:[-_.][a-z]+)*$/i.test(body) && wordy(body) && words.every((w) => w.length <= 15) && (words.length >= 2 || body.length < 16)) return true
  return false
}

/** %-decoding that keeps a malformed escape (%E0) as written instead of throwing. */
function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

function urlPlaceholder(value: string): PlaceholderReason | undefined {
  // (<password>, {{ host }} in a URL were caught with the template syntax of any value.)
  let url: URL
  try {
    url = new URL(value)
  } catch {
    // postgresql://USER:PASSWORD@HOST:PORT/DATABASE does not even parse.
    return /\b(?:USER|USERNAME|PASSWORD|PASS|HOST|HOSTNAME|PORT|DATABASE|DB_NAME|DBNAME)\b/.test(value) ? 'template_words' : undefined
  }
  if (isPlaceholderHost(url.hostname)) return 'reserved_domain'
  const user = safeDecode(url.username)
  const password = safeDecode(url.password)
  if (/^(?:USER|USERNAME)$/.test(user) || /^(?:PASSWORD|PASS)$/.test(password)) return 'template_words'
  // postgresql://username:password@localhost:5432/database_name: every part names its slot
  if (/^(?:user|username|db_?user)$/i.test(user) && /^(?:password|pass|passwd|db_?password)$/i.test(password)) return 'template_words'
  if (/^\/(?:database_name|db_name|dbname|your_database|mydatabase)$/i.test(url.pathname)) return 'template_words'
  for (const part of [user, password]) if (part && (templateWords(part, true) || /^\*+$/.test(part))) return 'template_words'
  // Path, query and fragment: strong template words only (a real path may say "samples").
  const rest = `${url.pathname} ${url.search} ${url.hash}`
  const tokens = valueTokens(rest)
  if (tokens.some((t) => /^x{3,}$/.test(t) || t === 'your' || t === 'placeholder' || t === 'changeme') || /your[-_]|replace[-_]?(?:me|with)/i.test(rest)) return 'template_words'
  return undefined
}

/** Why `value` (non-empty, trimmed) is a placeholder for variable `name`, or undefined when it is not one. */
export function placeholderReason(name: string, value: string, ctx: PlaceholderContext = {}): PlaceholderReason | undefined {
  const credential = isCredentialName(name)
  const spaced = /\s/.test(value)

  // Template syntax of the common template engines and deploy tools.
  // {{ token }}, {{ .Values.apiKey }}, {% if x %}: spaced as people write them.
  if (/\{\{\s+[.A-Za-z_][\w.-]*\s+\}\}|\{%-?\s*[a-z]+\s[^%]*%\}/.test(value)) return 'template_syntax'
  // {{API_TOKEN}}, <TOKEN>, <your-api-key>, <insert key>: a slot word inside, or the whole value.
  // Not <b> (HTML), and not `<id.m>` or `{{cbqwz}}` that chance writes into a generated password.
  if (!value.includes('</')) {
    for (const m of value.matchAll(/<([A-Za-z_][\w .:-]*)>|\{\{([A-Za-z_][\w.-]*)\}\}/g)) {
      const inner = m[1] ?? m[2] ?? ''
      const named = /^[A-Za-z][A-Za-z0-9_ -]*[A-Za-z0-9]$/.test(inner) && wordy(inner) && wordTokens(inner).some((t) => SLOT_NOUNS.has(t) || TEMPLATE_SLOT_WORDS.has(t))
      if ((named && (inner.length >= 4 || (inner.length === 3 && inner === inner.toUpperCase()))) || (value === m[0] && inner.length >= 2 && wordy(inner))) return 'template_syntax'
    }
  }
  // __TOKEN__ (token replacement), #{ApiKey} (Octopus), %API_KEY% (Windows), @@TOKEN@@: the whole value.
  if (/^__[A-Z0-9_]+__$|^#\{[A-Za-z_][\w.]*\}$|^%(?:[A-Z_][A-Z0-9_]*|[a-z_][a-z0-9_]*)%$|^@@[A-Z0-9_]+@@$/.test(value)) return 'template_syntax'
  const refs = references(value)
  if (refs && !(ctx.isDefined && refs.every((r) => ctx.isDefined?.(r)))) return 'unexpanded_reference'

  // Masked or elided copies of a value.
  // A credential may contain * or . by chance, so inside one only a mask or
  // ellipsis between plain characters counts: sk-****wxyz, sk-...wxyz, sk-proj-abc….
  if (/^[*•·.\u2026#x-]+$/i.test(value) && /[*•·\u2026]{3,}|\.{3}/.test(value)) return 'masked'
  if (credential && (/^[\w-]{0,16}(?:[*•]{4,}|\.{3}|\u2026)[\w-]{0,8}$/.test(value) || /^[\w-]{0,24}(?:\.{3}|\u2026)$/.test(value))) return 'masked'

  if (credential && EMPTY_WORDS.has(value.toLowerCase())) return 'empty_word'
  if (value.length >= 4 && /[a-z]/i.test(value) && squash(value) === squash(name) && !spaced) return 'name_as_value'

  if (isPem(value)) {
    // A real PEM body is base64 (after optional "Proc-Type: …" header lines) and long.
    const body = value
      .replace(/-----(?:BEGIN|END) [A-Z0-9 ]+-----/g, '')
      .split('\n')
      .filter((l) => !/^[A-Za-z-]+:/.test(l.trim()))
      .join('')
      .replace(/\s+/g, '')
    return body.length < 40 || !/^[A-Za-z0-9+/=]+$/.test(body) ? 'template_words' : undefined
  }
  if (isUrl(value)) return urlPlaceholder(value)
  if (isEmail(value)) {
    const domain = value.slice(value.lastIndexOf('@') + 1)
    if (isPlaceholderHost(domain)) return 'reserved_domain'
    return templateWords(value.slice(0, value.lastIndexOf('@')), false) ? 'template_words' : undefined
  }
  if ((isHostname(value) && !credential) || (isAddressName(name) && !spaced)) {
    if (isPlaceholderHost(value)) return 'reserved_domain'
    const tokens = valueTokens(value)
    if (tokens.some((t) => /^x{3,}$/.test(t) || t === 'placeholder' || t === 'changeme') || /^<|^your[-_]/i.test(value)) return 'template_words'
    return undefined
  }
  if (isPath(value)) return /(?:^|\/)path\/to\/|\/your[-_]/i.test(value) ? 'template_words' : undefined

  if (vendorTemplate(value, credential)) return 'vendor_template'
  if (templateWords(value, credential)) return 'template_words'

  // A credential copied from the example file: the example is committed, so its value is public.
  const example = ctx.exampleValue?.trim()
  if (credential && example && value === example) return 'same_as_example'
  return undefined
}
