import type { ParleyMigration } from './types';

/**
 * Files offered peer to peer (features/file-transfer): the offer a message carries, as JSON
 * (protocol FileOffer). The file itself never reaches the server.
 */
export const fileOffers: ParleyMigration = {
  async up(db) {
    await db.schema.alterTable('messages').addColumn('file_offer', 'text').execute();
  },
};
