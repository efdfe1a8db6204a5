import type { ParleyMigration } from './types';

/**
 * Mailed links (features/mail): `email_tokens` holds each link's token, hashed, with what it
 * is for (`verify`: confirm `email` for the account; `reset`: choose a new password) and when
 * it expires; a link works once. `users.pending_email` is a new address waiting for its link:
 * the old address stays the account's until then.
 */
export const emailLinks: ParleyMigration = {
  async up(db, t) {
    await db.schema.alterTable('users').addColumn('pending_email', 'text').execute();
    await db.schema
      .createTable('email_tokens')
      .addColumn('token_hash', 'text', (c) => c.primaryKey())
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('purpose', 'text', (c) => c.notNull())
      .addColumn('email', 'text', (c) => c.notNull())
      .addColumn('created_at', t.millis, (c) => c.notNull())
      .addColumn('expires_at', t.millis, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('email_tokens_user').on('email_tokens').columns(['user_id', 'purpose']).execute();
  },
};
