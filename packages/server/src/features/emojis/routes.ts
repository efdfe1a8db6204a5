import { type Emoji, EmojiLimits, type Snowflake } from '@parley/protocol';
import { emojiRoutes as emojiApi } from '@parley/protocol/emojis';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context';
import type { EmojiRow } from '../../db/tables';
import { event } from '../../events/publisher';
import { decodeDataUri, imageKey, storeSquareImage } from '../../files/images';
import { ApiError, fieldError } from '../../http/errors';
import { routeRegistrar } from '../../http/routes';
import { getUserOrThrow } from '../users/queries';
import { toUser } from '../users/serialize';
import { emojisOf, toEmoji } from './serialize';
import { customReactionKey } from '../messages/reaction-emoji';

/**
 * A server's custom emoji: listed to its members, added, renamed and deleted with Manage
 * Expressions (the routes' `requires`). Each change sends GUILD_EMOJIS_UPDATE with the whole
 * list, as Discord does; deleting one takes its reactions with it.
 */
export function emojiRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { db } = ctx;
  const route = routeRegistrar(app, ctx);

  async function emojiOf(guildId: Snowflake, emojiId: Snowflake): Promise<EmojiRow> {
    const row = await db.selectFrom('emojis').selectAll().where('id', '=', emojiId).where('guild_id', '=', guildId).executeTakeFirst();
    if (!row) throw new ApiError('UNKNOWN_EMOJI');
    return row;
  }

  /** A name no other emoji of the server has (names are how people type them). */
  async function requireFreeName(guildId: Snowflake, name: string, except?: Snowflake): Promise<void> {
    let query = db.selectFrom('emojis').select('id').where('guild_id', '=', guildId).where('name', '=', name);
    if (except) query = query.where('id', '!=', except);
    if (await query.executeTakeFirst()) throw fieldError('name', 'BASE_TYPE_INVALID', `This server already has an emoji called :${name}:`);
  }

  async function announce(guildId: Snowflake): Promise<void> {
    await ctx.events.publish(event('GUILD_EMOJIS_UPDATE', { guild_id: guildId, emojis: await emojisOf(db, guildId) }, { guilds: [guildId] }));
  }

  const withCreator = async (row: EmojiRow): Promise<Emoji> => ({ ...toEmoji(row), user: toUser(await getUserOrThrow(db, row.creator_id)) });

  route(emojiApi.list, async ({ params }) => emojisOf(db, params.guild_id));

  route(emojiApi.get, async ({ params }) => toEmoji(await emojiOf(params.guild_id, params.emoji_id)));

  route(emojiApi.create, async ({ auth, params, body }) => {
    const count = await db
      .selectFrom('emojis')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('guild_id', '=', params.guild_id)
      .executeTakeFirstOrThrow();
    if (Number(count.n) >= EmojiLimits.perGuild) throw new ApiError('MAX_EMOJIS');
    await requireFreeName(params.guild_id, body.name);
    const id = ctx.ids.next();
    const image = await storeSquareImage(ctx.files, 'emojis', id, decodeDataUri(body.image));
    const row: EmojiRow = { id, guild_id: params.guild_id, name: body.name, image, animated: image.startsWith('a_') ? 1 : 0, creator_id: auth.user.id, created_at: ctx.clock.now() };
    await db.insertInto('emojis').values(row).execute();
    await announce(params.guild_id);
    return withCreator(row);
  });

  route(emojiApi.update, async ({ params, body }) => {
    const row = await emojiOf(params.guild_id, params.emoji_id);
    if (body.name === undefined || body.name === row.name) return withCreator(row);
    await requireFreeName(params.guild_id, body.name, row.id);
    await db.updateTable('emojis').set({ name: body.name }).where('id', '=', row.id).execute();
    await announce(params.guild_id);
    return withCreator({ ...row, name: body.name });
  });

  route(emojiApi.delete, async ({ params }) => {
    const row = await emojiOf(params.guild_id, params.emoji_id);
    await db.transaction().execute(async (trx) => {
      // Its reactions go with it.
      await trx.deleteFrom('reactions').where('emoji', '=', customReactionKey(row.id)).execute();
      await trx.deleteFrom('emojis').where('id', '=', row.id).execute();
    });
    await ctx.files.delete(imageKey('emojis', row.id, row.image));
    await announce(params.guild_id);
  });
}
