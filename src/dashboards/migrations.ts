// The migrations dashboard: per service and tool, applied, pending, failed,
// ghost, edited and unmerged migrations, and whether they could be read.
import {
  MIGRATION_APPLIED,
  MIGRATION_AVAILABLE,
  MIGRATION_CHECKSUM_MISMATCH,
  MIGRATION_FAILED,
  MIGRATION_HEADS,
  MIGRATION_LAST_APPLIED,
  MIGRATION_PENDING,
  MIGRATION_READ_OK,
  MIGRATION_UNKNOWN,
} from '../../probes/postgres/migrations/collector.js'
import { cellColor, countField, mapping, override, thresholds, type Json } from './fields.js'
import { refId } from './layout.js'
import { stat, table, timeseries, type Query } from './panels.js'
import type { DashboardSpec } from './shell.js'
import { inGroup, ofJob } from './selectors.js'

const TABLE_TITLE = 'Migrations per service and tool'

/** The table's columns: label, query, and whether the query may be empty (heads and last applied are tool-specific). */
const COLUMNS: Array<[string, string, boolean]> = [
  ['applied', ofJob(MIGRATION_APPLIED), false],
  ['available', ofJob(MIGRATION_AVAILABLE), false],
  ['pending', ofJob(MIGRATION_PENDING), false],
  ['failed', ofJob(MIGRATION_FAILED), false],
  ['unknown', ofJob(MIGRATION_UNKNOWN), false],
  ['checksum mismatch', ofJob(MIGRATION_CHECKSUM_MISMATCH), false],
  ['heads', ofJob(MIGRATION_HEADS), true],
  ['last applied', `time() - ${ofJob(MIGRATION_LAST_APPLIED)}`, true],
  ['read ok', ofJob(MIGRATION_READ_OK), false],
]
/** Each query's value column (`Value #A` ...) in the merged table. */
const valueColumns = COLUMNS.map((_, i) => `Value #${refId(TABLE_TITLE, i)}`)

/** Colours a table cell from `from` on; below it the cell stays plain. */
const highlight = (field: string, color: string, from = 1): Json =>
  override(field, [{ id: 'color', value: { mode: 'thresholds' } }, { id: 'thresholds', value: thresholds([[null, 'transparent'], [from, color]]) }, cellColor])

const sumIn = (expr: string): string => `sum(${inGroup(expr)})`

export const migrations = {
  file: 'groundtruth-migrations.json',
  uid: 'groundtruth-migrations',
  title: 'Migrations',
  description: 'Database migrations per service and tool: applied, pending, failed, ghosts, edited, unmerged heads.',
  items: () => [
    { row: 'Summary' },
    stat({ title: 'Pending', expr: sumIn(ofJob(MIGRATION_PENDING)), field: countField('orange'), description: 'Migrations on disk, not applied.' }),
    stat({ title: 'Failed', expr: sumIn(ofJob(MIGRATION_FAILED)), field: countField('red'), description: 'Failed, unfinished, dirty, or a held lock.' }),
    stat({ title: 'Unknown (ghost)', expr: sumIn(ofJob(MIGRATION_UNKNOWN)), field: countField('red'), description: 'Applied in the database but not on disk.' }),
    stat({ title: 'Checksum mismatch', expr: sumIn(ofJob(MIGRATION_CHECKSUM_MISMATCH)), field: countField('red'), description: 'Applied, then edited on disk.' }),
    stat({
      title: 'Unmerged heads',
      expr: `count(${inGroup(`${ofJob(MIGRATION_HEADS)} > 1`)}) or vector(0)`,
      field: countField('orange'),
      description: 'Services whose revision graph has more than one head (Alembic).',
    }),
    stat({
      title: 'Unreadable',
      expr: sumIn(`1 - ${ofJob(MIGRATION_READ_OK)}`),
      field: countField('red'),
      description: 'Services whose history table or migration directory could not be read.',
    }),
    { row: 'Per service and tool' },
    table({
      title: TABLE_TITLE,
      queries: COLUMNS.map(([, expr, mayBeEmpty]): Query => ({ expr: inGroup(expr), mayBeEmpty })),
      columns: { rename: Object.fromEntries(COLUMNS.map(([label], i) => [valueColumns[i]!, label])), order: ['service', 'tool', ...valueColumns] },
      field: {
        defaults: {},
        overrides: [
          highlight('pending', 'orange'),
          highlight('failed', 'red'),
          highlight('unknown', 'red'),
          highlight('checksum mismatch', 'red'),
          highlight('heads', 'orange', 2),
          override('last applied', [{ id: 'unit', value: 's' }]),
          override('read ok', [{ id: 'mappings', value: mapping({ '0': ['unreadable', 'red'], '1': ['ok', 'green'] }) }, cellColor]),
        ],
      },
      description: 'One row per service and migration tool. last applied: age of the newest applied migration (tools that record it).',
    }),
    timeseries({
      title: 'Pending over time',
      queries: [{ expr: inGroup(ofJob(MIGRATION_PENDING)), legend: '{{service}} ({{tool}})' }],
      description: 'A migration pending for long means a deploy forgot to migrate.',
    }),
    timeseries({
      title: 'Failed, unknown, checksum mismatch',
      queries: [
        { expr: inGroup(ofJob(MIGRATION_FAILED)), legend: '{{service}} ({{tool}}) failed' },
        { expr: inGroup(ofJob(MIGRATION_UNKNOWN)), legend: '{{service}} ({{tool}}) unknown' },
        { expr: inGroup(ofJob(MIGRATION_CHECKSUM_MISMATCH)), legend: '{{service}} ({{tool}}) checksum mismatch' },
      ],
    }),
  ],
} as const satisfies DashboardSpec
