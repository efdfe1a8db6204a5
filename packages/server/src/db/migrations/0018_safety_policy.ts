import type { ParleyMigration } from './types';

/**
 * The classifier's policy (features/safety, docs/safety-policy.md): `safety_holds`, messages
 * held from minors until an admin releases them; `safety_blocks`, a sender blocked from a person
 * (DM) or room (channel) until review; `safety_appeals`, the blocked person's appeal (one per
 * block) and the deciding admin's note.
 */
export const safetyPolicy: ParleyMigration = {
  async up(db, t) {
    await db.schema
      .createTable('safety_holds')
      .addColumn('message_id', t.id, (c) => c.primaryKey())
      .addColumn('channel_id', t.id, (c) => c.notNull())
      .addColumn('report_id', t.id, (c) => c.notNull())
      .addColumn('created_at', t.millis, (c) => c.notNull())
      // Set when an admin releases it (an appeal lifted): minors then receive the message.
      .addColumn('released_at', t.millis)
      .addColumn('released_by_id', t.id)
      .execute();
    await db.schema
      .createTable('safety_blocks')
      .addColumn('id', t.id, (c) => c.primaryKey())
      .addColumn('user_id', t.id, (c) => c.notNull())
      .addColumn('channel_id', t.id, (c) => c.notNull())
      // A DM's other person (every DM with them is refused); null for rooms.
      .addColumn('target_user_id', t.id)
      .addColumn('guild_id', t.id)
      .addColumn('message_id', t.id, (c) => c.notNull())
      .addColumn('report_id', t.id, (c) => c.notNull())
      // JSON array of SafetyLabel, highest first; JSON SafetyScores.
      .addColumn('labels', 'text', (c) => c.notNull())
      .addColumn('scores', 'text', (c) => c.notNull())
      .addColumn('created_at', t.millis, (c) => c.notNull())
      // An admin reviewed and confirmed it (they may not decide its appeal).
      .addColumn('confirmed_by_id', t.id)
      .addColumn('confirmed_at', t.millis)
      .addColumn('lifted_at', t.millis)
      .addColumn('lifted_by_id', t.id)
      .execute();
    await db.schema.createIndex('safety_blocks_user').on('safety_blocks').columns(['user_id', 'lifted_at']).execute();
    await db.schema
      .createTable('safety_appeals')
      .addColumn('id', t.id, (c) => c.primaryKey())
      // One appeal per block: a second request loses the race on this constraint.
      .addColumn('block_id', t.id, (c) => c.notNull().unique())
      .addColumn('user_id', t.id, (c) => c.notNull())
      .addColumn('text', 'text', (c) => c.notNull())
      // SafetyAppealStatus: pending, upheld, lifted.
      .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending'))
      .addColumn('note', 'text')
      .addColumn('decided_by_id', t.id)
      .addColumn('created_at', t.millis, (c) => c.notNull())
      .addColumn('decided_at', t.millis)
      .execute();
    await db.schema.createIndex('safety_appeals_status').on('safety_appeals').columns(['status', 'id']).execute();
  },
};
