import type { ParleyMigration } from './types';

/**
 * `message_nonces`: the nonces of recent sends that asked for `enforce_nonce`, so a client that
 * retries a send whose answer it lost gets the first message back instead of a second copy.
 * The primary key makes two racing retries collide; rows older than the window are pruned as
 * their author sends again.
 */
export const messageNonces: ParleyMigration = {
  async up(db, t) {
    await db.schema
      .createTable('message_nonces')
      .addColumn('author_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('channel_id', t.id, (c) => c.notNull().references('channels.id').onDelete('cascade'))
      .addColumn('nonce', 'text', (c) => c.notNull())
      .addColumn('message_id', t.id, (c) => c.notNull().references('messages.id').onDelete('cascade'))
      .addColumn('created_at', t.millis, (c) => c.notNull())
      .addPrimaryKeyConstraint('message_nonces_pk', ['author_id', 'channel_id', 'nonce'])
      .execute();
    await db.schema.createIndex('message_nonces_author_created').on('message_nonces').columns(['author_id', 'created_at']).execute();
  },
};
