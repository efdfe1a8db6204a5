import type { ParleyMigration } from './types';

/**
 * Account lifetimes (features/accounts): `deletion_scheduled_at`, when an account its owner
 * asked to delete will be erased (until then, signing in and cancelling keeps it);
 * `deleted_at`, when it was erased: the row stays so that its messages keep an author
 * ("Deleted user", or "Former guest" for guests removed after a long absence).
 */
export const accountLifecycle: ParleyMigration = {
  async up(db, t) {
    await db.schema.alterTable('users').addColumn('deletion_scheduled_at', t.millis).execute();
    await db.schema.alterTable('users').addColumn('deleted_at', t.millis).execute();
    await db.schema.createIndex('users_deletion_scheduled_at').on('users').column('deletion_scheduled_at').execute();
  },
};
