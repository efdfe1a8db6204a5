import { z } from 'zod';
import { Snowflake } from './ids';

/**
 * What an instance admin (or the safety system) did, as recorded in the instance audit log.
 * Extend the list as features add actions; recorded names never change.
 */
export const InstanceAuditAction = z.enum([
  // Accounts (features/admin).
  'user_create',
  'user_import',
  'user_update',
  'user_disable',
  'user_enable',
  'user_sign_out',
  'user_password_reset',
  'user_delete',
  'settings_update',
  // Reports and safety (features/reports, features/safety).
  'report_resolve',
  'message_held',
  'message_released',
  'sender_blocked',
  'appeal_decide',
  // The safety policy (features/safety): the flagged person appeals, an admin confirms a block, a lift.
  'appeal_create',
  'block_confirm',
  'sender_unblocked',
]);
export type InstanceAuditAction = z.infer<typeof InstanceAuditAction>;

export const InstanceAuditTargetType = z.enum(['user', 'message', 'report', 'appeal', 'settings']);
export type InstanceAuditTargetType = z.infer<typeof InstanceAuditTargetType>;

export const InstanceAuditEntry = z.object({
  id: Snowflake,
  /** Null when the instance acted by itself (the classifier holding a message). */
  actor_id: Snowflake.nullable(),
  action: InstanceAuditAction,
  target_type: InstanceAuditTargetType.nullable(),
  target_id: Snowflake.nullable(),
  reason: z.string().nullable(),
  details: z.record(z.string(), z.unknown()).nullable(),
  created_at: z.iso.datetime(),
  /** Who acted and the target person, as the log's reader knows them ("Ada (@ada)"); null for the instance, other targets and deleted accounts. */
  actor_name: z.string().nullable(),
  target_name: z.string().nullable(),
});
export type InstanceAuditEntry = z.infer<typeof InstanceAuditEntry>;
