import { sql } from 'kysely';
import type { ParleyMigration } from './types';

/**
 * `known_sign_in_sources`: where each account has signed in successfully before (its client
 * IPs and its browsers' device cookies, hashed), so failed passwords from elsewhere cannot lock
 * the owner out of a place they already use (features/auth/rate-limit.ts). Seeded from the
 * addresses of existing sessions, so no one starts as a stranger to their own account.
 */
export const knownSignInSources: ParleyMigration = {
  async up(db, t) {
    await db.schema
      .createTable('known_sign_in_sources')
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
      /** `ip:<address>` or `device:<SHA-256 of the device cookie>`. */
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('last_signed_in_at', t.millis, (c) => c.notNull())
      .addPrimaryKeyConstraint('known_sign_in_sources_pk', ['user_id', 'source'])
      .execute();
    await sql`insert into known_sign_in_sources (user_id, source, last_signed_in_at)
      select user_id, 'ip:' || ip, max(last_used_at) from sessions where ip is not null group by user_id, ip`.execute(db);
  },
};
