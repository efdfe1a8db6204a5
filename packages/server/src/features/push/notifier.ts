import { type CallCreate, type Message, MessageNotificationLevel, effectiveNotifications, MessageType, RelationshipType, type Snowflake } from '@parley/protocol';
import type { PushPayload } from '@parley/protocol/push';
import type { FastifyBaseLogger } from 'fastify';
import type { Audience } from '../../bus/event-log';
import type { ReadCache } from '../../cache/caches';
import type { AppContext } from '../../context';
import type { PushSubscriptionsTable } from '../../db/tables';
import type { OutgoingEvent } from '../../events/publisher';
import { guildSettingsOf } from '../notifications/settings';
import type { PushSender } from './sender';

const BODY_MAX = 180;
/** Call rings already pushed (message ID and user), so a ring's later updates do not push again. */
const RUNG_MAX = 10_000;
const ICON = '/icons/icon-192.png';

type Row = PushSubscriptionsTable;

/**
 * What to push, decided from the events this node publishes (EventPublisher.onPublish: each
 * event is seen once, on the node where it happened): a new message to those its audience
 * holds whose notification settings say it notifies (every accepted DM, mentions and replies
 * (which mention their target), everything where they chose all messages; never muted, never
 * a message request, never from someone they blocked), and a DM call to those it rings. Nobody
 * is pushed while a gateway connection of theirs is live and not idle (they hear of it there),
 * and each of their subscriptions (one per device) gets one push per message.
 */
export class PushNotifier {
  private readonly rung = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  /** A guild's members with a push subscription, per node: read on every message sent in it (cache/). */
  private readonly subscribedMembers: ReadCache<Snowflake, readonly Snowflake[]>;
  /** Whether a user has a push subscription, per node: read on every DM and private channel message. */
  private readonly subscribedUsers: ReadCache<Snowflake, boolean>;

  constructor(
    private readonly ctx: AppContext,
    private readonly sender: PushSender,
    private readonly logger: FastifyBaseLogger,
  ) {
    this.subscribedMembers = ctx.caches.create(['push_subscriptions', 'members', 'users', 'guilds'], { max: 5_000 });
    this.subscribedUsers = ctx.caches.create(['push_subscriptions', 'users'], { max: 50_000 });
  }

  /** Called with every group of events published here; never throws, never delays the publisher. */
  observe(events: readonly OutgoingEvent[]): void {
    const relevant = events.filter((e) => e.t === 'MESSAGE_CREATE' || e.t === 'CALL_CREATE' || e.t === 'CALL_UPDATE');
    if (relevant.length === 0) return;
    const work = this.handle(relevant).catch((error: unknown) => this.logger.warn({ err: error }, 'push: deciding what to push failed'));
    this.running.add(work);
    void work.finally(() => this.running.delete(work));
  }

  /** Resolves once the pushes under way are done (the server's close waits for them). */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.all([...this.running]);
  }

  private async handle(events: readonly OutgoingEvent[]): Promise<void> {
    // One message may go out as several events (features/safety splits its audience): each user once.
    const handled = new Map<Snowflake, Set<Snowflake>>();
    for (const e of events) {
      if (e.t === 'MESSAGE_CREATE') {
        const message = e.d as Message;
        let done = handled.get(message.id);
        if (!done) handled.set(message.id, (done = new Set()));
        await this.message(message, e.to, done);
      } else {
        await this.ring(e.d as CallCreate, e.t === 'CALL_CREATE');
      }
    }
  }

  // ---- messages ----

  private async message(message: Message, to: Audience, done: Set<Snowflake>): Promise<void> {
    // A call's system message is announced by its ring; a held message says nothing.
    if (message.type === MessageType.CALL || message.held) return;
    const candidates = (await this.subscribedIn(to)).filter((id) => id !== message.author.id && !done.has(id));
    if (candidates.length === 0) return;
    for (const id of candidates) done.add(id);
    const { db } = this.ctx;
    const channel = await db.selectFrom('channels').select(['id', 'name', 'type', 'guild_id', 'parent_id']).where('id', '=', message.channel_id).executeTakeFirst();
    if (!channel) return;
    let notified: Snowflake[];
    if (!channel.guild_id) {
      // Every DM notifies, but a request, which waits quietly in the person's list.
      const rows = await db.selectFrom('channel_members').select('user_id').where('channel_id', '=', channel.id).where('user_id', 'in', candidates).where('state', '=', 'accepted').execute();
      notified = rows.map((r) => r.user_id);
    } else {
      notified = await this.notifiedInGuild(message, channel.guild_id, await this.chainOf(channel), candidates);
    }
    notified = await this.notBlocking(notified, message.author.id);
    notified = await this.inactive(notified);
    if (notified.length === 0) return;

    const guild = channel.guild_id ? await db.selectFrom('guilds').select('name').where('id', '=', channel.guild_id).executeTakeFirst() : undefined;
    const author = message.member?.nick ?? message.author.global_name ?? message.author.username;
    const where = channel.guild_id ? ` (#${channel.name ?? 'channel'}${guild ? `, ${guild.name}` : ''})` : channel.name ? ` (${channel.name})` : '';
    const base = {
      kind: 'message' as const,
      url: `/channels/${channel.guild_id ?? '@me'}/${channel.id}?message=${message.id}`,
      tag: `channel-${channel.id}`,
      channel_id: channel.id,
      message_id: message.id,
      icon: message.author.avatar ? `/cdn/avatars/${message.author.id}/${message.author.avatar}.webp` : ICON,
    };
    // The server never reads an encrypted message: only who sent it.
    const hidden: PushPayload = { ...base, title: 'Parley', body: message.encrypted ? `New encrypted message from ${author}` : `New message from ${author}` };
    let preview: PushPayload | null = null;
    const payloadFor = async (row: Row): Promise<PushPayload> => {
      if (row.previews !== 1 || message.encrypted) return hidden;
      preview ??= { ...base, title: `${author}${where}`, body: await this.previewText(message) };
      return preview;
    };
    const rows = await db.selectFrom('push_subscriptions').selectAll().where('user_id', 'in', notified).execute();
    await Promise.all(rows.map(async (row) => this.push(row, await payloadFor(row), 'normal')));
  }

  /** Who, among these members, this server message notifies by their settings. */
  private async notifiedInGuild(message: Message, guildId: Snowflake, chain: Snowflake[], candidates: Snowflake[]): Promise<Snowflake[]> {
    const roleHolders = message.mention_roles.length
      ? new Set(
          (
            await this.ctx.db.selectFrom('member_roles').select('user_id').where('guild_id', '=', guildId).where('role_id', 'in', message.mention_roles).where('user_id', 'in', candidates).execute()
          ).map((r) => r.user_id),
        )
      : new Set<Snowflake>();
    const mentioned = (id: Snowflake) => message.mention_everyone || message.mentions.some((u) => u.id === id) || roleHolders.has(id);
    const notified: Snowflake[] = [];
    for (const id of candidates) {
      const { level, muted } = effectiveNotifications(await guildSettingsOf(this.ctx.db, id, guildId), chain);
      if (muted || level === MessageNotificationLevel.NO_MESSAGES) continue;
      if (level === MessageNotificationLevel.ALL_MESSAGES || mentioned(id)) notified.push(id);
    }
    return notified;
  }

  /** The channel and what its settings inherit from: [channel, category] or [thread, channel, category]. */
  private async chainOf(channel: { id: Snowflake; parent_id: Snowflake | null }): Promise<Snowflake[]> {
    const chain = [channel.id];
    let parentId = channel.parent_id;
    while (parentId && chain.length < 3) {
      chain.push(parentId);
      const parent = await this.ctx.db.selectFrom('channels').select('parent_id').where('id', '=', parentId).executeTakeFirst();
      parentId = parent?.parent_id ?? null;
    }
    return chain;
  }

  /** The message's text for a notification: mentions as names, shortened; or what it carries. */
  private async previewText(message: Message): Promise<string> {
    const { db } = this.ctx;
    const channelIds = [...message.content.matchAll(/<#(\d{1,20})>/g)].map((m) => m[1] as Snowflake);
    const channels = channelIds.length ? await db.selectFrom('channels').select(['id', 'name']).where('id', 'in', channelIds).execute() : [];
    const roles = message.mention_roles.length ? await db.selectFrom('roles').select(['id', 'name']).where('id', 'in', message.mention_roles).execute() : [];
    const text = message.content
      .replace(/<@!?(\d{1,20})>/g, (_, id: string) => {
        const user = message.mentions.find((u) => u.id === id);
        return `@${user ? (user.global_name ?? user.username) : 'someone'}`;
      })
      .replace(/<@&(\d{1,20})>/g, (_, id: string) => `@${roles.find((r) => r.id === id)?.name ?? 'role'}`)
      .replace(/<#(\d{1,20})>/g, (_, id: string) => `#${channels.find((c) => c.id === id)?.name ?? 'channel'}`)
      .replace(/<a?:(\w{1,32}):\d{1,20}>/g, ':$1:')
      .replace(/\s+/g, ' ')
      .trim();
    if (text) return text.length > BODY_MAX ? `${text.slice(0, BODY_MAX - 1)}…` : text;
    const files = message.attachments.length;
    if (files) return `Sent ${files === 1 ? message.attachments[0]!.filename : `${files} files`}`;
    const embed = message.embeds[0]?.title;
    return embed ? embed.slice(0, BODY_MAX) : 'Sent a message';
  }

  // ---- call rings ----

  private async ring(call: Pick<CallCreate, 'channel_id' | 'message_id' | 'ringing'> & { voice_states?: CallCreate['voice_states'] }, created: boolean): Promise<void> {
    const fresh = call.ringing.filter((id) => !this.rung.has(`${call.message_id}:${id}`));
    if (fresh.length === 0) return;
    for (const id of fresh) this.remember(`${call.message_id}:${id}`);
    const { db } = this.ctx;
    const subscribed = await db.selectFrom('push_subscriptions').select('user_id').distinct().where('user_id', 'in', fresh).execute();
    if (subscribed.length === 0) return;
    const callerId = (created ? call.voice_states?.[0]?.user_id : undefined) ?? (await db.selectFrom('messages').select('author_id').where('id', '=', call.message_id).executeTakeFirst())?.author_id;
    const caller = callerId ? await db.selectFrom('users').select(['username', 'global_name', 'avatar', 'id']).where('id', '=', callerId).executeTakeFirst() : undefined;
    const name = caller ? (caller.global_name ?? caller.username) : 'Someone';
    let notified = subscribed.map((r) => r.user_id);
    if (caller) notified = await this.notBlocking(notified, caller.id);
    notified = await this.inactive(notified);
    if (notified.length === 0) return;
    const payload: PushPayload = {
      kind: 'call',
      title: 'Incoming call',
      body: `${name} is calling you`,
      url: `/channels/@me/${call.channel_id}`,
      tag: `call-${call.message_id}`,
      channel_id: call.channel_id,
      message_id: call.message_id,
      icon: caller?.avatar ? `/cdn/avatars/${caller.id}/${caller.avatar}.webp` : ICON,
    };
    const rows = await db.selectFrom('push_subscriptions').selectAll().where('user_id', 'in', notified).execute();
    await Promise.all(rows.map((row) => this.push(row, payload, 'high')));
  }

  private remember(key: string): void {
    this.rung.add(key);
    if (this.rung.size > RUNG_MAX) this.rung.delete(this.rung.values().next().value!);
  }

  // ---- shared ----

  /** The users with a push subscription who are in this audience. */
  private async subscribedIn(to: Audience): Promise<Snowflake[]> {
    const { db } = this.ctx;
    const found = new Set<Snowflake>();
    if (to.users?.length) for (const id of await this.subscribedAmong(to.users)) found.add(id);
    for (const guildId of to.guilds ?? []) {
      const subscribed = await this.subscribedMembers.load(guildId, async () => {
        const rows = await db
          .selectFrom('push_subscriptions')
          .innerJoin('members', 'members.user_id', 'push_subscriptions.user_id')
          .select('push_subscriptions.user_id')
          .distinct()
          .where('members.guild_id', '=', guildId)
          .execute();
        return Object.freeze(rows.map((r) => r.user_id));
      });
      for (const id of subscribed) found.add(id);
    }
    for (const id of to.exceptUsers ?? []) found.delete(id);
    return [...found];
  }

  /**
   * Of these users, those with a push subscription, from the per-node cache; the rest read at once.
   * (A session's end takes its subscription without a report: a user kept as subscribed is read
   * again when pushed to, and found to have none.)
   */
  private async subscribedAmong(users: readonly Snowflake[]): Promise<Snowflake[]> {
    // What the cache holds now: an invalidation during the read below must not drop anyone.
    const known = new Map(users.map((id) => [id, this.subscribedUsers.get(id)]));
    const unknown = users.filter((id) => known.get(id) === undefined);
    if (unknown.length) {
      const generation = this.ctx.caches.generation;
      const rows = await this.ctx.db.selectFrom('push_subscriptions').select('user_id').distinct().where('user_id', 'in', unknown).execute();
      const subscribed = new Set(rows.map((r) => r.user_id));
      for (const id of unknown) {
        known.set(id, subscribed.has(id));
        this.subscribedUsers.keep(id, subscribed.has(id), generation);
      }
    }
    return users.filter((id) => known.get(id) === true);
  }

  /** Those who have not blocked the author. */
  private async notBlocking(users: Snowflake[], authorId: Snowflake): Promise<Snowflake[]> {
    if (users.length === 0) return users;
    const blocking = await this.ctx.db
      .selectFrom('relationships')
      .select('user_id')
      .where('other_id', '=', authorId)
      .where('type', '=', RelationshipType.BLOCKED)
      .where('user_id', 'in', users)
      .execute();
    const set = new Set(blocking.map((r) => r.user_id));
    return users.filter((id) => !set.has(id));
  }

  /** Those with no live gateway connection, or whose status is idle: the others hear of it where they are. */
  private async inactive(users: Snowflake[]): Promise<Snowflake[]> {
    const statuses = await Promise.all(users.map((id) => this.ctx.presence.chosen(id)));
    return users.filter((_, i) => statuses[i] === null || statuses[i] === 'idle');
  }

  private async push(row: Row, payload: PushPayload, urgency: 'normal' | 'high'): Promise<void> {
    const outcome = await this.sender.send(row, JSON.stringify(payload), { urgency }).catch((error: unknown) => {
      this.logger.warn({ err: error }, 'push: sending failed');
      return 'failed' as const;
    });
    // The push service no longer knows it (the browser unsubscribed, or it expired): forget it.
    if (outcome === 'gone') await this.ctx.db.deleteFrom('push_subscriptions').where('id', '=', row.id).execute();
  }
}
