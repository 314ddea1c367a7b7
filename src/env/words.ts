// Plain words for the env audit's codes: why a value is a placeholder, which
// weak rule it breaks, what its state means. The codes stay stable (they are
// label values and /status fields); the reports say the words, the code in
// parentheses after them.
import type { EnvState } from './detect.js'
import type { PlaceholderReason } from './placeholder.js'
import type { WeakRule } from './weak.js'

/** Why a value is a placeholder, as a phrase that completes "the value is …". */
export const PLACEHOLDER_WORDS: Record<PlaceholderReason, string> = {
  template_syntax: 'an unfilled template slot like <TOKEN> or {{ token }}',
  unexpanded_reference: 'a ${VAR} reference that nothing expanded',
  template_words: 'template text like your-key-here or changeme, not a real value',
  vendor_template: "a vendor's key prefix followed by template text, not a real key",
  reserved_domain: 'an example domain like example.com',
  masked: 'a masked or shortened copy like ******** or sk-...',
  empty_word: 'a word for no value like null, none or n/a',
  name_as_value: "the variable's own name",
  same_as_example: 'the same secret as the committed example file, so it is public',
}

/** The weak rule a value breaks, as a phrase that completes "the value is …". */
export const WEAK_WORDS: Record<WeakRule, string> = {
  test_mode_key: 'a test-mode or sandbox key, in production',
  debug_in_production: 'a development or debug switch, in production',
  dev_default_secret: 'a development default secret that anyone could guess',
  weak_password: 'a known weak password',
  sequential_or_repeated: 'made of runs or repeated characters',
  too_short: 'too short for a secret',
}

/** What a state means for one variable: "OPENAI_API_KEY holds a placeholder". */
export const STATE_WORDS: Record<Exclude<EnvState, 'configured'> | 'unaudited', string> = {
  placeholder: 'holds a placeholder',
  missing: 'is missing',
  weak: 'is weak',
  unaudited: 'has not been audited yet',
}

/** The words for a placeholder reason, the code in parentheses; an unknown code shows as itself. */
export function placeholderWords(reason: string): string {
  const words = (PLACEHOLDER_WORDS as Record<string, string | undefined>)[reason]
  return words ? `${words} (${reason})` : reason.replace(/_/g, ' ')
}

/** The words for a weak rule, the code in parentheses; an unknown code shows as itself. */
export function weakWords(rule: string): string {
  const words = (WEAK_WORDS as Record<string, string | undefined>)[rule]
  return words ? `${words} (${rule})` : rule.replace(/_/g, ' ')
}

/** Why a variable is not configured, in words: the placeholder reason or the weak rule; empty when neither is known. */
export function whyWords(v: { state: string; reason?: string; rule?: string }): string {
  if (v.state === 'placeholder' && v.reason) return placeholderWords(v.reason)
  if (v.state === 'weak' && v.rule) return weakWords(v.rule)
  if (v.state === 'missing') return 'not set, or set to nothing'
  return ''
}
