// One value, one verdict: configured, placeholder, missing or weak (SPEC §3).
// Order matters: an empty value is missing; a placeholder is reported as a
// placeholder even when it is also weak (`sk_test_placeholder…` in
// production is "not filled in" first, "test mode" second); only a real
// value is judged for strength.
//
// The verdict carries names of rules and reasons, never the value or any
// part of it, so it can go to labels, /status and reports as is.

import { placeholderReason, type PlaceholderReason } from './placeholder.js'
import { weakRule, type WeakRule } from './weak.js'

export type EnvState = 'configured' | 'placeholder' | 'missing' | 'weak'
export const ENV_STATES: readonly EnvState[] = ['configured', 'placeholder', 'missing', 'weak']

export interface ClassifyContext {
  /** What the value is judged for: production, staging, development ... */
  environment: string
  /** The value the example file gives the same name, if any. */
  exampleValue?: string
  /**
   * Whether a variable is defined next to this one. A value such as
   * `postgres://${DB_USER}:${DB_PASS}@db/app` is a reference when dotenv-expand
   * or docker compose expands it from variables defined alongside; such a
   * value is judged through those variables. Without this, every `${…}` is
   * an unexpanded placeholder (the process environment is already expanded).
   */
  isDefined?: (name: string) => boolean
}

export interface Classification {
  state: EnvState
  /** For state weak: which rule (a stable label value). */
  rule?: WeakRule
  /** For state placeholder: why. */
  reason?: PlaceholderReason
}

export function classifyValue(name: string, value: string, ctx: ClassifyContext): Classification {
  // dotenv trims unquoted values; a quoted "   " is as empty as nothing. A value
  // quoted twice ("\"sk-...\"") keeps one pair of quotes; what is inside them tells what it is.
  const v = value.trim().replace(/^(["'`])([\s\S]*)\1$/, '$2').trim()
  if (v === '') return { state: 'missing' }
  const reason = placeholderReason(name, v, ctx)
  if (reason) return { state: 'placeholder', reason }
  // A value made of references to defined variables is judged through them.
  if (/^(?:\$\{[^}]*\}|\$[A-Z_][A-Z0-9_]*)$/.test(v)) return { state: 'configured' }
  const rule = weakRule(name, v, ctx.environment)
  if (rule) return { state: 'weak', rule }
  return { state: 'configured' }
}
