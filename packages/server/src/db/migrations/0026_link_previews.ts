import type { ParleyMigration } from './types';

/**
 * Link previews (features/link-previews): what a link's page said, kept a day so a link shared
 * many times is fetched once. `embed` is the preview as JSON, null when the page gave none or
 * could not be fetched (that is remembered too, for less long).
 */
export const linkPreviews: ParleyMigration = {
  async up(db, t) {
    await db.schema
      .createTable('link_previews')
      .addColumn('url_hash', 'text', (c) => c.primaryKey())
      .addColumn('embed', 'text')
      .addColumn('fetched_at', t.millis, (c) => c.notNull())
      .execute();
  },
};
