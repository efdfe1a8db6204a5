import type { Message, SafetyLabel, SafetyScores, Snowflake } from '@parley/protocol';
import type { Kysely } from 'kysely';
import type { Audience } from '../../bus/event-log';
import type { AppContext } from '../../context';
import type { ChannelRow, MessageRow, SafetyBlockRow, Tables } from '../../db/tables';
import { type OutgoingEvent, event } from '../../events/publisher';
import { ApiError } from '../../http/errors';
import { audienceWithout, minorReaders } from '../../access/safety';
import { ChannelType } from '@parley/protocol';
import { isDirect } from '../../access/channel-kinds';
import { recordInstanceAudit } from '../instance-audit/record';
import { type SafetyClassifier, flaggedLabels } from './classifier/index';
import { blockReason, loadBlock } from './blocks';
import { insertClassifierReport } from './reports';
import { announceReport } from '../reports/reports';

/** How long a cached "this conversation includes a minor" fact is trusted without an event saying it changed. */
const FACT_TTL_MS = 30_000;

/** A scanned message that reached the flag threshold, with the IDs of what the flag will create. */
export interface SafetyFlag {
  scores: SafetyScores;
  /** Labels at or above the flag threshold, highest first. */
  labels: SafetyLabel[];
  reportId: Snowflake;
  /** Set when the top score reached the block threshold: the sender is blocked from this person or room. */
  blockId: Snowflake | null;
  /** A DM's other person, whom the block names; null for rooms. */
  targetUserId: Snowflake | null;
}

type ScanContext = Pick<AppContext, 'db' | 'settings' | 'ids' | 'clock' | 'log' | 'events'>;

/**
 * The classifier's policy (docs/safety-policy.md). Loaded once per process with the model;
 * on the send path it costs the in-process model and facts cached per conversation:
 * - which messages are scanned: the instance's `safety_scan` (`minors`: conversations that
 *   include a minor; `all`; `none`);
 * - "includes a minor": a DM or group DM with a minor among its members (the sender included),
 *   or a server channel of a server with a minor member. The server rule is deliberately
 *   coarser than the channel's audience: it never misses a minor who can read the channel, and it
 *   is one fact per server, cached and dropped on every node when someone joins or leaves (the
 *   event log's GUILD_MEMBER_ADD/REMOVE, CHANNEL_RECIPIENT_ADD) or after 30 s (an admin marking
 *   someone a minor);
 * - a flag holds the message from minors, reports it, and above the block threshold blocks the
 *   sender from that person (DM) or room until an admin reviews it.
 */
export class SafetyPolicy {
  /** Guild or channel ID → whether the conversation includes a minor. */
  private readonly facts = new Map<Snowflake, { minors: boolean; at: number }>();
  /**
   * User ID → their active blocks (mostly none), so an ordinary send asks the database nothing.
   * Dropped on every node by SAFETY_BLOCK_CREATE/UPDATE in the event log (placed, appealed,
   * lifted), and after 30 s.
   */
  private readonly activeBlocks = new Map<Snowflake, { blocks: SafetyBlockRow[]; at: number }>();
  /** Moves on every invalidation: a fact computed across one is not stored (it may be stale). */
  private generation = 0;

  constructor(
    private readonly ctx: ScanContext,
    readonly classifier: SafetyClassifier,
  ) {
    ctx.log.subscribe((entry) => {
      switch (entry.t) {
        case 'GUILD_MEMBER_ADD':
        case 'GUILD_MEMBER_REMOVE':
        case 'GUILD_DELETE':
        case 'CHANNEL_RECIPIENT_ADD':
        case 'CHANNEL_RECIPIENT_REMOVE':
        case 'CHANNEL_CREATE':
          this.forget(entry.d);
          break;
        case 'SAFETY_BLOCK_CREATE':
        case 'SAFETY_BLOCK_UPDATE':
          this.forgetBlocksOf((JSON.parse(entry.d) as { user_id: Snowflake }).user_id);
      }
    });
    ctx.log.onLoss(() => this.forgetAll());
  }

  /** Drops the facts an event's payload names (its guild and channel). */
  private forget(json: string): void {
    const d = JSON.parse(json) as { guild_id?: string; channel_id?: string; id?: string };
    this.generation++;
    for (const id of [d.guild_id, d.channel_id, d.id]) if (id) this.facts.delete(id as Snowflake);
  }

  private forgetBlocksOf(userId: Snowflake): void {
    this.generation++;
    this.activeBlocks.delete(userId);
  }

  /** Every fact is asked again (a minor flag changed, or events may have been missed). */
  forgetAll(): void {
    this.generation++;
    this.facts.clear();
    this.activeBlocks.clear();
  }

  /** Whether this conversation includes a minor (see the class comment for the rule). */
  async includesMinor(channel: Pick<ChannelRow, 'id' | 'type' | 'guild_id'>): Promise<boolean> {
    const key = isDirect(channel.type) ? channel.id : channel.guild_id!;
    const now = this.ctx.clock.now();
    const known = this.facts.get(key);
    if (known && now - known.at < FACT_TTL_MS) return known.minors;
    const generation = this.generation;
    const { db } = this.ctx;
    const row = isDirect(channel.type)
      ? await db
          .selectFrom('channel_members')
          .innerJoin('users', 'users.id', 'channel_members.user_id')
          .select('users.id')
          .where('channel_members.channel_id', '=', channel.id)
          .where('users.minor', '=', 1)
          .limit(1)
          .executeTakeFirst()
      : await db
          .selectFrom('members')
          .innerJoin('users', 'users.id', 'members.user_id')
          .select('users.id')
          .where('members.guild_id', '=', channel.guild_id!)
          .where('users.minor', '=', 1)
          .limit(1)
          .executeTakeFirst();
    const minors = row !== undefined;
    if (generation === this.generation) this.facts.set(key, { minors, at: now });
    return minors;
  }

  /**
   * The instance decides whether conversations that include a minor may be encrypted (its safety
   * scan cannot read them): refuses with 90079 where it does not. `people`: a conversation about
   * to be created, by who would be in it; otherwise the conversation itself.
   */
  async requireEncryptionAllowed(where: { channel: Pick<ChannelRow, 'id' | 'type' | 'guild_id'> } | { people: readonly Snowflake[] }): Promise<void> {
    const settings = await this.ctx.settings.cached();
    if (settings.e2ee_with_minors === 'allow') return;
    const minors =
      'channel' in where
        ? await this.includesMinor(where.channel)
        : (await this.ctx.db
            .selectFrom('users')
            .select('id')
            .where('id', 'in', [...where.people])
            .where('minor', '=', 1)
            .limit(1)
            .executeTakeFirst()) !== undefined;
    if (minors) throw new ApiError('E2EE_MINORS_FORBIDDEN');
  }

  /**
   * Refuses a send (or an edit) from someone the classifier blocked here: in this channel, or in
   * a DM with the person a block names. One indexed query; the message says why and how to appeal.
   */
  async requireNotBlocked(userId: Snowflake, channel: ChannelRow): Promise<void> {
    const { db } = this.ctx;
    const now = this.ctx.clock.now();
    let active = this.activeBlocks.get(userId);
    if (!active || now - active.at >= FACT_TTL_MS) {
      const generation = this.generation;
      active = { blocks: await db.selectFrom('safety_blocks').selectAll().where('user_id', '=', userId).where('lifted_at', 'is', null).execute(), at: now };
      if (generation === this.generation) this.activeBlocks.set(userId, active);
    }
    if (active.blocks.length === 0) return;
    return this.refuseIfCovered(active.blocks, channel);
  }

  private async refuseIfCovered(active: SafetyBlockRow[], channel: ChannelRow): Promise<void> {
    const { db } = this.ctx;
    let block = active.find((b) => b.channel_id === channel.id);
    if (!block && isDirect(channel.type) && active.some((b) => b.target_user_id !== null)) {
      const members = await db.selectFrom('channel_members').select('user_id').where('channel_id', '=', channel.id).execute();
      block = active.find((b) => b.target_user_id !== null && members.some((m) => m.user_id === b.target_user_id));
    }
    if (block) throw new ApiError('SAFETY_BLOCKED', { message: blockReason(block) });
  }

  /**
   * Scores a message about to be stored, when the instance's policy scans this conversation.
   * Null: not scanned, or nothing reached the flag threshold.
   */
  async scan(channel: ChannelRow, authorId: Snowflake, content: string): Promise<SafetyFlag | null> {
    if (!content.trim()) return null;
    const settings = await this.ctx.settings.cached();
    if (settings.safety_scan === 'none') return null;
    if (settings.safety_scan === 'minors' && !(await this.includesMinor(channel))) return null;
    const scores = this.classifier.score(content);
    // Highest first.
    const labels = flaggedLabels(scores, settings.safety_flag_threshold);
    if (labels.length === 0) return null;
    const blocked = scores[labels[0]!]! >= settings.safety_block_threshold;
    let targetUserId: Snowflake | null = null;
    if (blocked && channel.type === ChannelType.DM) {
      const other = await this.ctx.db.selectFrom('channel_members').select('user_id').where('channel_id', '=', channel.id).where('user_id', '!=', authorId).executeTakeFirst();
      targetUserId = other?.user_id ?? null;
    }
    return { scores, labels, reportId: this.ctx.ids.next(), blockId: blocked ? this.ctx.ids.next() : null, targetUserId };
  }

  /**
   * Writes what a flag creates, inside the message's own transaction (so the message is never
   * stored unheld): the hold, the report for the instance's admins, the block, and their audit entries.
   */
  async recordFlag(trx: Kysely<Tables>, flag: SafetyFlag, message: MessageRow): Promise<void> {
    const { ctx } = this;
    const now = ctx.clock.now();
    await insertClassifierReport(ctx, trx, { id: flag.reportId, message, labels: flag.labels, scores: flag.scores });
    await trx
      .insertInto('safety_holds')
      .values({ message_id: message.id, channel_id: message.channel_id, report_id: flag.reportId, created_at: now, released_at: null, released_by_id: null })
      // An edit flagged again holds it again, under the new report.
      .onConflict((oc) => oc.column('message_id').doUpdateSet({ report_id: flag.reportId, released_at: null, released_by_id: null }))
      .execute();
    // This node stops the sender at once; others when the SAFETY_BLOCK_CREATE entry reaches them.
    if (flag.blockId) this.forgetBlocksOf(message.author_id);
    const details = { labels: flag.labels, scores: flag.scores, channel_id: message.channel_id, report_id: flag.reportId };
    await recordInstanceAudit(ctx, trx, {
      actorId: null,
      action: 'message_held',
      target: { type: 'message', id: message.id },
      reason: `Flagged by the classifier: ${flag.labels.join(', ')}`,
      details,
    });
    if (flag.blockId === null) return;
    await trx
      .insertInto('safety_blocks')
      .values({
        id: flag.blockId,
        user_id: message.author_id,
        channel_id: message.channel_id,
        target_user_id: flag.targetUserId,
        guild_id: message.guild_id,
        message_id: message.id,
        report_id: flag.reportId,
        labels: JSON.stringify(flag.labels),
        scores: JSON.stringify(flag.scores),
        created_at: now,
        confirmed_by_id: null,
        confirmed_at: null,
        lifted_at: null,
        lifted_by_id: null,
      })
      .execute();
    await recordInstanceAudit(ctx, trx, {
      actorId: null,
      action: 'sender_blocked',
      target: { type: 'user', id: message.author_id },
      reason: `Scored above the block threshold: ${flag.labels.join(', ')}`,
      details: { ...details, block_id: flag.blockId, message_id: message.id, target_user_id: flag.targetUserId },
    });
  }

  /** What the author's own copy of a flagged message carries. */
  flagFor(flag: SafetyFlag): NonNullable<Message['safety_flag']> {
    return { labels: flag.labels, block_id: flag.blockId };
  }

  /**
   * A message event for a channel, split when the message (or the one it replies to) is held:
   * minors who may read the channel get the placeholder, the author of a new flag their copy with
   * `safety_flag` (and SAFETY_BLOCK_CREATE when blocked), everyone else the message as it is. In a
   * conversation without minors and with no new flag, one event goes out, as before, for free.
   */
  async deliveries(t: 'MESSAGE_CREATE' | 'MESSAGE_UPDATE', payload: Message, to: Audience, channel: ChannelRow, parent: ChannelRow | null, flag: SafetyFlag | null): Promise<OutgoingEvent[]> {
    const plain = [event(t, payload, to)];
    // The classifier's report reaches the live review queue now that it is committed.
    if (flag) await announceReport(this.ctx, flag.reportId);
    if (!flag && !(await this.includesMinor(channel))) return plain;
    // A new message cannot be held yet but for its own flag; an update may be of a held one.
    const ids = [...(t === 'MESSAGE_UPDATE' && !flag ? [payload.id] : []), ...(payload.referenced_message ? [payload.referenced_message.id] : [])];
    const held = await heldAmong(this.ctx.db, ids);
    if (flag) held.add(payload.id);
    if (held.size === 0) return plain;
    const authorId = payload.author.id;
    // The author always sees their own message.
    const minors = (await minorReaders(this.ctx.db, channel, parent)).filter((m) => m !== authorId);
    const events: OutgoingEvent[] = [event(t, payload, audienceWithout(to, [...minors, ...(flag ? [authorId] : [])]))];
    if (flag) {
      events.push(event(t, { ...payload, safety_flag: this.flagFor(flag) }, { users: [authorId] }));
      const block = flag.blockId ? await loadBlock(this.ctx.db, flag.blockId) : null;
      if (block) events.push(event('SAFETY_BLOCK_CREATE', block, { users: [authorId] }));
    }
    if (minors.length) events.push(event(t, maskHeld(payload, held), { users: minors }));
    return events;
  }

  /** Whether the message is held (for an update that must not reach minors with its content). */
  async isHeld(channel: ChannelRow, messageId: Snowflake): Promise<boolean> {
    if (!(await this.includesMinor(channel))) return false;
    return (await heldAmong(this.ctx.db, [messageId])).size > 0;
  }
}

/** The messages among these that are held (not released). */
export async function heldAmong(db: Kysely<Tables>, ids: readonly Snowflake[]): Promise<Set<Snowflake>> {
  if (ids.length === 0) return new Set();
  const rows = await db
    .selectFrom('safety_holds')
    .select('message_id')
    .where('message_id', 'in', [...ids])
    .where('released_at', 'is', null)
    .execute();
  return new Set(rows.map((r) => r.message_id));
}

/** A message as a minor receives it: itself and the message it replies to, each a placeholder if held. */
export function maskHeld(message: Message, held: ReadonlySet<Snowflake>): Message {
  const masked = held.has(message.id) ? heldPlaceholder(message) : message;
  const ref = message.referenced_message;
  return ref && held.has(ref.id) ? { ...masked, referenced_message: heldPlaceholder(ref) } : masked;
}

/** A held message as a minor receives it: who sent it and when, nothing of what it says. */
function heldPlaceholder<M extends Omit<Message, 'referenced_message'>>(message: M): M {
  return { ...message, content: '', attachments: [], mentions: [], mention_roles: [], mention_everyone: false, file_offer: undefined, held: true as const };
}
