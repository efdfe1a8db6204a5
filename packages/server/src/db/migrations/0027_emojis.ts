import type { ParleyMigration } from './types';

/**
 * A server's custom emoji (features/emojis): its name, its image (a hash: files under
 * emojis/{id}/), whether it is animated, who added it. Reactions name them `name:id`.
 */
export const emojis: ParleyMigration = {
  async up(db, t) {
    await db.schema
      .createTable('emojis')
      .addColumn('id', t.id, (c) => c.primaryKey())
      .addColumn('guild_id', t.id, (c) => c.notNull().references('guilds.id').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('image', 'text', (c) => c.notNull())
      .addColumn('animated', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('creator_id', t.id, (c) => c.notNull().references('users.id'))
      .addColumn('created_at', t.millis, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('emojis_guild').on('emojis').columns(['guild_id', 'id']).execute();
  },
};
