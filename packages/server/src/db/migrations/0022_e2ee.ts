import type { ParleyMigration } from './types';

/**
 * End-to-end encrypted conversations (features/e2ee; protocol/e2ee.ts): the server as MLS's
 * delivery service. Everything MLS here is opaque bytes (base64) the server cannot open.
 * - `channels.e2ee`: chosen at creation, never turned off; `mls_epoch`: the epoch the group's
 *   next commit must name (0: no commit yet);
 * - `messages.encrypted`: an encrypted message's envelope (JSON: epoch, device, ciphertext,
 *   signature); its `content` stays empty;
 * - `e2ee_devices`: one MLS leaf per device;
 * - `e2ee_key_packages`: handed out once each, but the last-resort one, which stays;
 * - `mls_commits`: every accepted commit, by the epoch it moved the group from (how devices
 *   that fell behind catch up); `mls_welcomes`: waiting for the device that was added;
 * - `e2ee_backups`: one key backup per person, versioned, opaque to the server.
 */
export const e2ee: ParleyMigration = {
  async up(db, t) {
    await db.schema
      .alterTable('channels')
      .addColumn('e2ee', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema
      .alterTable('channels')
      .addColumn('mls_epoch', 'bigint', (c) => c.notNull().defaultTo(0))
      .execute();

    await db.schema.alterTable('messages').addColumn('encrypted', 'text').execute();

    await db.schema
      .createTable('e2ee_devices')
      .addColumn('id', t.id, (c) => c.primaryKey())
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('created_at', t.millis, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('e2ee_devices_user').on('e2ee_devices').column('user_id').execute();

    await db.schema
      .createTable('e2ee_key_packages')
      .addColumn('id', t.id, (c) => c.primaryKey())
      .addColumn('device_id', t.id, (c) => c.notNull().references('e2ee_devices.id').onDelete('cascade'))
      .addColumn('key_package', 'text', (c) => c.notNull())
      .addColumn('last_resort', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema.createIndex('e2ee_key_packages_device').on('e2ee_key_packages').columns(['device_id', 'last_resort', 'id']).execute();

    await db.schema
      .createTable('mls_commits')
      .addColumn('channel_id', t.id, (c) => c.notNull().references('channels.id').onDelete('cascade'))
      .addColumn('epoch', 'bigint', (c) => c.notNull())
      .addColumn('device_id', t.id, (c) => c.notNull())
      .addColumn('commit', 'text', (c) => c.notNull())
      .addColumn('created_at', t.millis, (c) => c.notNull())
      .addPrimaryKeyConstraint('mls_commits_pk', ['channel_id', 'epoch'])
      .execute();

    await db.schema
      .createTable('mls_welcomes')
      .addColumn('id', t.id, (c) => c.primaryKey())
      .addColumn('device_id', t.id, (c) => c.notNull().references('e2ee_devices.id').onDelete('cascade'))
      .addColumn('channel_id', t.id, (c) => c.notNull().references('channels.id').onDelete('cascade'))
      .addColumn('epoch', 'bigint', (c) => c.notNull())
      .addColumn('welcome', 'text', (c) => c.notNull())
      .addColumn('created_at', t.millis, (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('e2ee_backups')
      .addColumn('user_id', t.id, (c) => c.primaryKey().references('users.id').onDelete('cascade'))
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('passphrase', 'text')
      .addColumn('ciphertext', 'text', (c) => c.notNull())
      .addColumn('updated_at', t.millis, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('mls_welcomes_device').on('mls_welcomes').columns(['device_id', 'id']).execute();
  },
};
