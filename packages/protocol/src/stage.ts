import { z } from 'zod';
import { Snowflake } from './ids';
import { defineRoute } from './route';

/*
 * Stage channels (type 13, GUILD_STAGE_VOICE), Discord's way: a call where speakers talk and
 * the audience listens. Everyone joins suppressed (in the audience) except stage moderators
 * (Mute Members), who join as speakers. A listener raises a hand by setting their
 * `request_to_speak_timestamp` (Request to Speak); a moderator invites them (suppress false)
 * or moves a speaker back to the audience (suppress true). docs/calls.md, "Stage channels".
 */

/**
 * PATCH /guilds/{id}/voice-states/@me: your own voice state on a stage. `suppress: true` moves
 * you to the audience (always allowed); `false` makes you a speaker (stage moderators only).
 * A timestamp raises your hand (Request to Speak; the server records its own time), null lowers it.
 */
export const UpdateOwnVoiceStateBody = z.object({
  /** The stage you are in. */
  channel_id: Snowflake,
  suppress: z.boolean().optional(),
  request_to_speak_timestamp: z.iso.datetime({ offset: true }).nullable().optional(),
});
export type UpdateOwnVoiceStateBody = z.infer<typeof UpdateOwnVoiceStateBody>;

/**
 * PATCH /guilds/{id}/voice-states/{user_id} (Mute Members on the stage): `suppress: false`
 * invites them to speak (their hand goes down), `true` moves them to the audience.
 */
export const UpdateVoiceStateBody = z.object({
  /** The stage they are in. */
  channel_id: Snowflake,
  suppress: z.boolean().optional(),
});
export type UpdateVoiceStateBody = z.infer<typeof UpdateVoiceStateBody>;

export const stageRoutes = {
  updateOwnVoiceState: defineRoute({
    method: 'PATCH',
    path: '/guilds/:guild_id/voice-states/@me',
    summary: 'On a stage: raise or lower your hand, move yourself to the audience, or (stage moderators) become a speaker',
    tag: 'Calls',
    auth: 'user',
    params: z.object({ guild_id: Snowflake }),
    body: UpdateOwnVoiceStateBody,
    response: null,
  }),
  updateVoiceState: defineRoute({
    method: 'PATCH',
    path: '/guilds/:guild_id/voice-states/:user_id',
    summary: 'On a stage (needs Mute Members there): invite someone to speak, or move a speaker to the audience',
    tag: 'Calls',
    auth: 'user',
    params: z.object({ guild_id: Snowflake, user_id: Snowflake }),
    body: UpdateVoiceStateBody,
    response: null,
  }),
};
