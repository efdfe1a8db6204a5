import type { Snowflake } from '@parley/protocol';
import type { AppContext } from '../../context';

/**
 * Switches an account off or on again (instance admins, the report queue's "suspend"). Off: every
 * session ends and its gateway connections close on every node at once, and no way of signing in
 * makes a new one (Sessions.create refuses). Its bots keep working: they are separate accounts.
 */
export async function setAccountDisabled(ctx: AppContext, userId: Snowflake, disabled: boolean): Promise<void> {
  const signedOut = await ctx.db.transaction().execute(async (trx) => {
    await trx
      .updateTable('users')
      .set({ disabled_at: disabled ? ctx.clock.now() : null })
      .where('id', '=', userId)
      .execute();
    return disabled ? ctx.sessions.revokeAll(trx, userId) : [];
  });
  await ctx.sessions.closeConnections(signedOut, 'Account disabled');
}
