import type { FastifyBaseLogger } from 'fastify';
import type { AppContext } from '../../context';
import { eraseAccount } from './erase';

/** How often a node looks for accounts and sessions whose time is up. */
const SWEEP_INTERVAL_MS = 60 * 60_000;
/** At most this many accounts erased per sweep, so one sweep never holds a node for long. */
const ERASE_PER_SWEEP = 200;

/**
 * Ends what has lived its time: accounts whose deletion grace period is over, guests who never
 * kept their account and were not seen for GUEST_RETENTION_DAYS, sessions idle for
 * SESSION_IDLE_DAYS. Every node sweeps (each step is idempotent), so no node is special.
 */
export async function sweepAccounts(ctx: AppContext): Promise<{ deleted: number; guests: number; sessions: number }> {
  const now = ctx.clock.now();
  const { guestRetentionMs } = ctx.config.accounts;
  const sessions = await ctx.sessions.expireIdle();
  const due = await ctx.db.selectFrom('users').select('id').where('deletion_scheduled_at', '<=', now).where('deleted_at', 'is', null).limit(ERASE_PER_SWEEP).execute();
  for (const { id } of due) await eraseAccount(ctx, id, 'Deleted user');
  // Guests gone quiet: no session used since the cutoff, and owning no server (its members would lose it).
  const cutoff = now - guestRetentionMs;
  const quietGuests = await ctx.db
    .selectFrom('users')
    .select('id')
    .where('guest', '=', 1)
    .where('deleted_at', 'is', null)
    .where('created_at', '<', cutoff)
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('sessions').select('sessions.id').whereRef('sessions.user_id', '=', 'users.id').where('sessions.last_used_at', '>=', cutoff))))
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('guilds').select('guilds.id').whereRef('guilds.owner_id', '=', 'users.id'))))
    .limit(ERASE_PER_SWEEP)
    .execute();
  for (const { id } of quietGuests) await eraseAccount(ctx, id, 'Former guest');
  return { deleted: due.length, guests: quietGuests.length, sessions };
}

/** Sweeps now and then every hour until stopped; a failed sweep is logged and tried again next time. */
export function startAccountSweeper(ctx: AppContext, log: FastifyBaseLogger): () => Promise<unknown> {
  let running: Promise<unknown> = Promise.resolve();
  const sweep = () => {
    running = sweepAccounts(ctx).catch((error: unknown) => log.error({ err: error }, 'account sweep failed'));
  };
  const timer = setInterval(sweep, SWEEP_INTERVAL_MS);
  timer.unref();
  sweep();
  return () => {
    clearInterval(timer);
    return running;
  };
}
