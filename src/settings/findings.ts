// The finding kinds the verdict knows (SPEC "The verdict"): what `gates.env`
// and `gates.migrations` may list, and what a service's `migrations.fail_on`
// may narrow. Shared vocabulary of the config, the env audit and the
// migrations concern.

/** Env states that are findings (everything but configured). */
export const ENV_FINDINGS = ['placeholder', 'missing', 'weak'] as const
export type EnvFindingKind = (typeof ENV_FINDINGS)[number]

/** What can be wrong with a service's migrations; `branched` = more than one head. */
export const MIGRATION_FINDINGS = ['pending', 'failed', 'unknown', 'branched'] as const
export type MigrationFindingKind = (typeof MIGRATION_FINDINGS)[number]

/** The defaults of `gates.env`: weak values fail only where weakness matters, in production. */
export function defaultEnvGate(production: boolean): EnvFindingKind[] {
  return production ? ['placeholder', 'missing', 'weak'] : ['placeholder', 'missing']
}
