import type { ParleyMigration } from './types';

/**
 * The report queue (features/reports): finding a person's own reports (GET /reports/mine, and
 * the same person reporting the same message again gets their existing report) without a scan.
 */
export const reports: ParleyMigration = {
  async up(db) {
    await db.schema.createIndex('reports_reporter').on('reports').columns(['reporter_id', 'message_id']).execute();
  },
};
