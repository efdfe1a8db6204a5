import type { ParleyMigration } from './types';

/**
 * `guilds.rules_version`: raised by every change to a guild's roles or channel overwrites, in the
 * same transaction (access/guild-rules.ts). Each node keeps a guild's rules in memory and knows
 * from the guild row, which it reads anyway, whether they are still current, without a bus.
 */
export const guildRulesVersion: ParleyMigration = {
  async up(db) {
    await db.schema
      .alterTable('guilds')
      .addColumn('rules_version', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
  },
};
