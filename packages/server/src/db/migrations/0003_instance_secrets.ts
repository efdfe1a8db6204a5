import type { ParleyMigration } from './types';

/**
 * Per-instance secrets (the key that signs attachment URLs, for one), kept in the database so
 * every node of the instance shares them and they survive restarts.
 */
export const instanceSecrets: ParleyMigration = {
  async up(db, t) {
    await db.schema
      .createTable('instance_secrets')
      .addColumn('name', 'text', (c) => c.primaryKey())
      // base64url of random bytes.
      .addColumn('value', 'text', (c) => c.notNull())
      .addColumn('created_at', t.millis, (c) => c.notNull())
      .execute();
  },
};
