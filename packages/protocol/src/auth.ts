import { z } from 'zod';
import { Snowflake } from './ids';
import { Limits, line } from './limits';
import { MfaRequiredResponse } from './mfa';
import { defineRoute } from './route';
import { DisplayName, Email, Password, PrivateUser, Username } from './users';

const InviteCode = line(Limits.inviteCodeMax, 1);

export const RegisterBody = z.object({
  username: Username,
  password: Password,
  /** Optional unless the instance requires e-mail addresses. */
  email: Email.optional(),
  /** Needed when the instance's registration mode is "invite". */
  invite: InviteCode.optional(),
  global_name: DisplayName.optional(),
});
export type RegisterBody = z.input<typeof RegisterBody>;

export const LoginBody = z.object({
  /** Username or e-mail address; case-insensitive. */
  login: line(Limits.emailMax, 1).toLowerCase(),
  password: z.string().min(1).max(Limits.passwordMax),
});
export type LoginBody = z.input<typeof LoginBody>;

export const TokenResponse = z.object({ token: z.string(), user_id: Snowflake });
export type TokenResponse = z.infer<typeof TokenResponse>;

/** A session, or, on an account with 2FA, the ticket for the second step (Discord's shape). */
export const LoginResponse = z.union([TokenResponse, MfaRequiredResponse]);
export type LoginResponse = z.infer<typeof LoginResponse>;

export const GuestBody = z.object({ global_name: DisplayName.optional() }).optional().describe('Optional: a display name for the guest; one is generated otherwise.');

export const GuestResponse = z.object({ token: z.string(), user: PrivateUser });
export type GuestResponse = z.infer<typeof GuestResponse>;

/** A guest becomes a permanent account: same ID, same everything, now with a login. */
export const UpgradeBody = z.object({
  username: Username,
  password: Password,
  email: Email.optional(),
  invite: InviteCode.optional(),
});
export type UpgradeBody = z.input<typeof UpgradeBody>;

/** One signed-in device or browser. */
export const Session = z.object({
  id: Snowflake,
  /** The session making this request. */
  current: z.boolean(),
  /** "Firefox on Linux", derived from the User-Agent at sign-in. */
  client: z.string(),
  ip: z.string().nullable(),
  created_at: z.iso.datetime(),
  last_used_at: z.iso.datetime(),
});
export type Session = z.infer<typeof Session>;

export const authRoutes = {
  register: defineRoute({
    method: 'POST',
    path: '/auth/register',
    summary: 'Create an account and sign in',
    tag: 'Auth',
    auth: 'none',
    body: RegisterBody,
    response: TokenResponse,
  }),
  login: defineRoute({
    method: 'POST',
    path: '/auth/login',
    summary: 'Sign in with username or e-mail and password',
    tag: 'Auth',
    auth: 'none',
    body: LoginBody,
    response: LoginResponse,
  }),
  guest: defineRoute({
    method: 'POST',
    path: '/auth/guest',
    summary: 'Continue as a guest: a temporary identity with no sign-up',
    tag: 'Auth',
    auth: 'none',
    body: GuestBody,
    response: GuestResponse,
  }),
  upgrade: defineRoute({
    method: 'POST',
    path: '/auth/upgrade',
    summary: 'Turn the signed-in guest into a permanent account, keeping its ID and history',
    tag: 'Auth',
    auth: 'person',
    body: UpgradeBody,
    response: PrivateUser,
  }),
  logout: defineRoute({
    method: 'POST',
    path: '/auth/logout',
    summary: 'Sign out this session',
    tag: 'Auth',
    auth: 'person',
    response: null,
    allowedBeforePasswordChange: true,
  }),
  listSessions: defineRoute({
    method: 'GET',
    path: '/auth/sessions',
    summary: 'Your signed-in devices and browsers',
    tag: 'Auth',
    auth: 'person',
    response: z.array(Session),
  }),
  revokeSession: defineRoute({
    method: 'DELETE',
    path: '/auth/sessions/:session_id',
    summary: 'Sign out one of your sessions',
    tag: 'Auth',
    auth: 'person',
    params: z.object({ session_id: Snowflake }),
    response: null,
  }),
};
