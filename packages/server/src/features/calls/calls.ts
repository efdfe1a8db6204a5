import {
  type CallCreate,
  ChannelType,
  MessageType,
  Permissions,
  type RtcSignalSend,
  type SfuSignalSend,
  type Snowflake,
  type VoiceDisconnected,
  type VoiceErrorCode,
  type VoiceStateUpdate,
} from '@parley/protocol';
import type { FastifyBaseLogger } from 'fastify';
import { type Kysely, sql } from 'kysely';
import type { Audience } from '../../bus/event-log';
import type { AppContext } from '../../context';
import type { CallRow, ChannelRow, Flag, Tables, VoiceStateRow } from '../../db/tables';
import { UNCACHED_COLUMNS_ONLY } from '../../db/write-observer';
import type { ReadCache } from '../../cache/caches';
import { event, type OutgoingEvent } from '../../events/publisher';
import { ApiError, fieldError } from '../../http/errors';
import { channelAudience } from '../../access/audience';
import { blockedEitherWay } from '../../access/blocks';
import { announceDmTo } from '../channels/dms';
import { type ChannelAccess, channelAccess } from '../../access/access';
import { isDirect } from '../../access/channel-kinds';
import { joinsStageSuppressed, speakingFlags } from '../../access/stage';
import { isGuildVoiceChannel } from '@parley/protocol';
import { AttachmentUrls } from '../messages/attachment-urls';
import { loadMessages } from '../messages/serialize';
import { leftVoiceState, parseIds, serverFlags, toVoiceState } from './serialize';
import { allowedToSend, sendable } from './sfu/allowed';
import type { Sfu } from './sfu/sfu';

export interface CallOptions {
  /** Largest call. Without an SFU, calls stay a mesh (each participant sends to each other) of at most `meshMax`. */
  maxParticipants: number;
  /** Past this many participants a call's media moves to the SFU (when there is one), until it ends. */
  meshMax: number;
  /** A call session that stops answering (dropped, node died) leaves its call after this long. */
  graceMs: number;
  /** DM recipients are rung this long. */
  ringMs: number;
}

/** The gateway session (device) doing something with calls. */
export interface VoiceSession {
  sessionId: string;
  userId: Snowflake;
}

/** A voice op the server refuses: the sending session gets it as a VOICE_ERROR. */
export class VoiceRefusal extends Error {
  constructor(
    readonly code: VoiceErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A voice state that went away, with what ending it changed. */
interface Departure {
  state: VoiceStateRow;
  /** The call it left, when that was its last participant. */
  ended: CallRow | null;
}

/**
 * Calls: who is in which call, and the rules. One call per channel (the `calls` row), one call
 * per user (the `voice_states` row, keyed by user), held by one gateway session. State lives in
 * the database so every node sees the same; transactions lock the user and the channels they
 * touch (PostgreSQL; SQLite runs one writer at a time) so the size limit and the one-call rules
 * hold under concurrent joins from several nodes.
 *
 * Each node refreshes `seen_at` of the call sessions connected to it; a state not refreshed for
 * `graceMs` (its session dropped and did not resume, or its node died) is swept out by any node.
 */
export class Calls {
  /** Sessions on this node that are in a call. */
  private readonly local = new Set<string>();
  private readonly urls: AttachmentUrls;
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  /** Whether any DM call is going on, on any node (emptied when `calls` is written). */
  private readonly dmCallsGoingOn: ReadCache<'any', boolean>;

  constructor(
    private readonly ctx: Omit<AppContext, 'calls'>,
    readonly options: CallOptions,
    private readonly logger: FastifyBaseLogger,
    /** Janus, when this node has one: calls past `meshMax` go through it. */
    private readonly sfu: Sfu | null = null,
  ) {
    this.urls = new AttachmentUrls(ctx.db, ctx.clock, ctx.config.publicUrl ?? '');
    this.dmCallsGoingOn = ctx.caches.create(['calls'], { max: 1 });
  }

  /** Starts refreshing this node's call sessions and sweeping expired ones. */
  start(): void {
    const every = Math.max(200, Math.min(5000, Math.floor(this.options.graceMs / 4)));
    this.timer = setInterval(() => void this.tick(), every).unref();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.ticking;
    await this.sfu?.close();
  }

  /** The most people a call may hold here: a mesh's limit unless an SFU takes the bigger calls. */
  get capacity(): number {
    return this.sfu ? this.options.maxParticipants : Math.min(this.options.maxParticipants, this.options.meshMax);
  }

  // ---- op 4: join, move, leave, flags ----

  async updateVoiceState(session: VoiceSession, d: VoiceStateUpdate): Promise<void> {
    if (d.channel_id === null) return this.leave(session);
    const access = await this.joinableChannel(session.userId, d.channel_id, d.guild_id);
    const now = this.ctx.clock.now();
    const { db } = this.ctx;
    const current = await db.selectFrom('voice_states').selectAll().where('user_id', '=', session.userId).executeTakeFirst();
    if (current && current.session_id === session.sessionId && current.channel_id === d.channel_id) {
      // Only flags changed (mute, camera, screen, key): the channel's rules were checked above.
      const flags = flagsOf(d, current, access.permissions, current.stage_suppress);
      await db
        .updateTable('voice_states')
        .set({ ...flags, seen_at: now })
        .where('user_id', '=', session.userId)
        .where('session_id', '=', session.sessionId)
        .execute();
      const server = await serverFlags(db, current.guild_id, session.userId);
      await this.ctx.events.publish(event('VOICE_STATE_UPDATE', toVoiceState({ ...current, ...flags, ...server }), await this.audienceOf(access.channel)));
      await this.enforceSfu({ ...current, ...flags, ...server });
      return;
    }
    const joined = await this.join(session, access, d, now);
    this.local.add(session.sessionId);
    await this.publishJoin(session, access, joined);
  }

  /** The channel to join, if it is one the user may call in. */
  private async joinableChannel(userId: Snowflake, channelId: Snowflake, guildId: Snowflake | null): Promise<ChannelAccess> {
    const access = await channelAccess(this.ctx.db, channelId, userId).catch((error: unknown) => {
      if (error instanceof ApiError) throw new VoiceRefusal('UNKNOWN_CHANNEL', 'That channel does not exist, or you cannot see it.');
      throw error;
    });
    const { channel } = access;
    const direct = isDirect(channel.type);
    if ((!direct && !isGuildVoiceChannel(channel.type)) || (direct ? guildId !== null : guildId !== channel.guild_id)) {
      throw new VoiceRefusal('NOT_A_CALL_CHANNEL', 'Calls happen in voice channels and direct messages.');
    }
    if (direct) {
      if (access.dmState === 'declined') throw new VoiceRefusal('UNKNOWN_CHANNEL', 'That channel does not exist, or you cannot see it.');
      if (access.dmState === 'request') throw new VoiceRefusal('MISSING_PERMISSIONS', 'Accept the message request before calling.');
      if (channel.type === ChannelType.DM) {
        const other = await this.ctx.db.selectFrom('channel_members').select('user_id').where('channel_id', '=', channel.id).where('user_id', '!=', userId).executeTakeFirst();
        if (other && (await blockedEitherWay(this.ctx.db, userId, other.user_id))) throw new VoiceRefusal('BLOCKED', 'You cannot call this person.');
      }
      return access;
    }
    const needed = Permissions.VIEW_CHANNEL | Permissions.CONNECT;
    if ((access.permissions & needed) !== needed) throw new VoiceRefusal('MISSING_PERMISSIONS', 'You are not allowed to join this voice channel.');
    return access;
  }

  private async join(session: VoiceSession, access: ChannelAccess, d: VoiceStateUpdate, now: number) {
    const { channel } = access;
    const maxParticipants = this.capacity;
    return this.ctx.db.transaction().execute(async (trx) => {
      await this.lockUser(trx, session.userId);
      const previous = await trx.selectFrom('voice_states').selectAll().where('user_id', '=', session.userId).executeTakeFirst();
      await this.lockChannels(trx, [channel.id, ...(previous ? [previous.channel_id] : [])]);
      const others = await trx
        .selectFrom('voice_states')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('channel_id', '=', channel.id)
        .where('user_id', '!=', session.userId)
        .executeTakeFirstOrThrow();
      if (Number(others.n) >= maxParticipants) throw new VoiceRefusal('CALL_FULL', `This call is full: at most ${maxParticipants} people can be in it.`);

      const left = previous && previous.channel_id !== channel.id ? await this.removeState(trx, previous, now) : null;
      let call = await trx.selectFrom('calls').selectAll().where('channel_id', '=', channel.id).executeTakeFirst();
      let startedCall = false;
      let reopened: Snowflake[] = [];
      if (!call) {
        startedCall = true;
        const dm = isDirect(channel.type) ? await this.startDmCall(trx, channel, session.userId) : null;
        reopened = dm?.reopened ?? [];
        call = {
          channel_id: channel.id,
          guild_id: channel.guild_id,
          message_id: dm?.messageId ?? null,
          ringing: JSON.stringify(dm?.ringing ?? []),
          ring_expires_at: dm?.ringing.length ? now + this.options.ringMs : null,
          started_at: now,
          media: 'mesh',
        };
        await trx.insertInto('calls').values(call).execute();
      }
      // Past a mesh's size the call moves to the SFU, and stays there until it ends.
      const movedToSfu = this.sfu !== null && call.media === 'mesh' && Number(others.n) + 1 > this.options.meshMax;
      if (movedToSfu) {
        call = { ...call, media: 'sfu' };
        await trx.updateTable('calls').set({ media: 'sfu' }).where('channel_id', '=', channel.id).execute();
      }
      // A stage: its audience unless a moderator; another device of someone already there keeps their place and hand.
      const stay = previous?.channel_id === channel.id ? previous : null;
      const stage_suppress = stay ? stay.stage_suppress : joinsStageSuppressed(channel.type, access.permissions);
      const state: VoiceStateRow = {
        user_id: session.userId,
        channel_id: channel.id,
        guild_id: channel.guild_id,
        session_id: session.sessionId,
        ...flagsOf(d, null, access.permissions, stage_suppress),
        stage_suppress,
        request_to_speak_at: stay?.request_to_speak_at ?? null,
        joined_at: previous?.channel_id === channel.id ? previous.joined_at : now,
        seen_at: now,
      };
      const { user_id: _key, ...changes } = state;
      await trx
        .insertInto('voice_states')
        .values(state)
        .onConflict((oc) => oc.column('user_id').doUpdateSet(changes))
        .execute();
      // A recipient who joins stops ringing; the call message records everyone who came.
      const ringing = parseIds(call.ringing);
      const stillRinging = ringing.filter((id) => id !== session.userId);
      if (stillRinging.length !== ringing.length) {
        call = { ...call, ringing: JSON.stringify(stillRinging), ring_expires_at: stillRinging.length ? call.ring_expires_at : null };
        await trx.updateTable('calls').set({ ringing: call.ringing, ring_expires_at: call.ring_expires_at }).where('channel_id', '=', channel.id).execute();
      }
      if (call.message_id && !startedCall) await this.addParticipant(trx, call.message_id, session.userId);
      return { state, previous: previous ?? null, left, call, startedCall, ringingChanged: stillRinging.length !== ringing.length, reopened, movedToSfu };
    });
  }

  /** A new DM call: its system message, and who to ring. */
  private async startDmCall(trx: Kysely<Tables>, channel: ChannelRow, callerId: Snowflake) {
    const recipients = await trx.selectFrom('channel_members').select(['user_id', 'state']).where('channel_id', '=', channel.id).where('user_id', '!=', callerId).execute();
    const ringing: Snowflake[] = [];
    for (const r of recipients) {
      // Nobody is rung by someone they have not accepted, declined, or blocked (either way).
      if (r.state !== 'accepted' && r.state !== 'hidden') continue;
      if (await blockedEitherWay(trx, callerId, r.user_id)) continue;
      ringing.push(r.user_id);
    }
    const messageId = this.ctx.ids.next();
    await trx
      .insertInto('messages')
      .values({
        id: messageId,
        channel_id: channel.id,
        guild_id: null,
        author_id: callerId,
        content: '',
        type: MessageType.CALL,
        flags: 0,
        reference_message_id: null,
        reference_channel_id: null,
        mention_everyone: 0,
        mention_roles: '[]',
        pinned_at: null,
        edited_at: null,
        has_attachments: 0,
        has_images: 0,
      })
      .execute();
    await trx
      .insertInto('message_calls')
      .values({ message_id: messageId, participants: JSON.stringify([callerId]), ended_at: null })
      .execute();
    await trx.updateTable('channels').set({ last_message_id: messageId }).where('id', '=', channel.id).execute();
    // A call reopens a DM its recipients had closed, as a message does.
    const hidden = recipients.filter((r) => r.state === 'hidden').map((r) => r.user_id);
    if (hidden.length) await trx.updateTable('channel_members').set({ state: 'accepted' }).where('channel_id', '=', channel.id).where('user_id', 'in', hidden).execute();
    return { messageId, ringing, reopened: hidden };
  }

  private async addParticipant(trx: Kysely<Tables>, messageId: Snowflake, userId: Snowflake): Promise<void> {
    const row = await trx.selectFrom('message_calls').select('participants').where('message_id', '=', messageId).executeTakeFirst();
    if (!row) return;
    const participants = parseIds(row.participants);
    if (participants.includes(userId)) return;
    await trx
      .updateTable('message_calls')
      .set({ participants: JSON.stringify([...participants, userId]) })
      .where('message_id', '=', messageId)
      .execute();
  }

  private async publishJoin(session: VoiceSession, access: ChannelAccess, joined: Awaited<ReturnType<Calls['join']>>): Promise<void> {
    const { channel } = access;
    const events: OutgoingEvent[] = [];
    const { previous } = joined;
    if (previous && previous.session_id !== session.sessionId) {
      events.push(disconnected(previous, 'moved_to_other_device'));
    }
    if (joined.left) events.push(...(await this.departureEvents(joined.left)));
    const audience = await this.audienceOf(channel);
    if (joined.startedCall && joined.call.message_id) {
      if (joined.reopened.length) await announceDmTo(this.ctx, { ...channel, last_message_id: joined.call.message_id }, joined.reopened);
      events.push(await this.callMessageEvent('MESSAGE_CREATE', joined.call.message_id, audience));
      events.push(event('CALL_CREATE', { ...toCall(joined.call), voice_states: [toVoiceState(joined.state)] }, audience));
    } else if (joined.call.message_id) {
      events.push(await this.callMessageEvent('MESSAGE_UPDATE', joined.call.message_id, audience));
      if (joined.ringingChanged) events.push(event('CALL_UPDATE', toCall(joined.call), audience));
    }
    // The call's media path: everyone in it when it just moved to the SFU, else the joiner of an
    // SFU call; before the joiner's own state, so its client never starts a mesh link.
    if (joined.call.media === 'sfu') {
      const sessions = joined.movedToSfu
        ? (await this.ctx.db.selectFrom('voice_states').select('session_id').where('channel_id', '=', channel.id).execute()).map((s) => s.session_id)
        : [session.sessionId];
      events.push(event('SFU_SIGNAL', { type: 'media', channel_id: channel.id, media: 'sfu' }, { sessions }));
    }
    // Server mute and deafen belong to the member: they hold in every call they join.
    events.push(event('VOICE_STATE_UPDATE', toVoiceState({ ...joined.state, ...(await serverFlags(this.ctx.db, channel.guild_id, session.userId)) }), audience));
    await this.ctx.events.publish(...events);
  }

  // ---- moderation (PATCH /guilds/:id/members/:user_id) ----

  /**
   * A member's server mute or deafen changed (the caller stored it on `members`): if they are in a
   * call in that guild, everyone who can see it gets their voice state with the new flags.
   */
  async setServerVoiceFlags(guildId: Snowflake, userId: Snowflake, flags: { mute: boolean; deaf: boolean }): Promise<void> {
    const { db } = this.ctx;
    const state = await db.selectFrom('voice_states').selectAll().where('user_id', '=', userId).where('guild_id', '=', guildId).executeTakeFirst();
    if (!state) return;
    const channel = await db.selectFrom('channels').selectAll().where('id', '=', state.channel_id).executeTakeFirst();
    if (!channel) return;
    const server = { mute: flags.mute ? 1 : 0, deaf: flags.deaf ? 1 : 0 } as const;
    await this.ctx.events.publish(event('VOICE_STATE_UPDATE', toVoiceState({ ...state, ...server }), await this.audienceOf(channel)));
    await this.enforceSfu({ ...state, ...server });
  }

  /**
   * A moderator moves a member's call to another voice channel of the guild, or disconnects them
   * (null). The server takes them out of their call (everyone sees them leave) and tells their
   * device why: `moved` with `to_channel_id`, which the client joins at once like any join (so the
   * destination's rules, size included, apply as usual), or `disconnected`.
   */
  async moveMember(guildId: Snowflake, userId: Snowflake, channelId: Snowflake | null): Promise<void> {
    const { db } = this.ctx;
    const state = await db.selectFrom('voice_states').selectAll().where('user_id', '=', userId).executeTakeFirst();
    if (!state || state.guild_id !== guildId) throw new ApiError('TARGET_NOT_IN_VOICE');
    if (channelId !== null) {
      const target = await db.selectFrom('channels').select(['id', 'guild_id', 'type']).where('id', '=', channelId).executeTakeFirst();
      if (!target || target.guild_id !== guildId || !isGuildVoiceChannel(target.type)) {
        throw fieldError('channel_id', 'BASE_TYPE_INVALID', 'Must be a voice channel of this server');
      }
      if (channelId === state.channel_id) return;
      const needed = Permissions.VIEW_CHANNEL | Permissions.CONNECT;
      const allowed = await channelAccess(db, channelId, userId, this.ctx.clock.now()).then(
        (access) => (access.permissions & needed) === needed,
        (error: unknown) => {
          if (error instanceof ApiError) return false;
          throw error;
        },
      );
      if (!allowed) throw new ApiError('MISSING_PERMISSIONS');
    }
    const departure = await this.remove(userId, state.session_id);
    if (!departure) throw new ApiError('TARGET_NOT_IN_VOICE');
    const told = channelId === null ? disconnected(state, 'disconnected') : disconnected(state, 'moved', channelId);
    await this.ctx.events.publish(told, ...(await this.departureEvents(departure)));
  }

  /**
   * Permissions changed somewhere in a guild (roles, overwrites, member roles, a timeout): whoever
   * in its calls may no longer View Channel and Connect there is taken out (`access_lost`); for
   * the others, losing or gaining Speak or Video changes their state for everyone (flagsOf).
   */
  async recheckGuild(guildId: Snowflake): Promise<void> {
    const { db } = this.ctx;
    const states = await db.selectFrom('voice_states').selectAll().where('guild_id', '=', guildId).execute();
    const needed = Permissions.VIEW_CHANNEL | Permissions.CONNECT;
    for (const state of states) {
      const access = await channelAccess(db, state.channel_id, state.user_id, this.ctx.clock.now()).catch((error: unknown) => {
        if (error instanceof ApiError) return null;
        throw error;
      });
      if (!access || (access.permissions & needed) !== needed) {
        await this.eject(state.user_id, { guildId, channelId: state.channel_id });
        continue;
      }
      const flags = speakingFlags(state, access.permissions);
      if (flags.suppress === state.suppress && flags.self_video === state.self_video && flags.self_stream === state.self_stream) continue;
      const updated = await db.updateTable('voice_states').set(flags).where('user_id', '=', state.user_id).where('session_id', '=', state.session_id).executeTakeFirst();
      // The participant left or rejoined meanwhile: their new state was judged on its own.
      if (Number(updated.numUpdatedRows) === 0) continue;
      const server = await serverFlags(db, guildId, state.user_id);
      await this.ctx.events.publish(event('VOICE_STATE_UPDATE', toVoiceState({ ...state, ...flags, ...server }), await this.audienceOf(access.channel)));
      await this.enforceSfu({ ...state, ...flags, ...server });
    }
  }

  // ---- leaving ----

  /** Op 4 with no channel: the session holding the call leaves it. Other devices' requests are ignored. */
  private async leave(session: VoiceSession): Promise<void> {
    this.local.delete(session.sessionId);
    const departure = await this.remove(session.userId, session.sessionId);
    if (departure) await this.ctx.events.publish(...(await this.departureEvents(departure)));
  }

  /** A gateway session on this node closed: a clean close leaves at once; a drop has `graceMs` to resume. */
  async sessionClosed(session: VoiceSession, clean: boolean): Promise<void> {
    if (!this.local.delete(session.sessionId)) return;
    if (clean) await this.leave(session);
  }

  /** A session resumed on this node: it keeps its call. */
  async sessionResumed(session: VoiceSession): Promise<void> {
    const { db, clock } = this.ctx;
    const result = await db
      .updateTable('voice_states')
      .set({ seen_at: clock.now() })
      .where('user_id', '=', session.userId)
      .where('session_id', '=', session.sessionId)
      .modifyEnd(sql.raw(UNCACHED_COLUMNS_ONLY))
      .executeTakeFirst();
    if (result.numUpdatedRows > 0n) this.local.add(session.sessionId);
  }

  /**
   * Takes a user out of their call for a reason other than asking (lost access to the channel,
   * left the server). `where` narrows it to calls in that guild or channel.
   */
  async eject(userId: Snowflake, where: { guildId?: Snowflake; channelId?: Snowflake }): Promise<void> {
    const state = await this.ctx.db.selectFrom('voice_states').selectAll().where('user_id', '=', userId).executeTakeFirst();
    if (!state || (where.guildId && state.guild_id !== where.guildId) || (where.channelId && state.channel_id !== where.channelId)) return;
    const departure = await this.remove(userId, state.session_id);
    if (departure) await this.ctx.events.publish(disconnected(state, 'access_lost'), ...(await this.departureEvents(departure)));
  }

  /** Takes everyone out of a channel's call (the channel is being deleted). */
  async ejectAll(channelId: Snowflake): Promise<void> {
    const states = await this.ctx.db.selectFrom('voice_states').select('user_id').where('channel_id', '=', channelId).execute();
    for (const { user_id } of states) await this.eject(user_id, { channelId });
  }

  /** Deletes a user's state if `sessionId` still holds it, ending the call if it was the last one. */
  private async remove(userId: Snowflake, sessionId: string): Promise<Departure | null> {
    const now = this.ctx.clock.now();
    return this.ctx.db.transaction().execute(async (trx) => {
      await this.lockUser(trx, userId);
      const state = await trx.selectFrom('voice_states').selectAll().where('user_id', '=', userId).where('session_id', '=', sessionId).executeTakeFirst();
      if (!state) return null;
      await this.lockChannels(trx, [state.channel_id]);
      return this.removeState(trx, state, now);
    });
  }

  /** In a transaction holding the user's and channel's locks. */
  private async removeState(trx: Kysely<Tables>, state: VoiceStateRow, now: number): Promise<Departure> {
    await trx.deleteFrom('voice_states').where('user_id', '=', state.user_id).execute();
    // Kept for the instance statistics (call minutes): the state itself is gone now.
    await trx.insertInto('call_participation').values({ id: this.ctx.ids.next(), user_id: state.user_id, channel_id: state.channel_id, joined_at: state.joined_at, left_at: now }).execute();
    const rest = await trx.selectFrom('voice_states').select('user_id').where('channel_id', '=', state.channel_id).limit(1).executeTakeFirst();
    if (rest) return { state, ended: null };
    return { state, ended: await this.endCall(trx, state.channel_id, now) };
  }

  private async endCall(trx: Kysely<Tables>, channelId: Snowflake, now: number): Promise<CallRow | null> {
    const call = await trx.selectFrom('calls').selectAll().where('channel_id', '=', channelId).executeTakeFirst();
    if (!call) return null;
    await trx.deleteFrom('calls').where('channel_id', '=', channelId).execute();
    await trx.insertInto('call_history').values({ id: this.ctx.ids.next(), channel_id: channelId, guild_id: call.guild_id, started_at: call.started_at, ended_at: now }).execute();
    if (call.message_id) await trx.updateTable('message_calls').set({ ended_at: now }).where('message_id', '=', call.message_id).execute();
    return call;
  }

  private async departureEvents({ state, ended }: Departure): Promise<OutgoingEvent[]> {
    // Through the SFU: their media stops at once, wherever their handles are; an ended call's room closes.
    const media = ended ? ended.media : (await this.ctx.db.selectFrom('calls').select('media').where('channel_id', '=', state.channel_id).executeTakeFirst())?.media;
    if (this.sfu && media === 'sfu') {
      await this.sfu.left(state.channel_id, state.session_id);
      if (ended) await this.sfu.callEnded(ended.channel_id);
    }
    const channel = await this.ctx.db.selectFrom('channels').selectAll().where('id', '=', state.channel_id).executeTakeFirst();
    // The channel may be gone (deleted with its call): its guild, or the user, still hears of it.
    const audience = channel ? await this.audienceOf(channel) : state.guild_id ? { guilds: [state.guild_id] } : { users: [state.user_id] };
    const events: OutgoingEvent[] = [event('VOICE_STATE_UPDATE', leftVoiceState(state), audience)];
    if (ended?.message_id && channel) {
      events.push(await this.callMessageEvent('MESSAGE_UPDATE', ended.message_id, audience));
      events.push(event('CALL_DELETE', { channel_id: ended.channel_id }, audience));
    }
    return events;
  }

  // ---- op 41: the SFU ----

  /** A request to the SFU from a participant of a call that runs through it. */
  async sfuSignal(session: VoiceSession, d: SfuSignalSend): Promise<void> {
    const state = await this.ctx.db.selectFrom('voice_states').select(['channel_id', 'session_id']).where('user_id', '=', session.userId).executeTakeFirst();
    if (!state || state.session_id !== session.sessionId || state.channel_id !== d.channel_id) throw new VoiceRefusal('NOT_IN_CALL', 'You are not in this call.');
    const call = await this.ctx.db.selectFrom('calls').select('media').where('channel_id', '=', d.channel_id).executeTakeFirst();
    if (!this.sfu || call?.media !== 'sfu') throw new VoiceRefusal('NOT_IN_CALL', 'This call does not go through the media server.');
    // Queued, not awaited: Janus can take seconds, and this connection's next frames (a mute, a
    // leave, a signal to a peer) must not wait on it. The SFU runs each participant's requests in order.
    void this.sfu.request({ channelId: d.channel_id, userId: session.userId, sessionId: session.sessionId }, d, () => allowedToSend(this.ctx.db, session.userId));
  }

  /** A participant's flags changed (here, or a stage's voice-state routes): the SFU forwards only what they may send now. */
  async enforceSfu(state: VoiceStateRow & { mute: Flag; deaf: Flag }): Promise<void> {
    if (!this.sfu) return;
    const call = await this.ctx.db.selectFrom('calls').select('media').where('channel_id', '=', state.channel_id).executeTakeFirst();
    if (call?.media === 'sfu') await this.sfu.enforce(state.channel_id, state.session_id, sendable(state));
  }

  // ---- op 40: signaling ----

  /** Relays a signal to another participant's call session, if both are in that call. */
  async relay(session: VoiceSession, d: RtcSignalSend): Promise<void> {
    const states = await this.ctx.db
      .selectFrom('voice_states')
      .select(['user_id', 'session_id'])
      .where('channel_id', '=', d.channel_id)
      .where('user_id', 'in', [session.userId, d.to_user_id])
      .execute();
    const from = states.find((s) => s.user_id === session.userId && s.session_id === session.sessionId);
    const to = states.find((s) => s.user_id === d.to_user_id);
    if (!from || !to || to.user_id === session.userId) {
      throw new VoiceRefusal('NOT_IN_CALL', 'Signals go only to another participant of the call you are in.');
    }
    const { channel_id, to_user_id: _to, ...body } = d;
    await this.ctx.events.publish(event('RTC_SIGNAL', { ...body, channel_id, from_user_id: session.userId, from_session_id: session.sessionId }, { sessions: [to.session_id] }));
  }

  // ---- DM ringing ----

  /** Rings DM recipients not in the call (all of them, or those listed). */
  async ring(userId: Snowflake, channelId: Snowflake, recipients: readonly Snowflake[] | null): Promise<void> {
    const { call, channel } = await this.callIn(userId, channelId);
    const inCall = new Set((await this.ctx.db.selectFrom('voice_states').select('user_id').where('channel_id', '=', channelId).execute()).map((r) => r.user_id));
    if (!inCall.has(userId)) throw new ApiError('MISSING_PERMISSIONS');
    const members = await this.ctx.db.selectFrom('channel_members').select(['user_id', 'state']).where('channel_id', '=', channelId).execute();
    const ringable: Snowflake[] = [];
    for (const m of members) {
      if (inCall.has(m.user_id) || (m.state !== 'accepted' && m.state !== 'hidden')) continue;
      if (recipients && !recipients.includes(m.user_id)) continue;
      if (await blockedEitherWay(this.ctx.db, userId, m.user_id)) continue;
      ringable.push(m.user_id);
    }
    const ringing = [...new Set([...parseIds(call.ringing), ...ringable])];
    await this.setRinging(channel, call, ringing, ringable.length ? this.ctx.clock.now() + this.options.ringMs : call.ring_expires_at);
  }

  /** Stops ringing: yourself (declining) when no recipients are given, else those listed. */
  async stopRinging(userId: Snowflake, channelId: Snowflake, recipients: readonly Snowflake[] | null): Promise<void> {
    const { call, channel } = await this.callIn(userId, channelId);
    const stop = new Set(recipients ?? [userId]);
    const ringing = parseIds(call.ringing).filter((id) => !stop.has(id));
    await this.setRinging(channel, call, ringing, call.ring_expires_at);
  }

  private async callIn(userId: Snowflake, channelId: Snowflake): Promise<{ call: CallRow; channel: ChannelRow }> {
    const access = await channelAccess(this.ctx.db, channelId, userId);
    if (!isDirect(access.channel.type)) throw new ApiError('UNKNOWN_CHANNEL');
    const call = await this.ctx.db.selectFrom('calls').selectAll().where('channel_id', '=', channelId).executeTakeFirst();
    if (!call) throw new ApiError('UNKNOWN_CHANNEL');
    return { call, channel: access.channel };
  }

  private async setRinging(channel: ChannelRow, call: CallRow, ringing: Snowflake[], expiresAt: number | null): Promise<void> {
    const before = call.ringing;
    const after = JSON.stringify(ringing);
    if (after === before) return;
    const next = { ...call, ringing: after, ring_expires_at: ringing.length ? expiresAt : null };
    // Only if nobody changed it meanwhile (another node's sweep, another request): theirs stands.
    const result = await this.ctx.db
      .updateTable('calls')
      .set({ ringing: next.ringing, ring_expires_at: next.ring_expires_at })
      .where('channel_id', '=', call.channel_id)
      .where('ringing', '=', before)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) return;
    await this.ctx.events.publish(event('CALL_UPDATE', toCall(next), await this.audienceOf(channel)));
  }

  /** The DM calls going on in a user's DMs, for CALL_CREATE after their READY. */
  async dmCallsOf(userId: Snowflake): Promise<CallCreate[]> {
    const { db } = this.ctx;
    // Most identifies find none: whether any DM call is going on at all is kept per node.
    const anyDmCall = await this.dmCallsGoingOn.load('any', async () => (await db.selectFrom('calls').select('channel_id').where('guild_id', 'is', null).limit(1).execute()).length > 0);
    if (!anyDmCall) return [];
    const calls = await db
      .selectFrom('calls')
      .innerJoin('channel_members', 'channel_members.channel_id', 'calls.channel_id')
      .selectAll('calls')
      .where('channel_members.user_id', '=', userId)
      .where('channel_members.state', '!=', 'declined')
      .where('calls.guild_id', 'is', null)
      .execute();
    if (calls.length === 0) return [];
    const states = await db
      .selectFrom('voice_states')
      .selectAll()
      .where(
        'channel_id',
        'in',
        calls.map((c) => c.channel_id),
      )
      .execute();
    return calls.map((call) => ({ ...toCall(call), voice_states: states.filter((s) => s.channel_id === call.channel_id).map((s) => toVoiceState(s)) }));
  }

  // ---- upkeep ----

  /** One round: refresh this node's call sessions, then sweep expired states, empty calls and rings. */
  tick(): Promise<void> {
    this.ticking ??= this.upkeep()
      .catch((error: unknown) => this.logger.warn({ err: error }, 'calls: upkeep failed'))
      .finally(() => (this.ticking = null));
    return this.ticking;
  }

  private async upkeep(): Promise<void> {
    const { db, clock } = this.ctx;
    const now = clock.now();
    const local = [...this.local];
    for (let i = 0; i < local.length; i += 500) {
      await db
        .updateTable('voice_states')
        .set({ seen_at: now })
        .where('session_id', 'in', local.slice(i, i + 500))
        // Only the heartbeat: what the caches hold of a voice state (features/guilds/guild-reads.ts) stays true.
        .modifyEnd(sql.raw(UNCACHED_COLUMNS_ONLY))
        .execute();
    }
    const expired = await db
      .selectFrom('voice_states')
      .selectAll()
      .where('seen_at', '<', now - this.options.graceMs)
      .limit(500)
      .execute();
    for (const state of expired) {
      const departure = await this.remove(state.user_id, state.session_id);
      if (departure) await this.ctx.events.publish(disconnected(state, 'timed_out'), ...(await this.departureEvents(departure)));
    }
    await this.sweepSfu();
    const rung = await db.selectFrom('calls').selectAll().where('ring_expires_at', '<', now).execute();
    for (const call of rung) {
      const channel = await db.selectFrom('channels').selectAll().where('id', '=', call.channel_id).executeTakeFirst();
      if (channel) await this.setRinging(channel, call, [], null);
    }
  }

  /** SFU handles on this node whose participant left through another node go too. */
  private async sweepSfu(): Promise<void> {
    const sessions = this.sfu?.localSessions() ?? [];
    if (!sessions.length) return;
    const states = await this.ctx.db
      .selectFrom('voice_states')
      .select(['session_id', 'channel_id'])
      .where(
        'session_id',
        'in',
        sessions.map((s) => s.sessionId),
      )
      .execute();
    const inCall = new Set(states.map((s) => `${s.session_id}/${s.channel_id}`));
    await this.sfu!.sweep((sessionId, channelId) => inCall.has(`${sessionId}/${channelId}`));
  }

  // ---- helpers ----

  private audienceOf(channel: ChannelRow): Promise<Audience> {
    return channelAudience(this.ctx.db, channel, null);
  }

  private async callMessageEvent(t: 'MESSAGE_CREATE' | 'MESSAGE_UPDATE', messageId: Snowflake, audience: Audience): Promise<OutgoingEvent> {
    const row = await this.ctx.db.selectFrom('messages').selectAll().where('id', '=', messageId).executeTakeFirstOrThrow();
    const [message] = await loadMessages(this.ctx.db, [row], null, this.urls);
    return event(t, message!, audience);
  }

  /** PostgreSQL: serialises everything a user does with calls (SQLite has one writer anyway). */
  private async lockUser(trx: Kysely<Tables>, userId: Snowflake): Promise<void> {
    if (this.ctx.database.dialect !== 'postgres') return;
    await trx.selectFrom('users').select('id').where('id', '=', userId).forUpdate().execute();
  }

  /** PostgreSQL: serialises joins and leaves per channel, in ID order so two movers never deadlock. */
  private async lockChannels(trx: Kysely<Tables>, channelIds: Snowflake[]): Promise<void> {
    if (this.ctx.database.dialect !== 'postgres') return;
    const ids = [...new Set(channelIds)].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
    for (const id of ids) await trx.selectFrom('channels').select('id').where('id', '=', id).forUpdate().execute();
  }
}

/**
 * A participant's flags from their op 4 and what the channel lets them do: without Speak (or in
 * a stage's audience) they are suppressed (nobody plays them); without Video (STREAM), or in
 * a stage's audience, their camera and screen are off for everyone, whatever their client says.
 */
function flagsOf(d: VoiceStateUpdate, current: VoiceStateRow | null, permissions: bigint, stageSuppress: VoiceStateRow['stage_suppress']) {
  const asked = {
    self_video: (d.self_video ?? current?.self_video === 1) ? 1 : 0,
    self_stream: (d.self_stream ?? current?.self_stream === 1) ? 1 : 0,
  } as const;
  return {
    self_mute: d.self_mute ? 1 : 0,
    self_deaf: d.self_deaf ? 1 : 0,
    ...speakingFlags({ ...asked, stage_suppress: stageSuppress }, permissions),
    public_key: d.public_key === undefined ? (current?.public_key ?? null) : d.public_key,
  } as const;
}

function toCall(call: CallRow) {
  return { channel_id: call.channel_id, message_id: call.message_id!, ringing: parseIds(call.ringing), region: 'local' };
}

/** VOICE_DISCONNECTED to the session that held a call, telling it why it no longer does. */
function disconnected(state: VoiceStateRow, reason: VoiceDisconnected['reason'], toChannelId?: Snowflake): OutgoingEvent {
  return event(
    'VOICE_DISCONNECTED',
    { channel_id: state.channel_id, ...(state.guild_id && { guild_id: state.guild_id }), reason, ...(toChannelId && { to_channel_id: toChannelId }) },
    { sessions: [state.session_id] },
  );
}
