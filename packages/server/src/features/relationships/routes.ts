import { RelationshipType, routes } from '@parley/protocol';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context';
import { event } from '../../events/publisher';
import { ApiError } from '../../http/errors';
import { routeRegistrar } from '../../http/routes';
import { getUserOrThrow, usersByIds } from '../users/queries';
import { toUser } from '../users/serialize';

/** Blocking: a blocked user can no longer DM you or add you to group DMs, and you them. */
export function relationshipRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { db } = ctx;
  const route = routeRegistrar(app, ctx);

  route(routes.relationships.list, async ({ auth }) => {
    const rows = await db.selectFrom('relationships').selectAll().where('user_id', '=', auth.user.id).orderBy('created_at').execute();
    const users = await usersByIds(
      db,
      rows.map((r) => r.other_id),
    );
    return rows.flatMap((r) => (users.has(r.other_id) ? [{ id: r.other_id, type: r.type, user: toUser(users.get(r.other_id)!) }] : []));
  });

  route(routes.relationships.block, async ({ auth, params }) => {
    if (params.user_id === auth.user.id) throw new ApiError('CANNOT_MESSAGE_USER', { message: 'You cannot block yourself' });
    const other = await getUserOrThrow(db, params.user_id);
    await db
      .insertInto('relationships')
      .values({ user_id: auth.user.id, other_id: other.id, type: RelationshipType.BLOCKED, created_at: ctx.clock.now() })
      .onConflict((oc) => oc.columns(['user_id', 'other_id']).doUpdateSet({ type: RelationshipType.BLOCKED }))
      .execute();
    // A pending request from them goes away with the block.
    await db
      .updateTable('channel_members')
      .set({ state: 'declined' })
      .where('user_id', '=', auth.user.id)
      .where('state', '=', 'request')
      .where(
        'channel_id',
        'in',
        db
          .selectFrom('channels')
          .select('id')
          .where('dm_key', 'in', [`${auth.user.id}:${other.id}`, `${other.id}:${auth.user.id}`]),
      )
      .execute();
    await ctx.events.publish(event('RELATIONSHIP_ADD', { id: other.id, type: RelationshipType.BLOCKED, user: toUser(other) }, { users: [auth.user.id] }));
  });

  route(routes.relationships.remove, async ({ auth, params }) => {
    const removed = await db.deleteFrom('relationships').where('user_id', '=', auth.user.id).where('other_id', '=', params.user_id).executeTakeFirst();
    if (removed.numDeletedRows === 0n) throw new ApiError('UNKNOWN_USER');
    await ctx.events.publish(event('RELATIONSHIP_REMOVE', { id: params.user_id, type: RelationshipType.BLOCKED }, { users: [auth.user.id] }));
  });
}
