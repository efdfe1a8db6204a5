import { z } from 'zod';

/**
 * Every error the API can return, with its stable code and HTTP status. Codes follow Discord's
 * JSON error codes where Discord has the same concept (so bot libraries recognise them), which
 * includes Discord's general code 0 for 401, 404 and 500: for those the status tells them apart.
 * Parley's own codes start at 90000. docs/errors.md documents each one; a test keeps them in step.
 */
export const ApiErrors = {
  INTERNAL: { code: 0, status: 500, message: 'Something went wrong on the server. Please try again.' },
  UNKNOWN_APPLICATION: { code: 10002, status: 404, message: 'Unknown application' },
  UNKNOWN_CHANNEL: { code: 10003, status: 404, message: 'Unknown channel' },
  UNKNOWN_GUILD: { code: 10004, status: 404, message: 'Unknown guild' },
  UNKNOWN_INVITE: { code: 10006, status: 404, message: 'Unknown invite' },
  UNKNOWN_MEMBER: { code: 10007, status: 404, message: 'Unknown member' },
  UNKNOWN_MESSAGE: { code: 10008, status: 404, message: 'Unknown message' },
  UNKNOWN_ROLE: { code: 10011, status: 404, message: 'Unknown role' },
  UNKNOWN_EMOJI: { code: 10014, status: 404, message: 'Unknown emoji' },
  UNKNOWN_BAN: { code: 10026, status: 404, message: 'Unknown ban' },
  UNKNOWN_OVERWRITE: { code: 10009, status: 404, message: 'Unknown overwrite' },
  UNKNOWN_USER: { code: 10013, status: 404, message: 'Unknown user' },
  UNKNOWN_SESSION: { code: 10020, status: 404, message: 'Unknown session' },
  UNKNOWN_WEBHOOK: { code: 10015, status: 404, message: 'Unknown Webhook' },
  UNKNOWN_VOICE_STATE: { code: 10065, status: 404, message: 'Unknown Voice State: that person is not in this stage channel.' },
  INVALID_WEBHOOK_TOKEN: { code: 50027, status: 401, message: 'Invalid Webhook Token' },
  MAX_WEBHOOKS: { code: 30007, status: 400, message: 'Maximum number of webhooks reached (15)' },
  MAX_EMOJIS: { code: 30008, status: 400, message: 'Maximum number of emojis reached (50)' },
  UNKNOWN_PASSKEY: { code: 90020, status: 404, message: 'Unknown passkey' },
  UNKNOWN_REPORT: { code: 90040, status: 404, message: 'Unknown report' },
  UNKNOWN_DEVICE: { code: 90070, status: 404, message: 'Unknown device' },
  UNKNOWN_HISTORY_REQUEST: { code: 90074, status: 404, message: 'Unknown history request: it was answered, withdrawn or has expired.' },
  NOT_ENCRYPTED: { code: 90071, status: 400, message: 'This conversation is not end-to-end encrypted.' },
  MLS_EPOCH_STALE: { code: 90072, status: 409, message: 'Another commit was accepted for this epoch first: catch up and try again.' },
  MAX_DEVICES: { code: 90073, status: 400, message: 'Maximum number of encryption devices reached: remove one first.' },
  PLAINTEXT_REFUSED: { code: 90075, status: 400, message: 'This conversation is end-to-end encrypted: the server takes no plain text, plain reactions or threads for it.' },
  BACKUP_VERSION_STALE: { code: 90076, status: 409, message: 'Another device changed the key backup first: read it, merge, and write again.' },
  NO_BACKUP: { code: 90077, status: 404, message: 'There is no key backup for this account.' },
  FRANKING_MISMATCH: { code: 90078, status: 400, message: 'The revealed text and key do not match what the author sent: the report cannot be checked.' },
  E2EE_MINORS_FORBIDDEN: { code: 90079, status: 403, message: 'This instance does not allow end-to-end encryption in conversations that include a minor: its safety scan must be able to read them.' },
  UNAUTHORIZED: { code: 0, status: 401, message: '401: Unauthorized' },
  BOT_FORBIDDEN: { code: 20001, status: 403, message: 'Bots cannot use this endpoint' },
  SLOWMODE: { code: 20016, status: 429, message: 'This channel is in slow mode: wait before sending again.' },
  MAX_PINS: { code: 30003, status: 400, message: 'Maximum number of pins reached (50)' },
  MAX_REACTIONS: { code: 30010, status: 400, message: 'Maximum number of reactions reached (20)' },
  MAX_ROLES: { code: 30005, status: 400, message: 'Maximum number of server roles reached (250)' },
  ACCOUNT_DISABLED: { code: 90022, status: 403, message: 'This account has been disabled by an administrator of this server. Ask them to enable it.' },
  CANNOT_ACT_ON_SELF: { code: 90060, status: 400, message: 'An admin cannot disable, demote or delete their own account here: ask another admin.' },
  LAST_ADMIN: { code: 90061, status: 400, message: 'This is the last instance admin: make someone else an admin first.' },
  MAX_PASSKEYS: { code: 90021, status: 400, message: 'Maximum number of passkeys reached (25): remove one first.' },
  MAX_BANS_FETCH: { code: 30037, status: 400, message: 'Too many bans requested' },
  PAYLOAD_TOO_LARGE: { code: 40005, status: 413, message: 'Request entity too large' },
  MISSING_ACCESS: { code: 50001, status: 403, message: 'Missing access' },
  CANNOT_EDIT_OTHERS: { code: 50005, status: 403, message: 'Cannot edit a message authored by another user' },
  EMPTY_MESSAGE: { code: 50006, status: 400, message: 'Cannot send an empty message' },
  CANNOT_MESSAGE_USER: { code: 50007, status: 403, message: 'Cannot send messages to this user' },
  MISSING_PERMISSIONS: { code: 50013, status: 403, message: 'Missing permissions' },
  INVALID_CHANNEL_TYPE: { code: 50024, status: 400, message: 'Cannot execute action on this channel type: only stage channels have speakers and raised hands.' },
  INVALID_RECIPIENTS: { code: 50033, status: 400, message: 'Invalid recipient(s)' },
  BULK_DELETE_TOO_OLD: { code: 50034, status: 400, message: 'You can only bulk delete messages that are under 14 days old.' },
  INVALID_FORM_BODY: { code: 50035, status: 400, message: 'Invalid Form Body' },
  INVALID_IMAGE: { code: 50046, status: 400, message: 'Images must be PNG, JPEG, WebP or GIF' },
  INVALID_JSON: { code: 50109, status: 400, message: 'The request body contains invalid JSON.' },
  BAD_REQUEST: { code: 90400, status: 400, message: 'Malformed request' },
  THREAD_EXISTS: { code: 160004, status: 400, message: 'A thread has already been created for this message' },
  RATE_LIMITED: { code: 90001, status: 429, message: 'You are being rate limited.' },
  REGISTRATION_CLOSED: { code: 90002, status: 403, message: 'This instance does not accept new sign-ups; an administrator creates accounts.' },
  GUESTS_DISABLED: { code: 90003, status: 403, message: 'Guest access is turned off on this instance.' },
  PASSWORD_CHANGE_REQUIRED: { code: 90004, status: 403, message: 'Choose a new password before continuing.' },
  NOT_A_GUEST: { code: 90005, status: 400, message: 'Only guest accounts can be upgraded.' },
  GROUP_DM_FULL: { code: 90006, status: 400, message: 'A group DM holds at most 10 people.' },
  OWNER_CANNOT_LEAVE: { code: 90007, status: 400, message: 'The owner cannot leave their server; delete it instead.' },
  MFA_REQUIRED: { code: 60003, status: 403, message: 'Two factor is required for this operation: this server requires two-factor authentication for moderation. Turn it on in Settings → My account.' },
  BANNED: { code: 40007, status: 403, message: 'You are banned from this server.' },
  TARGET_NOT_IN_VOICE: { code: 40032, status: 400, message: 'Target user is not connected to voice.' },
  TIMED_OUT: { code: 90010, status: 403, message: 'You are timed out in this server: you can read, not talk, until it ends.' },
  NOT_A_MESSAGE_REQUEST: { code: 90008, status: 400, message: 'This DM is not a message request waiting for your answer.' },
  ATTACHMENT_TOO_LARGE: { code: 90009, status: 413, message: 'A file is larger than this server accepts.' },
  SSO_ONLY: { code: 90110, status: 403, message: 'This instance signs in through single sign-on only: use one of its providers.' },
  UNKNOWN_PROVIDER: { code: 90111, status: 404, message: 'Unknown sign-in provider' },
  LAST_SIGN_IN_METHOD: { code: 90112, status: 400, message: 'This is your only way to sign in: link another provider before removing it.' },
  UNKNOWN_IDENTITY: { code: 90113, status: 404, message: 'Unknown linked identity' },
  UNKNOWN_ROUTE: { code: 0, status: 404, message: '404: Not Found' },
  UNSUPPORTED_MEDIA_TYPE: { code: 90415, status: 415, message: 'Unsupported content type' },
  MAIL_NOT_CONFIGURED: { code: 90011, status: 503, message: 'This server cannot send e-mail. Ask its operator to reset your password.' },
  INVALID_EMAIL_TOKEN: { code: 90012, status: 400, message: 'This link is invalid or has expired. Ask for a new one.' },
  EMAIL_VERIFICATION_REQUIRED: { code: 90013, status: 403, message: 'Confirm your e-mail address before continuing: follow the link we sent you.' },
  NO_EMAIL: { code: 90014, status: 400, message: 'This account has no e-mail address to confirm.' },
  OWNS_GUILDS: { code: 40011, status: 400, message: 'You must transfer ownership of any owned servers before deleting your account.' },
  SAFETY_BLOCKED: { code: 90030, status: 403, message: 'You are blocked from messaging here until an administrator reviews a flagged message of yours. You can appeal.' },
  SAFETY_SAME_ADMIN: { code: 90031, status: 403, message: 'You acted on this block or its report: another administrator must decide the appeal.' },
  UNKNOWN_SAFETY_BLOCK: { code: 90032, status: 404, message: 'Unknown safety block' },
  APPEAL_EXISTS: { code: 90033, status: 400, message: 'This block has already been appealed: an administrator decides it once.' },
  UNKNOWN_APPEAL: { code: 90034, status: 404, message: 'Unknown appeal' },
  APPEAL_DECIDED: { code: 90035, status: 400, message: 'This appeal has already been decided.' },
  BLOCK_LIFTED: { code: 90036, status: 400, message: 'This block has already been lifted.' },
  UNKNOWN_UPLOAD: { code: 90180, status: 404, message: 'Unknown upload: it was cancelled, has expired, was already sent, or is not yours.' },
  UPLOAD_OFFSET_MISMATCH: { code: 90181, status: 409, message: 'The upload has a different offset: ask for it (HEAD) and continue from there.' },
  UPLOAD_INCOMPLETE: { code: 90182, status: 400, message: 'This upload is not complete yet: send the rest of the file first.' },
  MAX_UPLOADS: { code: 90183, status: 400, message: 'Too many unfinished uploads: finish or cancel some first.' },
  TUS_VERSION_UNSUPPORTED: { code: 90184, status: 412, message: 'Send Tus-Resumable: 1.0.0 (the only version of the upload protocol this server speaks).' },
  NOT_READY: { code: 90503, status: 503, message: 'The server is not ready (database unreachable).' },
} as const satisfies Record<string, { code: number; status: number; message: string }>;

export type ApiErrorName = keyof typeof ApiErrors;

/**
 * Codes for one field's problem inside a 50035 Invalid Form Body error, as Discord names them.
 * Validation problems map onto the BASE_TYPE_* / STRING_TYPE_* codes; the rest are business rules.
 */
export const FieldErrorCodes = [
  'BASE_TYPE_REQUIRED',
  'BASE_TYPE_INVALID',
  'BASE_TYPE_MIN_LENGTH',
  'BASE_TYPE_MAX_LENGTH',
  'BASE_TYPE_CHOICES',
  'NUMBER_TYPE_MIN',
  'NUMBER_TYPE_MAX',
  'STRING_TYPE_REGEX',
  'STRING_TYPE_EMAIL',
  'USERNAME_ALREADY_TAKEN',
  'USERNAME_RESERVED',
  'EMAIL_ALREADY_REGISTERED',
  'EMAIL_REQUIRED',
  'INVALID_LOGIN',
  'PASSWORD_DOES_NOT_MATCH',
  'PASSWORD_REQUIRED',
  'INVITE_REQUIRED',
  'INVALID_INVITE',
  'INVALID_TICKET',
  'NO_PASSWORD',
  'MFA_REQUIRED',
  'PROVIDER_ALREADY_LINKED',
  'MESSAGE_REFERENCE_UNKNOWN_MESSAGE',
  'MFA_CODE_INVALID',
  'MFA_CODE_REQUIRED',
  'MFA_TICKET_INVALID',
  'MFA_ALREADY_ENABLED',
  'MFA_NOT_ENABLED',
  'MFA_REQUIRED_FOR_OWNER',
  'PASSKEY_INVALID',
] as const;
export type FieldErrorCode = (typeof FieldErrorCodes)[number];

export const FieldError = z.object({ code: z.string(), message: z.string() });
export type FieldError = z.infer<typeof FieldError>;

/**
 * Discord's nested form-error shape: `{ user: { name: { _errors: [{code, message}] } } }`,
 * one level per path segment (array indexes as string keys).
 */
export interface FormErrors {
  _errors?: FieldError[];
  [key: string]: FormErrors | FieldError[] | undefined;
}
export const FormErrors: z.ZodType<FormErrors> = z.lazy(() => z.record(z.string(), z.union([z.array(FieldError), FormErrors]))) as z.ZodType<FormErrors>;

export const ErrorBody = z.object({
  code: z.number().int(),
  message: z.string(),
  errors: FormErrors.optional(),
  /** On 429 only: seconds until the request may be retried (also sent as Retry-After). */
  retry_after: z.number().optional(),
  global: z.boolean().optional(),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** One problem with one field, before it is folded into the nested shape. */
export interface FieldProblem {
  path: readonly (string | number)[];
  code: FieldErrorCode | string;
  message: string;
}

/** Folds field problems into Discord's nested form-error object. */
export function toFormErrors(problems: readonly FieldProblem[]): FormErrors {
  const root: FormErrors = {};
  for (const problem of problems) {
    let node = root;
    for (const segment of problem.path) {
      const key = String(segment);
      node = (node[key] as FormErrors | undefined) ?? (node[key] = {});
    }
    (node._errors ??= []).push({ code: problem.code, message: problem.message });
  }
  return root;
}

/** Flattens a form-error object back into problems, first problem first (for messages and UIs). */
export function fromFormErrors(errors: FormErrors, path: string[] = []): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const [key, value] of Object.entries(errors)) {
    if (key === '_errors' && Array.isArray(value)) {
      for (const e of value) problems.push({ path, code: e.code, message: e.message });
    } else if (value && !Array.isArray(value)) {
      problems.push(...fromFormErrors(value, [...path, key]));
    }
  }
  return problems;
}

/** "Invalid Form Body (username: Must be at least 2 characters)": names the field in the message. */
export function describeFormErrors(problems: readonly FieldProblem[]): string {
  const first = problems[0];
  if (!first) return ApiErrors.INVALID_FORM_BODY.message;
  const where = first.path.length ? `${first.path.join('.')}: ` : '';
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  return `${ApiErrors.INVALID_FORM_BODY.message} (${where}${first.message}${more})`;
}
