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
  /**
   * Needed when the instance asks for it (ask_birth_date): under 18 marks the account as a
   * minor. Only that flag is kept, never the date.
   */
  birth_date: z.iso.date().optional(),
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

/** "Forgot password": the username or e-mail address of the account. */
export const ForgotPasswordBody = z.object({ login: LoginBody.shape.login });
export type ForgotPasswordBody = z.input<typeof ForgotPasswordBody>;

/** The token from a mailed link: 43 base64url characters (32 random bytes). */
const EmailToken = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'Not a link this server sent');

export const ResetPasswordBody = z.object({ token: EmailToken, password: Password });
export type ResetPasswordBody = z.input<typeof ResetPasswordBody>;

export const VerifyEmailBody = z.object({ token: EmailToken });
export type VerifyEmailBody = z.input<typeof VerifyEmailBody>;

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
  forgotPassword: defineRoute({
    method: 'POST',
    path: '/auth/forgot',
    summary: 'Mail a single-use password reset link (valid 30 minutes) to the account, if there is one: the answer is the same either way',
    tag: 'Auth',
    auth: 'none',
    body: ForgotPasswordBody,
    response: null,
  }),
  resetPassword: defineRoute({
    method: 'POST',
    path: '/auth/reset',
    summary: "Set a new password with a reset link's token; signs out every session",
    tag: 'Auth',
    auth: 'none',
    body: ResetPasswordBody,
    response: null,
  }),
  verifyEmail: defineRoute({
    method: 'POST',
    path: '/auth/verify',
    summary: 'Confirm an e-mail address with the token of the mailed link (a changed address replaces the old one only now)',
    tag: 'Auth',
    auth: 'none',
    body: VerifyEmailBody,
    response: PrivateUser,
  }),
  resendVerification: defineRoute({
    method: 'POST',
    path: '/auth/verify/resend',
    summary: 'Mail the confirmation link for your e-mail address (or the new address waiting to replace it) again',
    tag: 'Auth',
    auth: 'person',
    response: null,
    allowedUnverified: true,
  }),
  listSessions: defineRoute({
    method: 'GET',
    path: '/auth/sessions',
    summary: 'Your signed-in devices and browsers',
    tag: 'Auth',
    auth: 'person',
    response: z.array(Session),
    allowedUnverified: true,
  }),
  revokeSession: defineRoute({
    method: 'DELETE',
    path: '/auth/sessions/:session_id',
    summary: 'Sign out one of your sessions',
    tag: 'Auth',
    auth: 'person',
    params: z.object({ session_id: Snowflake }),
    response: null,
    allowedUnverified: true,
  }),
};
