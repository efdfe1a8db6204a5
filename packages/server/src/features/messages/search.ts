import { Permissions, SNOWFLAKE_EPOCH, type SearchQuery, type Snowflake, routes } from '@parley/protocol';
import type { FastifyInstance } from 'fastify';
import { type Kysely, type SelectQueryBuilder, type SqlBool, sql } from 'kysely';
import type { z } from 'zod';
import type { AppContext } from '../../context';
import type { DialectName } from '../../db/database';
import type { MessageRow, Tables, UserRow } from '../../db/tables';
import { routeRegistrar } from '../../http/routes';
import { guildChannelsAllowing } from '../../access/access';
import type { AttachmentUrls } from './attachment-urls';
import { loadMessages } from './serialize';
import { maskForViewer } from '../safety/held';

type Query = z.output<typeof SearchQuery>;

/** At most this many words of a search are used (the query is at most 256 characters anyway). */
const MAX_WORDS = 32;
const MAX_SNOWFLAKE = 2n ** 63n - 1n;

/**
 * The words of a search, as both engines then match them: runs of letters, digits and marks.
 * Everything else (quotes, `*`, `-`, parentheses, SQL or FTS5 syntax) only separates words, so
 * people's text is always plain words, never query syntax, and both engines agree on it.
 */
function searchWords(text: string): string[] {
  return (text.normalize('NFC').match(/[\p{L}\p{N}\p{M}\p{Co}]+/gu) ?? []).slice(0, MAX_WORDS);
}

/** The smallest snowflake created at or after `millis`: date filters become ID ranges on the primary key. */
function firstSnowflakeAt(millis: number): string {
  const offset = BigInt(Math.floor(millis)) - SNOWFLAKE_EPOCH;
  if (offset <= 0n) return '0';
  const id = offset << 22n;
  return (id > MAX_SNOWFLAKE ? MAX_SNOWFLAKE : id).toString();
}

/**
 * Messages in `channelIds` matching the query, newest first, with how many match in all.
 * SQLite searches the FTS5 index (unicode61: case and diacritics ignored), PostgreSQL the
 * `content_tsv` column ('simple': case ignored, no stemming); each word must occur.
 */
async function searchMessages(db: Kysely<Tables>, dialect: DialectName, channelIds: readonly Snowflake[], query: Omit<Query, 'channel_id'>): Promise<{ total: number; rows: MessageRow[] }> {
  let words: string[] | null = null;
  if (query.content !== undefined && query.content !== '') {
    words = searchWords(query.content);
    // Text with no word in it ("*", "--") matches nothing rather than everything.
    if (words.length === 0) return { total: 0, rows: [] };
  }
  if (channelIds.length === 0) return { total: 0, rows: [] };

  let filtered: SelectQueryBuilder<Tables, 'messages', object> = db.selectFrom('messages').where('channel_id', 'in', channelIds);
  if (words) filtered = filtered.where(textMatch(dialect, words));
  if (query.author_id) filtered = filtered.where('author_id', '=', query.author_id);
  if (query.has === 'file') filtered = filtered.where('has_attachments', '=', 1);
  if (query.has === 'image') filtered = filtered.where('has_images', '=', 1);
  if (query.after) filtered = filtered.where('id', '>=', firstSnowflakeAt(Date.parse(query.after)) as Snowflake);
  if (query.before) filtered = filtered.where('id', '<', firstSnowflakeAt(Date.parse(query.before)) as Snowflake);

  const [count, rows] = await Promise.all([
    filtered.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    filtered.selectAll().orderBy('id', 'desc').limit(query.limit).offset(query.offset).execute(),
  ]);
  return { total: Number(count.n), rows };
}

/** The full-text condition. Words are bound as parameters and, for FTS5, each quoted as a string. */
function textMatch(dialect: DialectName, words: string[]) {
  if (dialect === 'sqlite') {
    // A quoted string is a phrase of literal text in FTS5's syntax; listing several means all of them.
    const expression = words.map((w) => `"${w.replaceAll('"', '""')}"`).join(' ');
    return sql<SqlBool>`messages.id in (select rowid from messages_fts where messages_fts match ${expression})`;
  }
  return sql<SqlBool>`messages.content_tsv @@ plainto_tsquery('simple', ${words.join(' ')})`;
}

/** Full-text search in a server (the channels you can read) or in one channel or DM. */
export function searchRoutes(app: FastifyInstance, ctx: AppContext, urls: AttachmentUrls): void {
  const { db } = ctx;
  const route = routeRegistrar(app, ctx);

  /** Results as the viewer may read them: a message held from a minor is not found by its words (features/safety). */
  const searchable = async (viewer: UserRow, rows: MessageRow[]) => (await maskForViewer(db, viewer, await loadMessages(db, rows, viewer.id, urls))).filter((m) => !m.held);

  route(routes.messages.searchGuild, async ({ auth, access, query }) => {
    let channelIds = [...(await guildChannelsAllowing(db, access, Permissions.VIEW_CHANNEL | Permissions.READ_MESSAGE_HISTORY))];
    // A channel you cannot read (or of another server) simply has no results for you.
    if (query.channel_id) channelIds = channelIds.filter((id) => id === query.channel_id);
    const { total, rows } = await searchMessages(db, ctx.database.dialect, channelIds, query);
    return { total_results: total, messages: await searchable(auth.user, rows) };
  });

  route(routes.messages.searchChannel, async ({ auth, params, query }) => {
    const { total, rows } = await searchMessages(db, ctx.database.dialect, [params.channel_id], query);
    return { total_results: total, messages: await searchable(auth.user, rows) };
  });
}
