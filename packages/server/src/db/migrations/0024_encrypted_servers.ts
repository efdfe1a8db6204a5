import type { ParleyMigration } from './types';

/**
 * Encrypted servers (docs/e2ee.md "Encrypted servers"): `guilds.e2ee`, chosen at creation and
 * never turned off. Their text channels are encrypted channels whose readers (`channel_members`)
 * the server keeps in step with who may view them (features/e2ee/rosters.ts).
 */
export const encryptedServers: ParleyMigration = {
  async up(db) {
    await db.schema
      .alterTable('guilds')
      .addColumn('e2ee', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
  },
};
