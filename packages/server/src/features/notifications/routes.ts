import { ChannelType, MessageNotificationLevel, routes } from '@parley/protocol';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context';
import { event } from '../../events/publisher';
import { ApiError } from '../../http/errors';
import { routeRegistrar } from '../../http/routes';
import { guildSettingsOf } from './settings';

/** Channels a notification override can be about: what people post in, and categories. */
const OVERRIDABLE_TYPES: number[] = [ChannelType.GUILD_TEXT, ChannelType.GUILD_VOICE, ChannelType.GUILD_STAGE_VOICE, ChannelType.GUILD_CATEGORY];

/**
 * Notification settings: per server (all messages, only mentions, nothing; mute) and per
 * channel. READY carries them (`user_guild_settings`); a change reaches the user's other
 * sessions as USER_GUILD_SETTINGS_UPDATE. Deciding whether a message notifies is the
 * client's job: it knows whether the user is looking at the channel.
 */
export function notificationRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { db } = ctx;
  const route = routeRegistrar(app, ctx);

  route(routes.notifications.updateGuildSettings, async ({ auth, access: { guild }, body }) => {
    const userId = auth.user.id;
    const overrides = body.channel_overrides ?? [];
    const channelIds = [...new Set(overrides.map((o) => o.channel_id))];
    if (channelIds.length) {
      const found = await db.selectFrom('channels').select('id').where('guild_id', '=', guild.id).where('id', 'in', channelIds).where('type', 'in', OVERRIDABLE_TYPES).execute();
      if (found.length !== channelIds.length) throw new ApiError('UNKNOWN_CHANNEL');
    }

    await db.transaction().execute(async (trx) => {
      if (body.message_notifications !== undefined || body.muted !== undefined) {
        const current = await guildSettingsOf(trx, userId, guild.id);
        const row = {
          message_notifications: body.message_notifications ?? current.message_notifications,
          muted: (body.muted ?? current.muted) ? (1 as const) : (0 as const),
        };
        await trx
          .insertInto('guild_notification_settings')
          .values({ user_id: userId, guild_id: guild.id, ...row })
          .onConflict((oc) => oc.columns(['user_id', 'guild_id']).doUpdateSet(row))
          .execute();
      }
      for (const override of overrides) {
        const current = await trx
          .selectFrom('channel_notification_settings')
          .select(['message_notifications', 'muted'])
          .where('user_id', '=', userId)
          .where('channel_id', '=', override.channel_id)
          .executeTakeFirst();
        const level = override.message_notifications ?? current?.message_notifications ?? MessageNotificationLevel.INHERIT;
        const muted = override.muted ?? current?.muted === 1;
        // Back to following the server: nothing left worth storing.
        if (level === MessageNotificationLevel.INHERIT && !muted) {
          await trx.deleteFrom('channel_notification_settings').where('user_id', '=', userId).where('channel_id', '=', override.channel_id).execute();
          continue;
        }
        const row = { message_notifications: level, muted: muted ? (1 as const) : (0 as const) };
        await trx
          .insertInto('channel_notification_settings')
          .values({ user_id: userId, channel_id: override.channel_id, guild_id: guild.id, ...row })
          .onConflict((oc) => oc.columns(['user_id', 'channel_id']).doUpdateSet(row))
          .execute();
      }
    });

    const settings = await guildSettingsOf(db, userId, guild.id);
    await ctx.events.publish(event('USER_GUILD_SETTINGS_UPDATE', settings, { users: [userId] }));
    return settings;
  });
}
