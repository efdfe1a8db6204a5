import type { Snowflake } from '@parley/protocol';
import type { AppContext } from '../../context';
import { imageKey } from '../../files/images';
import { removeMember } from '../guilds/membership';

/** What an erased account is shown as, next to the messages it leaves behind. */
export type ErasedAs = 'Deleted user' | 'Former guest';

/**
 * Erases an account: it leaves every server (members are told, as when someone leaves), its
 * profile, e-mail, password, avatar, friends, sign-on identities, sessions and pending links go, and its gateway
 * connections close. The row stays under a placeholder name so that its messages (in servers
 * and DMs) keep an author, as Discord's "Deleted User". Servers it owns must have been handed
 * over first: the callers check.
 */
export async function eraseAccount(ctx: AppContext, userId: Snowflake, shownAs: ErasedAs): Promise<void> {
  const { db } = ctx;
  const user = await db.selectFrom('users').select(['avatar', 'deleted_at']).where('id', '=', userId).executeTakeFirst();
  if (!user || user.deleted_at !== null) return;
  const guilds = await db.selectFrom('members').select('guild_id').where('user_id', '=', userId).execute();
  for (const { guild_id } of guilds) await removeMember(ctx, guild_id, userId);
  const signedOut = await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('users')
      .set({
        // Unique and never a name anyone could choose (usernames may not contain a dash).
        username: `deleted-${userId}`,
        global_name: shownAs,
        email: null,
        email_verified: 0,
        pending_email: null,
        password_hash: null,
        avatar: null,
        bio: '',
        custom_status: null,
        admin: 0,
        password_change_required: 0,
        mfa_enabled: 0,
        deletion_scheduled_at: null,
        deleted_at: ctx.clock.now(),
      })
      .where('id', '=', userId)
      .execute();
    await trx
      .deleteFrom('relationships')
      .where((eb) => eb.or([eb('user_id', '=', userId), eb('other_id', '=', userId)]))
      .execute();
    await trx.deleteFrom('email_tokens').where('user_id', '=', userId).execute();
    await trx.deleteFrom('known_sign_in_sources').where('user_id', '=', userId).execute();
    // Its single sign-on identities: the provider account must not sign in to the erased one, and may start afresh.
    await trx.deleteFrom('user_identities').where('user_id', '=', userId).execute();
    await trx.deleteFrom('sso_tickets').where('user_id', '=', userId).execute();
    // Second factors and passkeys go too: a passkey must not sign in to an erased account.
    for (const table of ['totp_secrets', 'recovery_codes', 'mfa_tickets', 'passkeys', 'webauthn_challenges'] as const) {
      await trx.deleteFrom(table).where('user_id', '=', userId).execute();
    }
    const sessions = await trx.deleteFrom('sessions').where('user_id', '=', userId).returning('id').execute();
    return sessions.map((s) => s.id);
  });
  await ctx.sessions.closeConnections(signedOut, 'Account deleted');
  await ctx.calls.eject(userId, {});
  if (user.avatar) await ctx.files.delete(imageKey('avatars', userId, user.avatar));
}
