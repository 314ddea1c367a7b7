// Weak values: set, and working, but unsafe for the environment they are
// judged for. Each rule has a stable name because it becomes the `rule`
// label of groundtruth_env_variable_weak (SPEC §3); renaming one breaks
// users' alerts. One rule is reported per variable: the most specific one
// that applies, in the order weakRule checks them.

import { environmentKind } from './environment.js'
import { isAppEnvironmentName, isDebugName, isKeyLikeName, isModeName, isPasswordName, isSecretName, nameTokens } from './names.js'
import { isPath, isPem, isUrl, plainWords } from './shape.js'
import { COMMON_PASSWORDS, DEV_DEFAULT_SECRETS, squash, unleet } from './wordlists.js'

export const WEAK_RULES = [
  { rule: 'test_mode_key', description: 'a test-mode or sandbox credential in production (sk_test_/pk_test_/rk_test_, rzp_test_, Turnstile/reCAPTCHA test keys, *_MODE/*_ENV=sandbox)' },
  { rule: 'debug_in_production', description: 'a development or debug switch in production (NODE_ENV=development, APP_ENV=local, DEBUG=true, FLASK_DEBUG=1)' },
  { rule: 'dev_default_secret', description: 'a secret that names itself a development default (secret, dev-secret-…, django-insecure-…, keyboard cat, my-super-secret-key)' },
  { rule: 'weak_password', description: 'a known-weak password (common list, image defaults, word+digits like redis123 or admin2024, ≤12 lower-case letters, the user name) for *_PASSWORD/*_PASS/*_PWD and inside URLs' },
  { rule: 'sequential_or_repeated', description: 'a secret made of runs or repeats (0123456789abcdef…, abcdef…, aaaa…, 1234…)' },
  { rule: 'too_short', description: 'a *_SECRET/*_KEY/*_TOKEN under 16 characters, or a password under 8' },
] as const

export type WeakRule = (typeof WEAK_RULES)[number]['rule']

const MIN_SECRET_LENGTH = 16
const MIN_PASSWORD_LENGTH = 8

/** The weak rule `value` (non-empty, not a placeholder) breaks for `name` in `environment`, if any. */
export function weakRule(name: string, value: string, environment: string): WeakRule | undefined {
  const kind = environmentKind(environment)
  if (kind === 'production') {
    if (isTestModeKey(name, value)) return 'test_mode_key'
    if (isDebugSetting(name, value)) return 'debug_in_production'
  }
  // Dev defaults are the expected values on a developer's machine.
  if (kind === 'development') return undefined

  if (isUrl(value)) return urlPasswordRule(value)
  if (!isSecretName(name) || isPath(value) || isPem(value)) return undefined
  const password = isPasswordName(name)
  // A password is judged as a password first ("admin" is a weak password, not a dev secret).
  if (password && (isCommonPassword(value) || isWeakPasswordShape(name, value))) return 'weak_password'
  if (isDevDefault(name, value)) return 'dev_default_secret'
  if (isCommonPassword(value)) return 'weak_password'
  if (isSequentialOrRepeated(value)) return 'sequential_or_repeated'
  if (password && value.length < MIN_PASSWORD_LENGTH) return 'too_short'
  if (isKeyLikeName(name) && value.length < MIN_SECRET_LENGTH) return 'too_short'
  return undefined
}

/**
 * Vendors' documented test keys that always pass: Cloudflare Turnstile's
 * dummy site and secret keys, Google reCAPTCHA v2's test pair. In production
 * they switch the bot check off.
 */
const ALWAYS_PASS_TEST_KEYS = /^[123]x0{20}(?:AA|AB|BB|FF)$|^[123]x0{31}AA$|^6LeIxAcTAAAAAJcZVRqyHh71UMIEGNQ_MXjiZKhI$|^6LeIxAcTAAAAAGG-vFI1TnRWxMZNFuojJ4WifJWe$/

function isTestModeKey(name: string, value: string): boolean {
  if (/^(?:sk|pk|rk)_test_|^rzp_test_|^FLW(?:SEC|PUB)K_TEST-|^sandbox-sq0/.test(value)) return true
  if (ALWAYS_PASS_TEST_KEYS.test(value)) return true
  return isModeName(name) && /^sandbox$/i.test(value.trim())
}

function isDebugSetting(name: string, value: string): boolean {
  const v = value.trim().toLowerCase()
  if (isDebugName(name)) return /^(?:1|true|yes|on|y|t|\*)$/.test(v)
  if (isAppEnvironmentName(name)) return /^(?:dev|develop|development|local|debug|test|testing)$/.test(v)
  return false
}

/** Words by which a value names itself a secret. */
const SECRET_WORDS = ['secret', 'key', 'token', 'password', 'pass', 'pwd', 'jwt', 'session', 'signing', 'salt', 'cookie', 'auth', 'api', 'refresh', 'encryption', 'private']

/** A secret that says it is a development value, or a phrase that names itself a secret. */
function isDevDefault(name: string, value: string): boolean {
  // Case-consistent words only: "fc,Fpt-}API[bYaoM" and "xqXqecwbPWD_eOLN…" are random passwords, not phrases.
  const tokens = plainWords(value)
  const base = squash(value).replace(/\d+$/, '')
  if (DEV_DEFAULT_SECRETS.has(squash(value)) || (base !== '' && DEV_DEFAULT_SECRETS.has(base))) return true
  if (/^sh+$/i.test(value)) return true // "shhhhh": the express-jwt README's secret
  if (tokens.some((t) => ['insecure', 'unsafe', 'notsecure', 'notasecret'].includes(t))) return true
  const first = tokens[0] ?? ''
  if (['dev', 'development', 'local', 'test', 'testing', 'demo', 'default', 'debug', 'staging'].includes(first) && tokens.some((t) => SECRET_WORDS.includes(t))) return true
  // A human phrase (words, maybe a short number) that contains a secret word: my-super-secret-key, secret-change-in-production.
  const phrase = tokens.length >= 2 && /^[A-Za-z0-9]+(?:[-_. ][A-Za-z0-9]+)+$/.test(value) && tokens.every((t) => /^[a-z]+$/.test(t) || /^\d{1,3}$/.test(t))
  if (phrase && tokens.some((t) => SECRET_WORDS.includes(t))) return true
  // SESSION_SECRET=session-secret-2024: the name itself, maybe with a number
  return base.length >= 4 && squash(name).endsWith(base)
}

function isCommonPassword(value: string): boolean {
  const stripped = value.replace(/[\d!@#$%^&*.?_-]+$/, '')
  return [value.toLowerCase(), unleet(value), stripped.toLowerCase(), unleet(stripped)].some((v) => v !== '' && COMMON_PASSWORDS.has(v))
}

/** redis123, postgres123, admin2024, Summer2024!, openmeet123, a single lower-case word, the name's own word. */
function isWeakPasswordShape(name: string, value: string): boolean {
  // A word (lower case or Capitalised, not random mixed case) followed or preceded by digits.
  if (/^[A-Za-z][a-z]{1,15}\d{1,8}[!@#$%^&*.?]{0,2}$/.test(value) || /^\d{1,8}[a-z]{2,16}$/.test(value)) return true
  if (/^[a-z]{1,12}$/.test(value)) return true
  const word = value.toLowerCase().replace(/\d+$/, '')
  return nameTokens(name).some((t) => t.toLowerCase() === word)
}

/**
 * Runs and repeats: at least half of the characters sit in runs of four or
 * more that step by +1, -1 or 0 (0123, dcba, aaaa), or the value is one
 * short unit repeated (abcabcabc). A random key has neither.
 */
export function isSequentialOrRepeated(value: string): boolean {
  const v = value.toLowerCase()
  if (v.length < 4) return false
  if (new Set(v).size <= 2 && v.length >= 6) return true
  if (smallestPeriod(v) <= v.length / 2) return true
  const inRun = new Array<boolean>(v.length).fill(false)
  let start = 0
  while (start < v.length - 1) {
    const step = v.charCodeAt(start + 1) - v.charCodeAt(start)
    let end = start + 1
    if (Math.abs(step) <= 1) {
      while (end + 1 < v.length && v.charCodeAt(end + 1) - v.charCodeAt(end) === step) end++
      if (end - start >= 3) inRun.fill(true, start, end + 1)
    }
    // The last character of one run may be the first of the next (…789abc… is two runs).
    start = end
  }
  return inRun.filter(Boolean).length >= v.length / 2
}

/**
 * The shortest p with v[i] === v[i - p] for every i ≥ p (the last unit may be
 * partial: abcabcab has period 3), from the KMP prefix function in linear
 * time — a quadratic scan would let one long value stall the audit.
 */
function smallestPeriod(v: string): number {
  const pi = new Array<number>(v.length).fill(0)
  for (let i = 1; i < v.length; i++) {
    let k = pi[i - 1] as number
    while (k > 0 && v[i] !== v[k]) k = pi[k - 1] as number
    if (v[i] === v[k]) k++
    pi[i] = k
  }
  return v.length - (pi[v.length - 1] ?? 0)
}

/** The password inside a URL (postgres://app:redis123@db) is judged as a password. */
function urlPasswordRule(value: string): WeakRule | undefined {
  let user: string
  let password: string
  try {
    const url = new URL(value)
    user = decodeURIComponent(url.username)
    password = decodeURIComponent(url.password)
  } catch {
    return undefined // not a URL, or a malformed %-escape: nothing to judge
  }
  if (password === '' || /^\$\{.*\}$/.test(password)) return undefined
  if (password === user) return 'weak_password'
  if (isCommonPassword(password) || isWeakPasswordShape('', password) || isDevDefault('', password)) return 'weak_password'
  if (isSequentialOrRepeated(password)) return 'sequential_or_repeated'
  if (password.length < MIN_PASSWORD_LENGTH) return 'too_short'
  return undefined
}
