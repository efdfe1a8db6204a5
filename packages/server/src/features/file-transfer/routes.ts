import { Permissions } from '@parley/protocol';
import { fileTransferRoutes as fileTransferApi } from '@parley/protocol/file-transfer';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context';
import { consumeOrThrow } from '../../core/rate-limits';
import { event } from '../../events/publisher';
import { ApiError } from '../../http/errors';
import { routeRegistrar } from '../../http/routes';
import { channelAccess } from '../../access/access';
import { blockedEitherWay } from '../../access/blocks';

/**
 * A transfer takes a request, an offer, an answer and a few batches of candidates; a resumed
 * one as many again. 120 a minute lets several transfers run at once and stops a flood.
 */
const SIGNALS_PER_MINUTE = 120;
const READ = Permissions.VIEW_CHANNEL | Permissions.READ_MESSAGE_HISTORY;

/**
 * Peer-to-peer file transfer (docs/file-transfer.md): the server only relays signaling between
 * two people who can both read the channel the offer was made in. It keeps nothing: who offers
 * what is in the messages, and the bytes go between the browsers.
 */
export function fileTransferRoutes(app: FastifyInstance, ctx: AppContext): void {
  const route = routeRegistrar(app, ctx);
  const perUser = ctx.limiters({ keyPrefix: 'file-signal', points: SIGNALS_PER_MINUTE, duration: 60 });

  route(fileTransferApi.signal, async ({ auth, access, body }) => {
    await consumeOrThrow(perUser, auth.user.id);
    const { to_user_id, ...signal } = body;
    if (to_user_id !== auth.user.id) {
      // The other side must be able to read the conversation too: a signal is no way to reach a stranger.
      const theirs = await channelAccess(ctx.db, access.channel.id, to_user_id).catch((error: unknown) => {
        if (error instanceof ApiError) return null;
        throw error;
      });
      const canRead = theirs !== null && (theirs.permissions & READ) === READ;
      if (!canRead) throw new ApiError('UNKNOWN_USER', { message: 'That person cannot read this channel' });
      if (await blockedEitherWay(ctx.db, auth.user.id, to_user_id)) throw new ApiError('CANNOT_MESSAGE_USER');
    }
    await ctx.events.publish(event('FILE_SIGNAL', { ...signal, channel_id: access.channel.id, from_user_id: auth.user.id }, { users: [to_user_id] }));
  });
}
