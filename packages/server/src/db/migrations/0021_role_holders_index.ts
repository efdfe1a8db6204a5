import type { ParleyMigration } from './types';

/**
 * Who holds a role, from the index alone: `member_roles_role_id` gains `user_id`. Without it,
 * and with no statistics (SQLite is never ANALYZEd here), SQLite answered "holders of these
 * roles" by scanning the guild's every grant in primary-key order: ~0.17 ms per message in a
 * channel whose overwrites hide it from a role (bench/README.md, "Roles and overwrites").
 */
export const roleHoldersIndex: ParleyMigration = {
  async up(db) {
    await db.schema.dropIndex('member_roles_role_id').execute();
    await db.schema.createIndex('member_roles_role_id').on('member_roles').columns(['guild_id', 'role_id', 'user_id']).execute();
  },
};
