import type { ParleyMigration } from './types';

/**
 * Two-factor authentication (features/mfa):
 * - `users.mfa_enabled`: the account has an authenticator app set up (Discord's field), read
 *   with the user on every request and by the access module (guild mfa_level);
 * - `totp_secrets`: the app's shared secret and the last time step accepted (replay protection);
 * - `recovery_codes`: single-use codes, stored as SHA-256 like tokens;
 * - `mfa_tickets`: a correct password waiting for its second factor (hashed, 5 minutes, single-use),
 *   with the passkey challenge it offered and its count of wrong codes;
 * - `passkeys`: WebAuthn credentials; `webauthn_challenges`: pending registrations and
 *   passkey sign-ins (single-use, short-lived);
 * - `guilds.mfa_level`: 1 when the server requires 2FA for moderation.
 */
export const twoFactor: ParleyMigration = {
  async up(db, t) {
    await db.schema
      .alterTable('users')
      .addColumn('mfa_enabled', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema
      .alterTable('guilds')
      .addColumn('mfa_level', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();

    await db.schema
      .createTable('totp_secrets')
      .addColumn('user_id', t.id, (c) => c.primaryKey().references('users.id').onDelete('cascade'))
      .addColumn('secret', 'text', (c) => c.notNull())
      /** The RFC 6238 time step of the last code accepted: codes of that step or before are refused. */
      .addColumn('last_step', t.millis, (c) => c.notNull())
      .addColumn('created_at', t.millis, (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('recovery_codes')
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('code_hash', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('recovery_codes_pk', ['user_id', 'code_hash'])
      .execute();

    await db.schema
      .createTable('mfa_tickets')
      .addColumn('ticket_hash', 'text', (c) => c.primaryKey())
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
      /** The WebAuthn challenge offered with the ticket, when the account has passkeys. */
      .addColumn('challenge', 'text')
      .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('expires_at', t.millis, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('mfa_tickets_expires_at').on('mfa_tickets').column('expires_at').execute();

    await db.schema
      .createTable('passkeys')
      .addColumn('id', t.id, (c) => c.primaryKey())
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
      /** base64url, as the browser reports it. */
      .addColumn('credential_id', 'text', (c) => c.notNull().unique())
      /** COSE public key, base64url. */
      .addColumn('public_key', 'text', (c) => c.notNull())
      .addColumn('counter', t.millis, (c) => c.notNull())
      /** JSON array of transport hints ("internal", "usb"…). */
      .addColumn('transports', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('created_at', t.millis, (c) => c.notNull())
      .addColumn('last_used_at', t.millis)
      .execute();
    await db.schema.createIndex('passkeys_user_id').on('passkeys').column('user_id').execute();

    await db.schema
      .createTable('webauthn_challenges')
      .addColumn('challenge', 'text', (c) => c.primaryKey())
      /** "register" (bound to the user) or "sign-in" (anyone's discoverable passkey). */
      .addColumn('purpose', 'text', (c) => c.notNull())
      .addColumn('user_id', t.id, (c) => c.references('users.id').onDelete('cascade'))
      .addColumn('expires_at', t.millis, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('webauthn_challenges_expires_at').on('webauthn_challenges').column('expires_at').execute();
  },
};
