import { createHmac, timingSafeEqual } from 'node:crypto';
import { Readable } from 'node:stream';
import { type Snowflake, snowflakeTimestamp } from '@parley/protocol';
import yazl from 'yazl';
import type { AppContext } from '../../context';
import { attachmentPrefix } from '../messages/attachments';
import { instanceSecret } from '../instance/secrets';
import { toPrivateUser } from '../users/serialize';

/** How long a download link works: long enough to start it, short enough that a leaked one soon dies. */
const EXPORT_LINK_TTL_MS = 10 * 60_000;
/** Messages read from the database at a time while the archive streams. */
const PAGE = 500;

async function exportKey(ctx: Pick<AppContext, 'db' | 'clock'>): Promise<Buffer> {
  return instanceSecret(ctx.db, 'data_exports', ctx.clock.now());
}

const mac = (key: Buffer, userId: Snowflake, expires: number) => createHmac('sha256', key).update(`export/${userId}/${expires}`).digest('hex');

/** A signed link to this user's archive: it carries the right to download it, so browsers need no Authorization header. */
export async function exportLink(ctx: Pick<AppContext, 'db' | 'clock'>, userId: Snowflake): Promise<{ path: string; expiresAt: number }> {
  const expiresAt = ctx.clock.now() + EXPORT_LINK_TTL_MS;
  return { path: `/exports/${userId}?ex=${expiresAt}&hm=${mac(await exportKey(ctx), userId, expiresAt)}`, expiresAt };
}

export async function verifyExportLink(ctx: Pick<AppContext, 'db' | 'clock'>, userId: Snowflake, ex: number, hm: string): Promise<boolean> {
  if (ex <= ctx.clock.now()) return false;
  return timingSafeEqual(Buffer.from(mac(await exportKey(ctx), userId, ex), 'hex'), Buffer.from(hm, 'hex'));
}

const json = (value: unknown) => Buffer.from(`${JSON.stringify(value, null, 2)}\n`);

/**
 * The archive of everything that is the person's own, streamed as it is written (no temporary
 * file, memory flat whatever its size): their profile and sessions, servers, friends, every
 * message they wrote (servers and DMs; one JSON Lines file per channel, paged from the
 * database) and the files they attached.
 */
export async function dataArchive(ctx: AppContext, userId: Snowflake): Promise<NodeJS.ReadableStream> {
  const { db } = ctx;
  const user = await db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirstOrThrow();
  const [sessions, servers, relationships, channels] = await Promise.all([
    db.selectFrom('sessions').select(['id', 'client', 'ip', 'created_at', 'last_used_at']).where('user_id', '=', userId).execute(),
    db
      .selectFrom('members')
      .innerJoin('guilds', 'guilds.id', 'members.guild_id')
      .select(['guilds.id', 'guilds.name', 'members.nick', 'members.joined_at'])
      .where('members.user_id', '=', userId)
      .execute(),
    db.selectFrom('relationships').selectAll().where('user_id', '=', userId).execute(),
    db
      .selectFrom('messages')
      .innerJoin('channels', 'channels.id', 'messages.channel_id')
      .select(['channels.id', 'channels.name', 'channels.type', 'channels.guild_id'])
      .where('messages.author_id', '=', userId)
      .distinct()
      .execute(),
  ]);
  const zip = new yazl.ZipFile();
  zip.addBuffer(
    Buffer.from(
      [
        `Your data from ${(await ctx.settings.get()).name}, as of ${new Date(ctx.clock.now()).toISOString()}.`,
        '',
        'account.json        your profile, as the API shows it to you, and your signed-in sessions',
        'servers.json        the servers you are in',
        'relationships.json  friends, blocks and requests',
        'channels.json       every channel you wrote in, with the file holding your messages there',
        'messages/<id>.jsonl your messages in that channel, one JSON object per line, oldest first',
        'files/<channel>/<attachment>/<name>  the files you attached',
        '',
      ].join('\n'),
    ),
    'README.txt',
  );
  zip.addBuffer(json({ user: toPrivateUser(user), sessions }), 'account.json');
  zip.addBuffer(json(servers), 'servers.json');
  zip.addBuffer(json(relationships), 'relationships.json');
  zip.addBuffer(json(channels.map((c) => ({ ...c, messages: `messages/${c.id}.jsonl` }))), 'channels.json');
  for (const channel of channels) zip.addReadStreamLazy(`messages/${channel.id}.jsonl`, (done) => done(null, Readable.from(messageLines(ctx, userId, channel.id))));

  const attachments = await db
    .selectFrom('attachments')
    .innerJoin('messages', 'messages.id', 'attachments.message_id')
    .select(['attachments.id', 'attachments.channel_id', 'attachments.filename'])
    .where('messages.author_id', '=', userId)
    .execute();
  for (const file of attachments) {
    zip.addReadStreamLazy(`files/${file.channel_id}/${file.id}/${file.filename}`, (done) => {
      ctx.files
        .get(`${attachmentPrefix(file.channel_id, file.id)}/file`)
        .then((stored) => done(null, stored?.stream ?? Readable.from([])))
        .catch((error: unknown) => done(error, Readable.from([])));
    });
  }
  zip.end();
  return zip.outputStream;
}

/** One channel's messages by this author, a page at a time (keyset on the ID), as JSON Lines. */
async function* messageLines(ctx: AppContext, userId: Snowflake, channelId: Snowflake): AsyncGenerator<string> {
  let after = '0' as Snowflake;
  for (;;) {
    const page = await ctx.db
      .selectFrom('messages')
      .select(['id', 'content', 'edited_at', 'pinned_at', 'reference_message_id'])
      .where('channel_id', '=', channelId)
      .where('author_id', '=', userId)
      .where('id', '>', after)
      .orderBy('id')
      .limit(PAGE)
      .execute();
    for (const m of page) {
      yield `${JSON.stringify({ id: m.id, timestamp: new Date(snowflakeTimestamp(m.id)).toISOString(), content: m.content, edited_timestamp: m.edited_at === null ? null : new Date(m.edited_at).toISOString(), reply_to: m.reference_message_id })}\n`;
    }
    if (page.length < PAGE) return;
    after = page[page.length - 1]!.id;
  }
}
