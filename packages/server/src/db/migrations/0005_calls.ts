import type { ParleyMigration } from './types';

/**
 * Calls. `voice_states`: who is in which call, one row per user (a user is in at most one
 * call), naming the gateway session (device) that holds it; `seen_at` is refreshed by the node
 * serving that session, so states of dropped sessions or dead nodes expire. `calls`: the live
 * call of a channel (at most one per channel), with the DM ringing state and the system message
 * that records it. `message_calls`: who joined a DM call and when it ended, for its message.
 */
export const calls: ParleyMigration = {
  async up(db, t) {
    await db.schema
      .createTable('calls')
      .addColumn('channel_id', t.id, (c) => c.primaryKey().references('channels.id').onDelete('cascade'))
      .addColumn('guild_id', t.id, (c) => c.references('guilds.id').onDelete('cascade'))
      // DM calls only: the CALL system message.
      .addColumn('message_id', t.id)
      // JSON array of user IDs being rung.
      .addColumn('ringing', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('ring_expires_at', t.millis)
      .addColumn('started_at', t.millis, (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('voice_states')
      .addColumn('user_id', t.id, (c) => c.primaryKey().references('users.id').onDelete('cascade'))
      .addColumn('channel_id', t.id, (c) => c.notNull().references('calls.channel_id').onDelete('cascade'))
      .addColumn('guild_id', t.id, (c) => c.references('guilds.id').onDelete('cascade'))
      .addColumn('session_id', 'text', (c) => c.notNull())
      .addColumn('self_mute', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('self_deaf', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('self_video', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('self_stream', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('public_key', 'text')
      .addColumn('joined_at', t.millis, (c) => c.notNull())
      .addColumn('seen_at', t.millis, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('voice_states_channel').on('voice_states').column('channel_id').execute();
    await db.schema.createIndex('voice_states_guild').on('voice_states').column('guild_id').execute();
    await db.schema.createIndex('voice_states_session').on('voice_states').column('session_id').execute();
    await db.schema.createIndex('voice_states_seen').on('voice_states').column('seen_at').execute();

    await db.schema
      .createTable('message_calls')
      .addColumn('message_id', t.id, (c) => c.primaryKey().references('messages.id').onDelete('cascade'))
      .addColumn('participants', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('ended_at', t.millis)
      .execute();
  },
};
