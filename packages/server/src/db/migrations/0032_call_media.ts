import type { ParleyMigration } from './types';

/**
 * Big calls (features/calls/sfu): how a call's media flows, 'mesh' (peer to peer) or 'sfu'
 * (through Janus, once it grew past CALL_MESH_MAX). A call stays on the SFU until it ends.
 */
export const callMedia: ParleyMigration = {
  async up(db) {
    await db.schema
      .alterTable('calls')
      .addColumn('media', 'text', (c) => c.notNull().defaultTo('mesh'))
      .execute();
  },
};
