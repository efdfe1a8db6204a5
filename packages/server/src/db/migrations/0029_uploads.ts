import type { ParleyMigration } from './types';

/**
 * Resumable uploads (features/uploads, docs/uploads.md): a file on its way to a channel, its
 * declared length and what has arrived so far (the bytes themselves are in the file store
 * under attachments/{channel_id}/{id}/). Once finished it carries what the image inspection
 * found; once sent, the message it became an attachment of (the attachment has its ID).
 */
export const uploads: ParleyMigration = {
  async up(db, t) {
    await db.schema
      .createTable('uploads')
      .addColumn('id', t.id, (c) => c.primaryKey())
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('channel_id', t.id, (c) => c.notNull().references('channels.id').onDelete('cascade'))
      .addColumn('filename', 'text', (c) => c.notNull())
      .addColumn('content_type', 'text', (c) => c.notNull())
      .addColumn('upload_length', 'bigint', (c) => c.notNull())
      .addColumn('received', 'bigint', (c) => c.notNull())
      .addColumn('sealed', 'integer', (c) => c.notNull())
      .addColumn('width', 'integer')
      .addColumn('height', 'integer')
      .addColumn('has_thumbnail', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', t.millis, (c) => c.notNull())
      .addColumn('expires_at', t.millis, (c) => c.notNull())
      .addColumn('completed_at', t.millis)
      .addColumn('message_id', t.id)
      .execute();
    await db.schema.createIndex('uploads_user').on('uploads').columns(['user_id', 'completed_at']).execute();
    await db.schema.createIndex('uploads_expiry').on('uploads').columns(['expires_at']).execute();
  },
};
