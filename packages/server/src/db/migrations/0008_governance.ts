import type { ParleyMigration } from './types';

/**
 * Roles, permissions and moderation (Discord's governance model):
 * - `permission_overwrites`: per channel, what a role (@everyone's id is the guild's) or a member
 *   is allowed or denied there (permission bits as decimal strings);
 * - members gain a timeout (`communication_disabled_until`) and server mute and deafen;
 * - `bans`: who may not be a member, and why;
 * - `audit_log_entries`: every moderation and settings change, with who, whom, what and why.
 */
export const governance: ParleyMigration = {
  async up(db, t) {
    await db.schema
      .createTable('permission_overwrites')
      .addColumn('channel_id', t.id, (c) => c.notNull().references('channels.id').onDelete('cascade'))
      /** A role's id (type 0) or a user's id (type 1). */
      .addColumn('target_id', t.id, (c) => c.notNull())
      .addColumn('type', 'integer', (c) => c.notNull())
      .addColumn('allow', 'text', (c) => c.notNull())
      .addColumn('deny', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('permission_overwrites_pk', ['channel_id', 'target_id'])
      .execute();
    await db.schema.createIndex('permission_overwrites_target_id').on('permission_overwrites').column('target_id').execute();
    // Who holds a role (a channel's audience, deleting a role), without reading the guild's every grant.
    await db.schema.createIndex('member_roles_role_id').on('member_roles').columns(['guild_id', 'role_id']).execute();

    await db.schema.alterTable('members').addColumn('communication_disabled_until', t.millis).execute();
    await db.schema
      .alterTable('members')
      .addColumn('mute', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema
      .alterTable('members')
      .addColumn('deaf', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();

    await db.schema
      .createTable('bans')
      .addColumn('guild_id', t.id, (c) => c.notNull().references('guilds.id').onDelete('cascade'))
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('reason', 'text')
      .addColumn('created_at', t.millis, (c) => c.notNull())
      .addPrimaryKeyConstraint('bans_pk', ['guild_id', 'user_id'])
      .execute();

    await db.schema
      .createTable('audit_log_entries')
      .addColumn('id', t.id, (c) => c.primaryKey())
      .addColumn('guild_id', t.id, (c) => c.notNull().references('guilds.id').onDelete('cascade'))
      /** Who acted. */
      .addColumn('user_id', t.id, (c) => c.notNull())
      /** Whom or what it was done to (a user, role, channel, message author…). */
      .addColumn('target_id', t.id)
      .addColumn('action_type', 'integer', (c) => c.notNull())
      /** JSON: [{key, old_value?, new_value?}] */
      .addColumn('changes', 'text')
      /** JSON: Discord's optional entry info (channel_id, count, delete_member_days…). */
      .addColumn('options', 'text')
      .addColumn('reason', 'text')
      .execute();
    await db.schema.createIndex('audit_log_entries_guild_id').on('audit_log_entries').columns(['guild_id', 'id']).execute();
  },
};
