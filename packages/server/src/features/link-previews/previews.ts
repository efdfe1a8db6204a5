import { createHash } from 'node:crypto';
import { type Embed, MessageFlags, type Snowflake } from '@parley/protocol';
import { channelAudience } from '../../access/audience';
import { isThread } from '../../access/channel-kinds';
import type { AppContext } from '../../context';
import type { AttachmentUrls } from '../messages/attachment-urls';
import { loadMessages } from '../messages/serialize';
import { FetchRefused, type PreviewFetcher } from './fetch';
import { embedFromPage } from './parse';

/** Previews per message, as Discord. */
const MAX_LINKS = 3;
/** A page's preview is kept a day; a page that gave none, an hour. */
const FRESH_MS = 24 * 60 * 60_000;
const MISS_FRESH_MS = 60 * 60_000;
/** Messages waiting for their previews at most (beyond, previews are skipped: they are a nicety). */
const MAX_PENDING = 200;

/** What a preview needs of a message just sent or edited. */
export interface PreviewedMessage {
  id: Snowflake;
  channel_id: Snowflake;
  content: string;
  flags: number;
  encrypted?: unknown;
  webhook_id?: Snowflake | null | undefined;
}

/**
 * Link previews: after a message is sent or edited, the server fetches its links' pages
 * (fetch.ts: public addresses only, bounded) and adds what they say (parse.ts) to the message
 * as `link` embeds, announced with MESSAGE_UPDATE. Never for an encrypted message (the server
 * cannot read its links), a webhook's (it brings its own embeds), a message sent with
 * SUPPRESS_EMBEDS, a link written `<like this>`, or when the instance turned them off. One
 * channel's messages are previewed in order (its later message waits for its earlier one);
 * channels go in parallel. Previews are cached a day in `link_previews`.
 */
export class LinkPreviews {
  private readonly chains = new Map<Snowflake, Promise<void>>();
  private pending = 0;

  constructor(
    private readonly ctx: AppContext,
    private readonly urls: AttachmentUrls,
    private readonly fetcher: PreviewFetcher,
    private readonly onError: (error: unknown) => void,
  ) {}

  /**
   * Previews the message's links in the background (or takes away those its edit removed). What
   * to preview is decided now, by the instance's setting as it is now; the fetching comes later.
   */
  async follow(message: PreviewedMessage, options: { /** Just sent: it has no previews to take away. */ sent?: boolean } = {}): Promise<void> {
    if (message.encrypted !== undefined && message.encrypted !== null) return;
    if (message.webhook_id) return;
    if (this.pending >= MAX_PENDING) return;
    const enabled = (message.flags & MessageFlags.SUPPRESS_EMBEDS) === 0 && (await this.ctx.settings.cached()).link_previews;
    const links = enabled ? linksIn(message.content) : [];
    // A new message without links: nothing to fetch, nothing to take away, not even a read.
    if (options.sent && links.length === 0) return;
    this.pending++;
    const channelId = message.channel_id;
    const next: Promise<void> = (this.chains.get(channelId) ?? Promise.resolve())
      .then(() => this.preview(message, links))
      .catch(this.onError)
      .finally(() => {
        this.pending--;
        if (this.chains.get(channelId) === next) this.chains.delete(channelId);
      });
    this.chains.set(channelId, next);
  }

  /** Waits for the previews under way (on shutdown). */
  async close(): Promise<void> {
    while (this.chains.size) await Promise.allSettled([...this.chains.values()]);
  }

  private async preview(message: PreviewedMessage, links: readonly string[]): Promise<void> {
    const { db } = this.ctx;
    const embeds = (await Promise.all(links.map((link) => this.previewOf(link)))).filter((e): e is Embed => e !== null);
    const json = embeds.length ? JSON.stringify(embeds) : null;
    const row = await db.selectFrom('messages').selectAll().where('id', '=', message.id).executeTakeFirst();
    // Gone, or edited since (its edit has its turn next), or nothing changes.
    if (!row || row.content !== message.content || row.embeds === json) return;
    await db.updateTable('messages').set({ embeds: json }).where('id', '=', row.id).where('content', '=', message.content).execute();
    const channel = await db.selectFrom('channels').selectAll().where('id', '=', row.channel_id).executeTakeFirstOrThrow();
    const parent = isThread(channel.type) && channel.parent_id ? ((await db.selectFrom('channels').selectAll().where('id', '=', channel.parent_id).executeTakeFirst()) ?? null) : null;
    const [payload] = await loadMessages(db, [{ ...row, embeds: json }], null, this.urls);
    const audience = await channelAudience(db, channel, parent);
    await this.ctx.events.publish(...(await this.ctx.safety.deliveries('MESSAGE_UPDATE', payload!, audience, channel, parent, null)));
  }

  /** A link's preview: from the cache while fresh, else fetched (and cached, a miss too). */
  private async previewOf(link: string): Promise<Embed | null> {
    const { db, clock } = this.ctx;
    const urlHash = createHash('sha256').update(link).digest('hex');
    const cached = await db.selectFrom('link_previews').selectAll().where('url_hash', '=', urlHash).executeTakeFirst();
    if (cached && clock.now() - cached.fetched_at < (cached.embed === null ? MISS_FRESH_MS : FRESH_MS)) return cached.embed === null ? null : (JSON.parse(cached.embed) as Embed);
    let embed: Embed | null = null;
    try {
      const page = await this.fetcher.fetchPage(link);
      embed = embedFromPage(page.url, page.html);
    } catch (error) {
      if (!(error instanceof FetchRefused)) throw error;
    }
    const stored = { embed: embed && JSON.stringify(embed), fetched_at: clock.now() };
    await db
      .insertInto('link_previews')
      .values({ url_hash: urlHash, ...stored })
      .onConflict((oc) => oc.column('url_hash').doUpdateSet(stored))
      .execute();
    return embed;
  }
}

/**
 * The links a message's text would preview: http(s) URLs outside code, not written `<like
 * this>` (Discord's way to post a link without its preview), without trailing punctuation,
 * each once, at most three.
 */
export function linksIn(content: string): string[] {
  const prose = content.replace(/```[\s\S]*?```/g, ' ').replace(/`[^`\n]*`/g, ' ');
  const found: string[] = [];
  for (const match of prose.matchAll(/(<?)(https?:\/\/[^\s<>"]+)(>?)/gi)) {
    if (match[1] === '<' && match[3] === '>') continue;
    let link = match[2]!.replace(/[.,;:!?'*_~]+$/, '');
    // A closing parenthesis belongs to the link only if it opened one (a link in parentheses).
    while (link.endsWith(')') && (link.match(/\(/g)?.length ?? 0) < (link.match(/\)/g)?.length ?? 0)) link = link.slice(0, -1);
    if (!URL.canParse(link) || found.includes(link)) continue;
    found.push(link);
    if (found.length === MAX_LINKS) break;
  }
  return found;
}
