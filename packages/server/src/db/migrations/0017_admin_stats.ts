import type { ParleyMigration } from './types';

/**
 * What the instance statistics (features/admin/stats.ts) need beyond what other tables keep:
 * `call_history` (a row per call once it ends: live calls leave no trace otherwise) and
 * `call_participation` (a row per person per call, with the minutes they spent), written by
 * features/calls when a call ends or someone leaves; `gateway_nodes`, each node's count of
 * gateway connections as it last reported it (features/admin/nodes.ts), so any node can tell
 * how many clients every node holds; `user_activity`, the UTC days each account used Parley
 * (written by auth/sessions.ts on sign-in and when a session's last use is refreshed), so
 * "active this week" survives sessions ending.
 */
export const adminStats: ParleyMigration = {
  async up(db, t) {
    await db.schema
      .createTable('call_history')
      .addColumn('id', t.id, (c) => c.primaryKey())
      .addColumn('channel_id', t.id, (c) => c.notNull())
      .addColumn('guild_id', t.id)
      .addColumn('started_at', t.millis, (c) => c.notNull())
      .addColumn('ended_at', t.millis, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('call_history_ended').on('call_history').column('ended_at').execute();
    await db.schema
      .createTable('call_participation')
      .addColumn('id', t.id, (c) => c.primaryKey())
      .addColumn('user_id', t.id, (c) => c.notNull())
      .addColumn('channel_id', t.id, (c) => c.notNull())
      .addColumn('joined_at', t.millis, (c) => c.notNull())
      .addColumn('left_at', t.millis, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('call_participation_left').on('call_participation').column('left_at').execute();
    await db.schema
      .createTable('gateway_nodes')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('connections', 'integer', (c) => c.notNull())
      .addColumn('seen_at', t.millis, (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('user_activity')
      .addColumn('user_id', t.id, (c) => c.notNull())
      // Days since 1970-01-01, UTC.
      .addColumn('day', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('user_activity_pk', ['user_id', 'day'])
      .execute();
    await db.schema.createIndex('user_activity_day').on('user_activity').column('day').execute();
  },
};
