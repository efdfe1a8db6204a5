import type { SecurityEventKind } from '@parley/protocol';
import type { Mail } from './mailer';

/** What every mail needs to say where it comes from. */
export interface MailContext {
  instanceName: string;
  publicUrl: string;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A mail with a paragraph or two and, optionally, one button-like link; the same words in text and HTML. */
function compose(context: MailContext, to: string, subject: string, paragraphs: string[], link?: { label: string; url: string }): Mail {
  const text = [...paragraphs, ...(link ? [`${link.label}: ${link.url}`] : []), `— ${context.instanceName} (${context.publicUrl})`].join('\n\n');
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif;line-height:1.5">',
    ...paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`),
    ...(link ? [`<p><a href="${escapeHtml(link.url)}">${escapeHtml(link.label)}</a></p>`, `<p style="color:#666">${escapeHtml(link.url)}</p>`] : []),
    `<p style="color:#666">— ${escapeHtml(context.instanceName)}</p>`,
    '</body></html>',
  ].join('\n');
  return { to, subject: `${subject} — ${context.instanceName}`, text, html };
}

/** Links carry the token in the fragment: it never reaches a server log or a Referer header. */
const linkTo = (context: MailContext, page: 'verify-email' | 'reset-password', token: string) => `${context.publicUrl}/${page}#token=${token}`;

export function verificationMail(context: MailContext, to: string, username: string, token: string): Mail {
  return compose(
    context,
    to,
    'Confirm your e-mail address',
    [`Hello ${username},`, `Please confirm that ${to} is your e-mail address on ${context.instanceName}. The link works once, for 24 hours.`, 'If you did not ask for this, ignore this mail.'],
    { label: 'Confirm my address', url: linkTo(context, 'verify-email', token) },
  );
}

export function passwordResetMail(context: MailContext, to: string, username: string, token: string, ttlMinutes: number): Mail {
  return compose(
    context,
    to,
    'Reset your password',
    [
      `Hello ${username},`,
      `Someone (we hope you) asked to reset the password of your account on ${context.instanceName}. The link works once, for ${ttlMinutes} minutes; using it signs you out everywhere.`,
      'If you did not ask for this, ignore this mail: your password stays as it is.',
    ],
    { label: 'Choose a new password', url: linkTo(context, 'reset-password', token) },
  );
}

/** Told to the old address when the account asks to move to a new one. */
export function addressChangeMail(context: MailContext, to: string, username: string, newAddress: string): Mail {
  return compose(context, to, 'Your e-mail address is being changed', [
    `Hello ${username},`,
    `Your account on ${context.instanceName} asked to use ${newAddress} instead of this address. It changes once the link sent there is followed.`,
    'If this was not you, sign in and change your password now, and sign out your other sessions.',
  ]);
}

/** What each security notice says happened. */
const NOTICE: Record<SecurityEventKind, string> = {
  sign_in: 'Someone signed in to your account.',
  sign_in_new_place: 'Someone signed in to your account from a browser or network it had not used before.',
  password_changed: 'Your password was changed, and your other sessions were signed out.',
  password_reset: 'Your password was reset from a mailed link, and every session was signed out.',
  email_changed: 'The e-mail address of your account was changed; this address is the new one.',
  mfa_enabled: 'Two-factor authentication was turned on.',
  mfa_disabled: 'Two-factor authentication was turned off.',
  backup_codes_regenerated: 'New recovery codes were made; the old ones no longer work.',
  passkey_added: 'A passkey was added to your account.',
  passkey_removed: 'A passkey was removed from your account.',
  deletion_scheduled: 'Your account is scheduled for deletion. Sign in before then to keep it.',
  deletion_cancelled: 'The deletion of your account was cancelled.',
};

/** Tells the account's address what just happened to its security, and from where. */
export function securityNoticeMail(context: MailContext, to: string, username: string, kind: SecurityEventKind, from: { client: string; ip: string | null; at: Date }): Mail {
  return compose(context, to, 'Security notice', [
    `Hello ${username},`,
    NOTICE[kind],
    `When: ${from.at.toUTCString()}. From: ${from.client}${from.ip ? `, address ${from.ip}` : ''}.`,
    'If this was not you, use "Forgot password" on the sign-in page to take your account back, then sign out your other sessions in Settings → Devices.',
  ]);
}

/**
 * An account an instance admin created for this address (features/admin: one account or an
 * import): its username and a link to choose a password, which works once.
 */
export function accountCreatedMail(context: MailContext, to: string, username: string, token: string, ttlDays: number): Mail {
  return compose(
    context,
    to,
    'Your account is ready',
    [
      `Hello,`,
      `An administrator of ${context.instanceName} created an account for you. Your username is ${username}.`,
      `Choose your password with the link below; it works once, for ${ttlDays} days. Then sign in with your username or this address.`,
    ],
    { label: 'Choose my password', url: linkTo(context, 'reset-password', token) },
  );
}
