import type { ParleyMigration } from './types';

/**
 * Single sign-on: `user_identities` (a provider account that signs in to a Parley account:
 * one per provider and subject, and one per account and provider) and `sso_tickets` (the
 * short-lived, single-use steps between the provider's callback and the web client, stored
 * hashed like session tokens).
 */
export const identities: ParleyMigration = {
  async up(db, t) {
    await db.schema
      .createTable('user_identities')
      .addColumn('id', t.id, (c) => c.primaryKey())
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
      /** The operator's provider ID (OIDC_PROVIDERS[].id). */
      .addColumn('provider', 'text', (c) => c.notNull())
      /** The ID token's `sub`: stable and unique within the provider. */
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('email', 'text')
      .addColumn('created_at', t.millis, (c) => c.notNull())
      .addUniqueConstraint('user_identities_provider_subject', ['provider', 'subject'])
      .addUniqueConstraint('user_identities_user_provider', ['user_id', 'provider'])
      .execute();

    await db.schema
      .createTable('sso_tickets')
      .addColumn('token_hash', 'text', (c) => c.primaryKey())
      /** start_link | sign_in | sign_up | link. */
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('provider', 'text', (c) => c.notNull())
      .addColumn('subject', 'text')
      .addColumn('email', 'text')
      .addColumn('email_verified', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('username', 'text')
      .addColumn('global_name', 'text')
      /** sign_in: the account to sign in to; link: the account whose e-mail matched; start_link: the account linking. */
      .addColumn('user_id', t.id, (c) => c.references('users.id').onDelete('cascade'))
      .addColumn('expires_at', t.millis, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('sso_tickets_expires_at').on('sso_tickets').column('expires_at').execute();
  },
};
