import type { ParleyMigration } from './types';

/**
 * Instance administration and safety (issue 12): `users.minor` (scanning policy and what is
 * held from whom), `users.disabled_at` (an admin switched the account off: no sign-in, no
 * session), and `instance_audit_log`, every instance admin's and the safety system's actions
 * with who and why (features/instance-audit), and `reports`: what people (or the classifier)
 * reported, for a server's moderators or the instance's admins to act on (features/reports).
 */
export const instanceSafety: ParleyMigration = {
  async up(db, t) {
    await db.schema
      .alterTable('users')
      .addColumn('minor', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema.alterTable('users').addColumn('disabled_at', t.millis).execute();
    await db.schema
      .createTable('instance_audit_log')
      .addColumn('id', t.id, (c) => c.primaryKey())
      // Null when the instance itself acted (the classifier holding a message).
      .addColumn('actor_id', t.id)
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('target_type', 'text')
      .addColumn('target_id', t.id)
      .addColumn('reason', 'text')
      // JSON object of details (changed fields, scores); null when there are none.
      .addColumn('details', 'text')
      .addColumn('created_at', t.millis, (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('reports')
      .addColumn('id', t.id, (c) => c.primaryKey())
      // Null: the classifier reported it (features/safety).
      .addColumn('reporter_id', t.id)
      .addColumn('category', 'text', (c) => c.notNull())
      // The reported person (a message's author, or the user reported).
      .addColumn('user_id', t.id)
      .addColumn('message_id', t.id)
      .addColumn('channel_id', t.id)
      // Null for DMs and user reports: instance admins only.
      .addColumn('guild_id', t.id)
      .addColumn('note', 'text')
      // The message as it was when reported (it may be edited or deleted since).
      .addColumn('content', 'text')
      // JSON SafetyScores, for the classifier's reports.
      .addColumn('scores', 'text')
      .addColumn('status', 'text', (c) => c.notNull().defaultTo('open'))
      .addColumn('resolved_by', t.id)
      // What was done: dismiss, delete, timeout, kick, ban, suspend.
      .addColumn('resolution', 'text')
      .addColumn('resolution_reason', 'text')
      .addColumn('resolved_at', t.millis)
      .addColumn('created_at', t.millis, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('reports_status').on('reports').columns(['status', 'id']).execute();
    await db.schema.createIndex('reports_guild').on('reports').columns(['guild_id', 'status']).execute();
    await db.schema.createIndex('reports_user').on('reports').columns(['user_id', 'id']).execute();
    await db.schema.createIndex('instance_audit_log_target').on('instance_audit_log').columns(['target_type', 'target_id']).execute();
  },
};
