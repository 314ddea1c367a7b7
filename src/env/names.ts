// What a variable's name says about its value. The same value means different
// things under different names: "example" is a placeholder in API_KEY and an
// ordinary word in APP_MODE; "redis123" is a weak password in REDIS_PASSWORD
// and a plain name in REDIS_DB. Names are read token by token, as a person
// reads them, so that KEYBOARD_LAYOUT holds no key and JWT_EXPIRES_IN no secret.

/** Upper-case tokens of a name: `NEXT_PUBLIC_apiKey` → NEXT, PUBLIC, API, KEY. */
export function nameTokens(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .split(/[^A-Za-z0-9]+/)
    .filter((t) => t !== '')
    .map((t) => t.toUpperCase())
}

/** Tokens that make a name hold a credential wherever they appear. */
const CREDENTIAL_TOKENS = new Set([
  'KEY', 'KEYS', 'APIKEY', 'SECRET', 'SECRETS', 'TOKEN', 'TOKENS', 'PASSWORD', 'PASSWORDS', 'PASS', 'PASSWD', 'PWD',
  'PASSPHRASE', 'CREDENTIAL', 'CREDENTIALS', 'CREDS', 'AUTH', 'DSN', 'PRIVATE', 'SALT', 'PEPPER', 'SIGNATURE', 'MNEMONIC',
])

/** Glued compounds (PGPASSWORD, NEXTAUTHSECRET, ACCESSTOKEN); a bare KEY suffix is not enough (MONKEY). */
const CREDENTIAL_SUFFIX = /(?:PASSWORD|PASSWD|SECRET|TOKEN|APIKEY|SECRETKEY|PRIVATEKEY|ACCESSKEY|AUTHKEY)$/

/**
 * A last token that makes the name *about* a credential rather than the
 * credential itself: JWT_EXPIRES_IN, PASSWORD_MIN_LENGTH, TOKEN_URL,
 * SSL_KEY_FILE, AUTH_PROVIDER, AWS_ACCESS_KEY_ID (an identifier, not the secret).
 */
const META_LAST = new Set([
  'ID', 'IDS', 'URL', 'URLS', 'URI', 'ENDPOINT', 'HOST', 'HOSTNAME', 'PORT', 'PATH', 'FILE', 'DIR', 'DIRECTORY',
  'USER', 'USERNAME', 'NAME', 'EMAIL', 'TTL', 'EXPIRY', 'EXPIRES', 'EXPIRE', 'EXPIRATION', 'IN', 'LIFETIME',
  'TIMEOUT', 'AGE', 'LENGTH', 'LEN', 'SIZE', 'BITS', 'ALGORITHM', 'ALGORITHMS', 'ALG', 'ALGO', 'HEADER', 'ISSUER',
  'AUDIENCE', 'PREFIX', 'SUFFIX', 'ENABLED', 'ENABLE', 'DISABLED', 'DISABLE', 'REQUIRED', 'TYPE', 'MODE',
  'PROVIDER', 'REGION', 'VERSION', 'FORMAT', 'FIELD', 'PARAM', 'ROTATION', 'STRATEGY', 'METHOD', 'SCOPE', 'SCOPES',
  'KIND', 'DAYS', 'HOURS', 'MINUTES', 'SECONDS', 'MS', 'SEC', 'COUNT', 'MAX', 'MIN', 'LIMIT', 'RETRIES',
  'ATTEMPTS', 'POLICY', 'STORE', 'BACKEND', 'LOCATION', 'NAMESPACE', 'ROLE', 'ARN', 'ENV', 'ENVIRONMENT', 'DEBUG',
  'DOMAIN', 'DOMAINS', 'REALM', 'SERVER', 'CALLBACK', 'REDIRECT', 'TENANT',
])

/**
 * Words before KEY that make it a lookup key, not a credential: CACHE_KEY,
 * SORT_KEY, PRIMARY_KEY, STORAGE_KEY, FEATURE_FLAG_KEY, IDEMPOTENCY_KEY ...
 */
const LOOKUP_KEY_QUALIFIERS = new Set([
  'CACHE', 'SORT', 'PRIMARY', 'PARTITION', 'FOREIGN', 'COMPOSITE', 'STORAGE', 'LOCALSTORAGE', 'FEATURE', 'FLAG', 'TOGGLE',
  'I18N', 'TRANSLATION', 'LOOKUP', 'ROUTING', 'IDEMPOTENCY', 'DEDUP', 'DEDUPE', 'MAP', 'INDEX', 'SHARD', 'QUEUE',
  'LOCK', 'OBJECT', 'GROUP', 'TOPIC', 'MESSAGE', 'EVENT', 'METRIC', 'LABEL', 'SETTINGS', 'CONFIG', 'ENTRY', 'HOT',
  'SHORTCUT', 'KEYBOARD', 'SEARCH', 'FIELD', 'COLUMN', 'TABLE', 'BUCKET', 'STREAM', 'STATE', 'CONTEXT', 'LOG', 'TRACE',
])

/** Keys meant to be public (shipped to browsers): their strength does not matter, their presence does. */
const PUBLIC_TOKENS = new Set(['PUBLIC', 'PUBLISHABLE', 'SITE', 'ANON'])

/** The value is a credential (secret or public key): template words in it mean "not filled in". */
export function isCredentialName(name: string): boolean {
  const tokens = nameTokens(name)
  const last = tokens.at(-1)
  if (last === undefined || META_LAST.has(last)) return false
  return tokens.some((t, i) => {
    if ((t === 'KEY' || t === 'KEYS') && LOOKUP_KEY_QUALIFIERS.has(tokens[i - 1] ?? '')) return false
    return CREDENTIAL_TOKENS.has(t) || CREDENTIAL_SUFFIX.test(t)
  })
}

/** A credential that must stay secret, so its strength matters. */
export function isSecretName(name: string): boolean {
  return isCredentialName(name) && !nameTokens(name).some((t) => PUBLIC_TOKENS.has(t))
}

/** *_PASSWORD, *_PASS, *_PWD, PGPASSWORD ...: judged against known-weak passwords. */
export function isPasswordName(name: string): boolean {
  const last = nameTokens(name).at(-1)
  if (last === undefined) return false
  return ['PASS', 'PWD', 'PASSWD', 'PASSPHRASE', 'PASSWORD', 'PASSWORDS'].includes(last) || /(?:PASSWORD|PASSWD)$/.test(last)
}

/** *_SECRET, *_KEY, *_TOKEN (not public ones): machine secrets that should be long. */
export function isKeyLikeName(name: string): boolean {
  if (!isSecretName(name) || isPasswordName(name)) return false
  const last = nameTokens(name).at(-1) ?? ''
  return ['SECRET', 'KEY', 'TOKEN', 'SALT', 'PEPPER'].includes(last) || CREDENTIAL_SUFFIX.test(last)
}

/** Names whose value is a host, URL or address: a word inside them is part of a name, not a template. */
export function isAddressName(name: string): boolean {
  const last = nameTokens(name).at(-1) ?? ''
  return ['HOST', 'HOSTNAME', 'HOSTS', 'SERVER', 'SERVERS', 'DOMAIN', 'DOMAINS', 'URL', 'URLS', 'URI', 'ENDPOINT', 'ADDR', 'ADDRESS', 'ORIGIN', 'ORIGINS', 'DSN'].includes(last)
}

/** NODE_ENV, APP_ENV, RAILS_ENV, ASPNETCORE_ENVIRONMENT ...: the application's own idea of where it runs. */
export function isAppEnvironmentName(name: string): boolean {
  const last = nameTokens(name).at(-1)
  return last === 'ENV' || last === 'ENVIRONMENT' || name === 'SPRING_PROFILES_ACTIVE'
}

/** DEBUG, APP_DEBUG, FLASK_DEBUG, DJANGO_DEBUG ... */
export function isDebugName(name: string): boolean {
  return nameTokens(name).at(-1) === 'DEBUG'
}

/** PAYPAL_MODE, PLAID_ENV, SQUARE_ENVIRONMENT ...: a vendor's sandbox switch. */
export function isModeName(name: string): boolean {
  const last = nameTokens(name).at(-1)
  return last === 'MODE' || last === 'ENV' || last === 'ENVIRONMENT'
}
