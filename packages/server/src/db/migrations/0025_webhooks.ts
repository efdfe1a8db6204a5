import type { ParleyMigration } from './types';

/**
 * Incoming webhooks (features/webhooks) and rich embeds:
 * - `webhooks`: one per URL, posting into one channel. Its ID is also the ID of the bot user its
 *   messages are authored by (so messages keep their author after it is deleted). Only the
 *   SHA-256 of its token is kept (`token_hash`): the token is shown once, when it is made.
 * - `messages.webhook_id`, `messages.author_name`: which webhook posted it, under what name;
 * - `messages.embeds`: the message's embeds as JSON (protocol Embed), null when it has none.
 */
export const webhooks: ParleyMigration = {
  async up(db, t) {
    await db.schema
      .createTable('webhooks')
      .addColumn('id', t.id, (c) => c.primaryKey().references('users.id'))
      .addColumn('guild_id', t.id, (c) => c.notNull().references('guilds.id').onDelete('cascade'))
      .addColumn('channel_id', t.id, (c) => c.notNull().references('channels.id').onDelete('cascade'))
      .addColumn('creator_id', t.id, (c) => c.notNull().references('users.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('token_hash', 'text', (c) => c.notNull())
      .addColumn('created_at', t.millis, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('webhooks_channel').on('webhooks').column('channel_id').execute();
    await db.schema.createIndex('webhooks_guild').on('webhooks').column('guild_id').execute();
    await db.schema.alterTable('messages').addColumn('webhook_id', t.id).execute();
    await db.schema.alterTable('messages').addColumn('author_name', 'text').execute();
    await db.schema.alterTable('messages').addColumn('embeds', 'text').execute();
  },
};
