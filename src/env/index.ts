// The env audit's public surface (SPEC §2 `env:`, §3 groundtruth_env_*).
export { auditEnv, configuredRatio, type EnvAuditOptions, type EnvSourceFinding, type EnvSourceSpec, type EnvVariableFinding } from './audit.js'
export { classifyValue, ENV_STATES, type ClassifyContext, type Classification, type EnvState } from './detect.js'
export { readDotenvFile, parseDotenv, type DotenvDuplicate, type DotenvRead } from './dotenv-file.js'
export { environmentKind, type EnvironmentKind } from './environment.js'
export type { PlaceholderReason } from './placeholder.js'
export { WEAK_RULES, type WeakRule } from './weak.js'
