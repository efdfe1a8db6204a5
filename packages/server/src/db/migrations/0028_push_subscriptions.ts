import type { ParleyMigration } from './types';

/**
 * Web Push subscriptions (features/push): one per sign-in session (a browser that agreed), so a
 * person's every device is told once, and signing out or revoking the session removes it (the
 * foreign key's cascade). The endpoint is unique: a browser signed in again replaces its row.
 */
export const pushSubscriptions: ParleyMigration = {
  async up(db, t) {
    await db.schema
      .createTable('push_subscriptions')
      .addColumn('id', t.id, (c) => c.primaryKey())
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('session_id', t.id, (c) => c.notNull().unique().references('sessions.id').onDelete('cascade'))
      .addColumn('endpoint', 'text', (c) => c.notNull().unique())
      // The browser's keys (base64url): the payload is encrypted to them (RFC 8291).
      .addColumn('p256dh', 'text', (c) => c.notNull())
      .addColumn('auth', 'text', (c) => c.notNull())
      // 1: notifications may show the message's text; 0: "New message from …".
      .addColumn('previews', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', t.millis, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('push_subscriptions_user').on('push_subscriptions').column('user_id').execute();
  },
};
