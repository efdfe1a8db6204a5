import type { AppContext } from '../../context';
import type { UserRow } from '../../db/tables';
import { VERIFY_LINK_TTL_MS, issueLink } from './links';
import { type MailContext, addressChangeMail, verificationMail } from './messages';

type MailingContext = Pick<AppContext, 'db' | 'clock' | 'mailer' | 'settings' | 'config'>;

/** Who the mail says it is from, and where its links point; null when this server sends no mail. */
export async function mailContext(ctx: MailingContext): Promise<MailContext | null> {
  if (!ctx.mailer || !ctx.config.mail) return null;
  return { instanceName: (await ctx.settings.get()).name, publicUrl: ctx.config.mail.publicUrl };
}

/** Mails `address` a link confirming it for `user` (a new account's address, or one waiting to replace the old). No mail configured: nothing. */
export async function sendVerification(ctx: MailingContext, user: Pick<UserRow, 'id' | 'username'>, address: string): Promise<void> {
  const context = await mailContext(ctx);
  if (!context) return;
  const token = await issueLink(ctx.db, { userId: user.id, purpose: 'verify', email: address, now: ctx.clock.now(), ttlMs: VERIFY_LINK_TTL_MS });
  ctx.mailer!.send(verificationMail(context, address, user.username, token));
}

/** The old address is told that the account asked to move to a new one. */
export async function tellOldAddress(ctx: MailingContext, user: Pick<UserRow, 'username' | 'email'>, newAddress: string): Promise<void> {
  const context = await mailContext(ctx);
  if (context && user.email) ctx.mailer!.send(addressChangeMail(context, user.email, user.username, newAddress));
}
