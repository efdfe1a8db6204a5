import type { Kysely } from 'kysely';
import type { DialectName } from '../database';

/** Column types that differ between the engines, so one migration serves both. */
export function columnTypes(dialect: DialectName) {
  return {
    dialect,
    // In SQLite "integer primary key" makes the snowflake the rowid: the table's own B-tree key.
    id: dialect === 'sqlite' ? ('integer' as const) : ('bigint' as const),
    millis: 'bigint' as const,
  };
}

export type ColumnTypes = ReturnType<typeof columnTypes>;

/** A migration that knows which engine it runs on. Migrations are never edited once shipped. */
export interface ParleyMigration {
  up(db: Kysely<any>, types: ColumnTypes): Promise<void>;
}
