import { z } from 'zod';
import { Snowflake } from './ids';
import { Limits, line } from './limits';
import { defineRoute } from './route';
import { SafetyScanPolicy } from './safety';

/**
 * open: anyone may sign up. invite: sign-up needs an invite code from an admin.
 * closed: only admins create accounts.
 */
export const RegistrationMode = z.enum(['open', 'invite', 'closed']);
export type RegistrationMode = z.infer<typeof RegistrationMode>;

export const InstanceSettings = z.object({
  name: line(64, 1),
  registration_mode: RegistrationMode,
  guests_enabled: z.boolean(),
  require_email: z.boolean(),
  /** Accounts must confirm their e-mail address before using anything but their own settings (needs mail). */
  require_verified_email: z.boolean(),
  /** Sign-up asks for a birth date; people under 18 are marked as minors (features/safety). */
  ask_birth_date: z.boolean(),
  /** Which messages the offline classifier scans: conversations that include a minor, all, or none. */
  safety_scan: SafetyScanPolicy,
  /** A scanned message scoring at least this on any label is flagged: held from minors and reported. */
  safety_flag_threshold: z.number().min(0.05).max(1),
  /** At least this, and the sender is also blocked from that person or room until review. */
  safety_block_threshold: z.number().min(0.05).max(1),
  /**
   * Whether conversations that include a minor may be end-to-end encrypted (docs/e2ee.md): the
   * safety scan cannot read an encrypted conversation, so an instance that scans minors'
   * conversations decides. `deny`: creating one, and sending in one, is refused (90079).
   */
  e2ee_with_minors: z.enum(['allow', 'deny']),
  /** Whether the server fetches previews (title, description) of links in messages (features/link-previews). */
  link_previews: z.boolean(),
  /** Largest file one attachment may be, in bytes; null: the operator's ATTACHMENT_MAX_BYTES, which it may lower, never raise. */
  upload_max_bytes: z.number().int().min(1024).nullable(),
});
export type InstanceSettings = z.infer<typeof InstanceSettings>;

export const DEFAULT_INSTANCE_SETTINGS: InstanceSettings = {
  name: 'Parley',
  registration_mode: 'open',
  guests_enabled: true,
  require_email: false,
  require_verified_email: false,
  ask_birth_date: false,
  safety_scan: 'minors',
  safety_flag_threshold: 0.5,
  safety_block_threshold: 0.85,
  e2ee_with_minors: 'deny',
  link_previews: true,
  upload_max_bytes: null,
};

/** What a client needs to know before anyone signs in. */
export const InstanceInfo = InstanceSettings.extend({
  version: z.string(),
  /** Whether this server sends e-mail (SMTP_URL): password reset and address confirmation need it. */
  mail_enabled: z.boolean(),
  limits: z.object({
    username_min: z.number(),
    username_max: z.number(),
    password_min: z.number(),
    avatar_max_bytes: z.number(),
    /** Largest file one message attachment may be (the admins' upload_max_bytes, at most the operator's ATTACHMENT_MAX_BYTES). */
    attachment_max_bytes: z.number(),
    attachments_per_message: z.number(),
  }),
});
export type InstanceInfo = z.infer<typeof InstanceInfo>;

/** An instance-level invite that lets someone sign up while registration is "invite". */
export const RegistrationInvite = z.object({
  code: z.string(),
  uses: z.number().int(),
  /** 0: unlimited. */
  max_uses: z.number().int(),
  expires_at: z.iso.datetime().nullable(),
  created_at: z.iso.datetime(),
  created_by: Snowflake.nullable(),
});
export type RegistrationInvite = z.infer<typeof RegistrationInvite>;

export const CreateRegistrationInviteBody = z.object({
  /** 0: unlimited. */
  max_uses: z.number().int().min(0).max(10_000).default(1),
  /** Seconds until it expires; 0: never. Default one week. */
  max_age: z
    .number()
    .int()
    .min(0)
    .max(365 * 24 * 3600)
    .default(7 * 24 * 3600),
});

export const instanceRoutes = {
  info: defineRoute({
    method: 'GET',
    path: '/instance',
    summary: 'Public facts about this instance: name, registration mode, guest access, limits',
    tag: 'Instance',
    auth: 'none',
    response: InstanceInfo,
  }),
  getSettings: defineRoute({
    method: 'GET',
    path: '/admin/settings',
    summary: 'Instance settings',
    tag: 'Admin',
    auth: 'admin',
    response: InstanceSettings,
  }),
  updateSettings: defineRoute({
    method: 'PATCH',
    path: '/admin/settings',
    summary: 'Change instance settings (registration mode, guest access, e-mail requirement, name)',
    tag: 'Admin',
    auth: 'admin',
    body: InstanceSettings.partial(),
    response: InstanceSettings,
  }),
  listInvites: defineRoute({
    method: 'GET',
    path: '/admin/registration-invites',
    summary: 'Registration invites',
    tag: 'Admin',
    auth: 'admin',
    response: z.array(RegistrationInvite),
  }),
  createInvite: defineRoute({
    method: 'POST',
    path: '/admin/registration-invites',
    summary: 'Create a registration invite',
    tag: 'Admin',
    auth: 'admin',
    body: CreateRegistrationInviteBody,
    response: RegistrationInvite,
  }),
  revokeInvite: defineRoute({
    method: 'DELETE',
    path: '/admin/registration-invites/:code',
    summary: 'Revoke a registration invite',
    tag: 'Admin',
    auth: 'admin',
    params: z.object({ code: line(Limits.inviteCodeMax, 1) }),
    response: null,
  }),
};
