// The migration tools groundtruth reads. Adding one: a file beside this one,
// its tests, and one line here.
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
import type { MigrationReader, MigrationToolName } from './types.js'

export const MIGRATION_READERS: ReadonlyMap<MigrationToolName, MigrationReader> = new Map(
  [alembic, prisma, django, knex, flyway, golangMigrate, typeorm, sequelize, drizzle, nodePgMigrate].map((r) => [r.tool, r]),
)
export * from './types.js'
