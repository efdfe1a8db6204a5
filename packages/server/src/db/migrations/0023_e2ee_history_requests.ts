import type { ParleyMigration } from './types';

/**
 * History between a person's own devices (features/e2ee/history-requests.ts): a new device asks,
 * an existing one approves by sealing the keys to the new device's public key. The server
 * stores the sealed keys until the asking device takes them, and cannot open them.
 */
export const e2eeHistoryRequests: ParleyMigration = {
  async up(db, t) {
    await db.schema
      .createTable('e2ee_history_requests')
      .addColumn('id', t.id, (c) => c.primaryKey())
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('device_id', t.id, (c) => c.notNull().references('e2ee_devices.id').onDelete('cascade'))
      .addColumn('public_key', 'text', (c) => c.notNull())
      .addColumn('created_at', t.millis, (c) => c.notNull())
      .addColumn('approved_by', t.id)
      .addColumn('sealed', 'text')
      .addColumn('signature', 'text')
      .execute();
    await db.schema.createIndex('e2ee_history_requests_user').on('e2ee_history_requests').columns(['user_id', 'id']).execute();
    // One request per device (a new one replaces it), found by device on replacing and on removing the device.
    await db.schema.createIndex('e2ee_history_requests_device').on('e2ee_history_requests').column('device_id').execute();
  },
};
