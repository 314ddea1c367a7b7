// Alerts from the migration readers: the schema is behind, broken, ahead,
// edited or branched, or cannot be read.
import type { MetricDef } from '../../exposition/metric.js'
import {
  MIGRATION_CHECKSUM_MISMATCH,
  MIGRATION_FAILED,
  MIGRATION_HEADS,
  MIGRATION_PENDING,
  MIGRATION_READ_OK,
  MIGRATION_UNKNOWN,
} from '../../../probes/postgres/migrations/collector.js'
import { ruleGroup, WHERE, type RuleContext } from '../spec.js'

/** `metric <condition>`, with the service's group added (migration metrics carry only `service`). */
const when =
  (metric: MetricDef, condition: string) =>
  (x: RuleContext): string =>
    x.withGroup(`${x.sel(metric)} ${condition}`)

export const migrationAlerts = ruleGroup('groundtruth-migrations', [
  {
    name: 'GroundtruthMigrationPending',
    for: '30m',
    severity: 'warning',
    expr: when(MIGRATION_PENDING, '> 0'),
    summary: '{{ $labels.service }} has pending migrations',
    description: `The database of ${WHERE} lacks {{ $value }} {{ $labels.tool }} migration(s) that are on disk: the code expects a schema that is not there.`,
  },
  {
    name: 'GroundtruthMigrationFailed',
    for: '0m',
    severity: 'critical',
    expr: when(MIGRATION_FAILED, '> 0'),
    summary: '{{ $labels.service }} has a failed migration',
    description: `{{ $value }} {{ $labels.tool }} migration(s) of ${WHERE} are recorded as failed, unfinished or dirty, or the migration lock is held: the schema is in an unknown state.`,
  },
  {
    name: 'GroundtruthMigrationUnknown',
    for: '15m',
    severity: 'warning',
    expr: when(MIGRATION_UNKNOWN, '> 0'),
    summary: '{{ $labels.service }} has unknown (ghost) migrations',
    description: `The database of ${WHERE} records {{ $value }} {{ $labels.tool }} migration(s) that are not on disk: the running code is older than the schema, or a migration was deleted.`,
  },
  {
    name: 'GroundtruthMigrationChecksumMismatch',
    for: '0m',
    severity: 'warning',
    expr: when(MIGRATION_CHECKSUM_MISMATCH, '> 0'),
    summary: '{{ $labels.service }} has edited migrations',
    description: `{{ $value }} {{ $labels.tool }} migration(s) of ${WHERE} were applied and then edited on disk: the checksums no longer match.`,
  },
  {
    name: 'GroundtruthMigrationHeads',
    for: '0m',
    severity: 'warning',
    expr: when(MIGRATION_HEADS, '> 1'),
    summary: '{{ $labels.service }} has several migration heads',
    description: `The {{ $labels.tool }} revision graph of ${WHERE} has {{ $value }} heads: branches that were never merged.`,
  },
  {
    name: 'GroundtruthMigrationUnreadable',
    for: '5m',
    severity: 'warning',
    expr: when(MIGRATION_READ_OK, '== 0'),
    summary: 'Migrations of {{ $labels.service }} cannot be read',
    description: `groundtruth cannot read the {{ $labels.tool }} history table or migration directory of ${WHERE}, so its migration state is unknown; the error is in /status.`,
  },
])
