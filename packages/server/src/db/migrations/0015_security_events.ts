import type { ParleyMigration } from './types';

/**
 * `security_events`: what happened to an account's security (sign-ins, password, e-mail,
 * two-factor, passkeys, deletion), with where from, listed to its owner in settings
 * (features/security-events).
 */
export const securityEvents: ParleyMigration = {
  async up(db, t) {
    await db.schema
      .createTable('security_events')
      .addColumn('id', t.id, (c) => c.primaryKey())
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('client', 'text', (c) => c.notNull())
      .addColumn('ip', 'text')
      .addColumn('created_at', t.millis, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('security_events_user').on('security_events').columns(['user_id', 'id']).execute();
  },
};
