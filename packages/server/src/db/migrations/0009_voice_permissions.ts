import type { ParleyMigration } from './types';

/**
 * `voice_states.suppress`: the participant may not speak in this call (no Speak permission
 * there); every client leaves their audio unplayed, as for a server mute (Discord's field).
 */
export const voicePermissions: ParleyMigration = {
  async up(db) {
    await db.schema
      .alterTable('voice_states')
      .addColumn('suppress', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
  },
};
