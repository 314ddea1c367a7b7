// The audit judges values "for `environment`" (SPEC §3). What is unsafe
// depends on where the values are used: a Stripe test key is right in
// staging and wrong in production; "postgres" as a password is the expected
// thing on a laptop and a finding on any shared machine.

export type EnvironmentKind = 'production' | 'development' | 'other'

/**
 * production: prod, production, live, prd.
 * development: dev, develop, development, local, test, testing, ci — where dev
 *   defaults are the expected values, so no weak rule applies.
 * other (staging, qa, uat, preview ...): reachable by others, so secret
 *   strength is judged, but test keys and debug switches are allowed.
 */
export function environmentKind(environment: string): EnvironmentKind {
  const e = environment.trim().toLowerCase()
  if (/^(?:prod|production|live|prd)$/.test(e)) return 'production'
  if (/^(?:dev|develop|development|local|test|testing|ci)$/.test(e)) return 'development'
  return 'other'
}
