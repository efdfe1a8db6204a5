import type { ParleyMigration } from './types';

/**
 * Notification settings per user: for a server (level and mute) and, where someone departs
 * from it, for a channel. Kept on the server so they follow the user to every device; rows go
 * with the server, channel or user they are about.
 */
export const notificationSettings: ParleyMigration = {
  async up(db, t) {
    await db.schema
      .createTable('guild_notification_settings')
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('guild_id', t.id, (c) => c.notNull().references('guilds.id').onDelete('cascade'))
      // 0 all messages, 1 only mentions, 2 nothing (Discord's message_notifications).
      .addColumn('message_notifications', 'integer', (c) => c.notNull())
      .addColumn('muted', 'integer', (c) => c.notNull().defaultTo(0))
      .addPrimaryKeyConstraint('guild_notification_settings_pk', ['user_id', 'guild_id'])
      .execute();

    await db.schema
      .createTable('channel_notification_settings')
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('channel_id', t.id, (c) => c.notNull().references('channels.id').onDelete('cascade'))
      // Denormalised so a server's overrides are one indexed lookup.
      .addColumn('guild_id', t.id, (c) => c.notNull().references('guilds.id').onDelete('cascade'))
      // 0–2 as above, 3 to follow the server.
      .addColumn('message_notifications', 'integer', (c) => c.notNull())
      .addColumn('muted', 'integer', (c) => c.notNull().defaultTo(0))
      .addPrimaryKeyConstraint('channel_notification_settings_pk', ['user_id', 'channel_id'])
      .execute();
    await db.schema.createIndex('channel_notification_settings_user_guild').on('channel_notification_settings').columns(['user_id', 'guild_id']).execute();
  },
};
