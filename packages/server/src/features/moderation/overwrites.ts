import { AuditLogEvent, type Snowflake, routes } from '@parley/protocol';
import type { FastifyInstance } from 'fastify';
import { type ChannelAccess, overwritesOf } from '../../access/access';
import { channelListingAudience } from '../../access/audience';
import { isThread } from '../../access/channel-kinds';
import type { AppContext } from '../../context';
import { event } from '../../events/publisher';
import { ApiError, fieldError } from '../../http/errors';
import { routeRegistrar } from '../../http/routes';
import { auditReason, recordAudit } from '../audit-log/record';
import { withRelisting } from '../channels/relisting';
import { toChannel } from '../channels/serialize';
import { checkOverwrites } from './overwrite-rules';
import { rulesChanged } from '../../access/guild-rules';

/**
 * Channel permission overwrites: PUT and DELETE /channels/{id}/permissions/{role or user id}.
 * Manage Roles in the channel (declared on the routes); nobody allows or denies a permission
 * they do not hold there. Whoever the change shows the channel to, or hides it from, is told
 * (channels/relisting.ts); everyone still seeing it gets CHANNEL_UPDATE.
 */
export function overwriteRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { db } = ctx;
  const route = routeRegistrar(app, ctx);

  /** Overwrites belong to a server's channels and categories; threads follow their parent. */
  function guildChannelOf(access: ChannelAccess): Snowflake {
    if (!access.guild || isThread(access.channel.type)) throw new ApiError('MISSING_PERMISSIONS');
    return access.guild.guild.id;
  }

  async function announce(channelId: Snowflake): Promise<void> {
    const channel = await db.selectFrom('channels').selectAll().where('id', '=', channelId).executeTakeFirstOrThrow();
    const overwrites = (await overwritesOf(db, [channelId])).get(channelId) ?? [];
    await ctx.events.publish(event('CHANNEL_UPDATE', toChannel(channel, { overwrites }), await channelListingAudience(db, channel)));
  }

  route(routes.moderation.editOverwrite, async ({ auth, access, params, body, request }) => {
    const guildId = guildChannelOf(access);
    const allow = body.allow ?? '0';
    const deny = body.deny ?? '0';
    await checkOverwrites(db, guildId, access.permissions, [{ id: params.overwrite_id, type: body.type, allow, deny }], () => 'overwrite_id');
    const existing = (access.overwrites ?? []).find((o) => o.id === params.overwrite_id);
    if (existing && existing.type !== body.type) throw fieldError('type', 'BASE_TYPE_INVALID', 'This overwrite exists with the other type');
    if (existing?.allow === allow && existing.deny === deny) return;
    await withRelisting(ctx, guildId, undefined, () =>
      db.transaction().execute(async (trx) => {
        await trx
          .insertInto('permission_overwrites')
          .values({ channel_id: access.channel.id, target_id: params.overwrite_id, type: body.type, allow, deny })
          .onConflict((oc) => oc.columns(['channel_id', 'target_id']).doUpdateSet({ allow, deny }))
          .execute();
        await rulesChanged(trx, guildId);
        await recordAudit(ctx, trx, {
          guildId,
          userId: auth.user.id,
          action: existing ? AuditLogEvent.CHANNEL_OVERWRITE_UPDATE : AuditLogEvent.CHANNEL_OVERWRITE_CREATE,
          targetId: access.channel.id,
          changes: [
            { key: 'allow', ...(existing && { old_value: existing.allow }), new_value: allow },
            { key: 'deny', ...(existing && { old_value: existing.deny }), new_value: deny },
          ],
          options: { id: params.overwrite_id, type: String(body.type) },
          reason: auditReason(request),
        });
      }),
    );
    await announce(access.channel.id);
  });

  route(routes.moderation.deleteOverwrite, async ({ auth, access, params, request }) => {
    const guildId = guildChannelOf(access);
    const existing = (access.overwrites ?? []).find((o) => o.id === params.overwrite_id);
    if (!existing) return;
    await withRelisting(ctx, guildId, undefined, () =>
      db.transaction().execute(async (trx) => {
        await trx.deleteFrom('permission_overwrites').where('channel_id', '=', access.channel.id).where('target_id', '=', params.overwrite_id).execute();
        await rulesChanged(trx, guildId);
        await recordAudit(ctx, trx, {
          guildId,
          userId: auth.user.id,
          action: AuditLogEvent.CHANNEL_OVERWRITE_DELETE,
          targetId: access.channel.id,
          changes: [
            { key: 'allow', old_value: existing.allow },
            { key: 'deny', old_value: existing.deny },
          ],
          options: { id: params.overwrite_id, type: String(existing.type) },
          reason: auditReason(request),
        });
      }),
    );
    await announce(access.channel.id);
  });
}
