import { z } from 'zod';
import { Snowflake } from './ids';
import { AcceptedImageTypes, Limits, line, text } from './limits';
import { MfaCode } from './mfa';
import { defineRoute } from './route';

/** Names nobody may take: they collide with mentions or impersonate the system. */
export const RESERVED_USERNAMES: ReadonlySet<string> = new Set(['everyone', 'here', 'system', 'parley', 'admin', 'administrator', 'moderator']);

/** Shown next to the username field and in the API docs. */
export const USERNAME_RULES =
  `Usernames are ${Limits.usernameMin}–${Limits.usernameMax} characters: letters, digits, underscore (_) and period (.), ` +
  'with no two periods in a row. They are case-insensitive: stored and shown in lowercase, and unique regardless of case.';

export const Username = z
  .string()
  .trim()
  .toLowerCase()
  .min(Limits.usernameMin)
  .max(Limits.usernameMax)
  .regex(/^[a-z0-9_.]+$/, 'Use only letters, digits, underscore (_) and period (.)')
  .refine((name) => !name.includes('..'), { message: 'Two periods in a row are not allowed' })
  .refine((name) => !RESERVED_USERNAMES.has(name), { message: 'This username is reserved', params: { code: 'USERNAME_RESERVED' } })
  .describe(USERNAME_RULES);

/** What other people see; falls back to the username when null. */
export const DisplayName = line(Limits.displayNameMax, 1);

export const Password = z.string().min(Limits.passwordMin).max(Limits.passwordMax);

export const Email = z.string().trim().toLowerCase().max(Limits.emailMax).pipe(z.email());

/** A user as anyone may see them (Discord's user object, plus Parley's guest/bio/status). */
export const User = z.object({
  id: Snowflake,
  username: z.string(),
  /** Always "0": Parley, like Discord since 2023, has unique usernames instead of discriminators. */
  discriminator: z.literal('0'),
  global_name: z.string().nullable(),
  /** Avatar hash; the image is at /cdn/avatars/{id}/{avatar}.webp. "a_" prefix: animated. */
  avatar: z.string().nullable(),
  bot: z.boolean(),
  system: z.boolean(),
  /** A temporary guest identity (no sign-up); clients mark guests visibly. */
  guest: z.boolean(),
  bio: z.string(),
  custom_status: z.string().nullable(),
  public_flags: z.number().int(),
});
export type User = z.infer<typeof User>;

/** The signed-in user's own view of themselves. */
export const PrivateUser = User.extend({
  email: z.string().nullable(),
  verified: z.boolean(),
  /** A new address waiting for its confirmation link to be followed; `email` stays until then. */
  pending_email: z.string().nullable(),
  mfa_enabled: z.boolean(),
  flags: z.number().int(),
  /** Instance administrator. */
  admin: z.boolean(),
  /** When the account will be erased, if its owner asked for that (cancel before then by signing in). */
  deletion_scheduled_at: z.iso.datetime().nullable(),
  /** Set for accounts created with a one-time password: every other route refuses until changed. */
  password_change_required: z.boolean(),
  created_at: z.iso.datetime(),
});
export type PrivateUser = z.infer<typeof PrivateUser>;

/** `data:image/png;base64,...`, Discord's way of sending images inside JSON. */
export const ImageDataUri = z
  .string()
  .max(Math.ceil((Limits.avatarMaxBytes * 4) / 3) + 64, 'Image must be at most 5 MiB')
  .regex(/^data:image\/[a-z+.-]+;base64,[A-Za-z0-9+/]+=*$/, 'Must be a base64 data URI of an image');

export const UpdateMeBody = z.object({
  username: Username.optional(),
  global_name: DisplayName.nullable().optional(),
  avatar: ImageDataUri.nullable().optional(),
  bio: text(Limits.bioMax).optional(),
  custom_status: line(Limits.customStatusMax).nullable().optional(),
  email: Email.nullable().optional(),
  /** The current password: required to change the username, e-mail or password. */
  password: z.string().max(Limits.passwordMax).optional(),
  /** With 2FA on, those changes also need an app code or a recovery code (Discord's `code`). */
  code: MfaCode.optional(),
  /** Changing it signs out every other session. */
  new_password: Password.optional(),
});
export type UpdateMeBody = z.input<typeof UpdateMeBody>;

const UserIdParams = z.object({ user_id: Snowflake });

/** What happened to an account's security, as listed in its settings. */
export const SecurityEventKind = z.enum([
  'sign_in',
  'sign_in_new_place',
  'password_changed',
  'password_reset',
  'email_changed',
  'mfa_enabled',
  'mfa_disabled',
  'backup_codes_regenerated',
  'passkey_added',
  'passkey_removed',
  'deletion_scheduled',
  'deletion_cancelled',
]);
export type SecurityEventKind = z.infer<typeof SecurityEventKind>;

export const SecurityEvent = z.object({
  id: Snowflake,
  kind: SecurityEventKind,
  /** "Firefox on Linux": the browser or app it came from. */
  client: z.string(),
  ip: z.string().nullable(),
  created_at: z.iso.datetime(),
});
export type SecurityEvent = z.infer<typeof SecurityEvent>;

/** Asking to delete your account: the password (guests have none, and send nothing). */
export const DeleteAccountBody = z.object({
  password: z.string().max(Limits.passwordMax).optional(),
  /** With 2FA on, an app code or a recovery code as well. */
  code: MfaCode.optional(),
});
export type DeleteAccountBody = z.input<typeof DeleteAccountBody>;

/** Where to download your data: a link that works for a few minutes, without the Authorization header. */
export const DataExportLink = z.object({ url: z.string(), expires_at: z.iso.datetime() });
export type DataExportLink = z.infer<typeof DataExportLink>;

export const userRoutes = {
  getMe: defineRoute({
    method: 'GET',
    path: '/users/@me',
    summary: 'The signed-in user',
    tag: 'Users',
    auth: 'user',
    response: PrivateUser,
    allowedBeforePasswordChange: true,
  }),
  updateMe: defineRoute({
    method: 'PATCH',
    path: '/users/@me',
    summary: 'Edit your profile (username, display name, avatar as data URI, bio, status, e-mail, password)',
    tag: 'Users',
    auth: 'user',
    body: UpdateMeBody,
    bodyLimit: Limits.imageBodyMaxBytes,
    response: PrivateUser,
    allowedBeforePasswordChange: true,
  }),
  securityEvents: defineRoute({
    method: 'GET',
    path: '/users/@me/security-events',
    summary: "Your account's recent security activity (sign-ins, password, e-mail, two-factor, passkeys), newest first",
    tag: 'Users',
    auth: 'person',
    response: z.array(SecurityEvent),
    allowedUnverified: true,
  }),
  deleteMe: defineRoute({
    method: 'POST',
    path: '/users/@me/delete',
    summary: 'Schedule the deletion of your account (signs out everywhere); sign in again before the grace period ends to cancel it',
    tag: 'Users',
    auth: 'person',
    body: DeleteAccountBody,
    response: null,
    allowedUnverified: true,
  }),
  cancelDeletion: defineRoute({
    method: 'POST',
    path: '/users/@me/delete/cancel',
    summary: 'Keep your account: cancels a scheduled deletion',
    tag: 'Users',
    auth: 'person',
    response: PrivateUser,
    allowedUnverified: true,
  }),
  exportData: defineRoute({
    method: 'POST',
    path: '/users/@me/export',
    summary: 'A download link for a ZIP archive of your data: profile, servers, messages (DMs included) and the files you sent',
    tag: 'Users',
    auth: 'person',
    response: DataExportLink,
    allowedUnverified: true,
  }),
  uploadAvatar: defineRoute({
    method: 'PUT',
    path: '/users/@me/avatar',
    summary: 'Upload an avatar as a raw image body (PNG, JPEG, WebP or GIF, at most 5 MiB); resized and re-encoded',
    tag: 'Users',
    auth: 'user',
    rawBody: { contentTypes: AcceptedImageTypes, maxBytes: Limits.avatarMaxBytes },
    response: PrivateUser,
  }),
  getUser: defineRoute({
    method: 'GET',
    path: '/users/:user_id',
    summary: 'A user by ID',
    tag: 'Users',
    auth: 'user',
    params: UserIdParams,
    response: User,
  }),
};
