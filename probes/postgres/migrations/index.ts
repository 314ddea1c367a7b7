// The migration tools groundtruth reads. Adding one: a file beside this one
// (its reader: what is on disk and in the history table, by the tool's own
// rules), its tests, and one line in READERS. The tool names (the setting's
// choices, the metrics' `tool` label) come from this list.
import { alembic } from './alembic.js'
import { django } from './django.js'
import { drizzle } from './drizzle.js'
import { flyway } from './flyway.js'
import { golangMigrate } from './golang-migrate.js'
import { knex } from './knex.js'
import { nodePgMigrate } from './node-pg-migrate.js'
import { prisma } from './prisma.js'
import { sequelize } from './sequelize.js'
import { typeorm } from './typeorm.js'
import type { MigrationReader } from './types.js'

const READERS = [alembic, prisma, django, knex, flyway, golangMigrate, typeorm, sequelize, drizzle, nodePgMigrate] as const

export type MigrationToolName = (typeof READERS)[number]['tool']
export const MIGRATION_TOOLS = READERS.map((r) => r.tool) as [MigrationToolName, ...MigrationToolName[]]
export const MIGRATION_READERS: ReadonlyMap<string, MigrationReader> = new Map(READERS.map((r) => [r.tool, r]))
export * from './types.js'
