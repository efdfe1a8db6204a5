import type { ParleyMigration } from './types';

/** Users, their sessions, instance settings and registration invites. */
export const accounts: ParleyMigration = {
  async up(db, t) {
    await db.schema
      .createTable('users')
      .addColumn('id', t.id, (c) => c.primaryKey())
      .addColumn('username', 'text', (c) => c.notNull().unique())
      .addColumn('global_name', 'text')
      .addColumn('email', 'text', (c) => c.unique())
      .addColumn('email_verified', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('password_hash', 'text')
      .addColumn('avatar', 'text')
      .addColumn('bio', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('custom_status', 'text')
      .addColumn('guest', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('bot', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('admin', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('password_change_required', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', t.millis, (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('sessions')
      .addColumn('id', t.id, (c) => c.primaryKey())
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('client', 'text', (c) => c.notNull())
      .addColumn('ip', 'text')
      .addColumn('created_at', t.millis, (c) => c.notNull())
      .addColumn('last_used_at', t.millis, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('sessions_user_id').on('sessions').column('user_id').execute();

    await db.schema
      .createTable('registration_invites')
      .addColumn('code', 'text', (c) => c.primaryKey())
      .addColumn('created_by_id', t.id, (c) => c.references('users.id').onDelete('set null'))
      .addColumn('uses', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('max_uses', 'integer', (c) => c.notNull())
      .addColumn('expires_at', t.millis)
      .addColumn('created_at', t.millis, (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('instance_settings')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .execute();
  },
};
