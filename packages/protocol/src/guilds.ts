import { z } from 'zod';
import { VoiceState } from './calls';
import { Channel } from './channels';
import { Snowflake } from './ids';
import { Limits, line } from './limits';
import { Presence } from './presence';
import { defineRoute } from './route';
import { ImageDataUri, User } from './users';
import { Emoji } from './emojis';

/** A role. @everyone's id is the guild's id; it sits at position 0 and everyone holds it. */
export const Role = z.object({
  id: Snowflake,
  name: z.string(),
  color: z.number().int(),
  hoist: z.boolean(),
  icon: z.string().nullable(),
  unicode_emoji: z.string().nullable(),
  position: z.number().int(),
  /** Permission bits as a decimal string (see Permissions). */
  permissions: z.string(),
  managed: z.boolean(),
  mentionable: z.boolean(),
  flags: z.number().int(),
});
export type Role = z.infer<typeof Role>;

/** A user's membership of a guild (Discord's guild member object). */
export const Member = z.object({
  user: User,
  nick: z.string().nullable(),
  avatar: z.string().nullable(),
  roles: z.array(Snowflake),
  joined_at: z.iso.datetime(),
  premium_since: z.null(),
  deaf: z.boolean(),
  mute: z.boolean(),
  flags: z.number().int(),
  pending: z.boolean(),
  /** Timed out until then (may read, not talk); null when not timed out. */
  communication_disabled_until: z.iso.datetime().nullable(),
});
export type Member = z.infer<typeof Member>;

/** A guild ("server"), in Discord's shape. */
export const Guild = z.object({
  id: Snowflake,
  name: z.string(),
  icon: z.string().nullable(),
  description: z.string().nullable(),
  owner_id: Snowflake,
  roles: z.array(Role),
  emojis: z.array(Emoji),
  stickers: z.array(z.never()),
  features: z.array(z.string()),
  system_channel_id: Snowflake.nullable(),
  afk_channel_id: Snowflake.nullable(),
  afk_timeout: z.number().int(),
  verification_level: z.number().int(),
  default_message_notifications: z.number().int(),
  explicit_content_filter: z.number().int(),
  mfa_level: z.number().int(),
  nsfw_level: z.number().int(),
  premium_tier: z.number().int(),
  preferred_locale: z.string(),
  approximate_member_count: z.number().int().optional(),
  /**
   * Parley: an end-to-end encrypted server, for good: every text channel in it is encrypted and
   * read by whoever may view it (docs/e2ee.md "Encrypted servers").
   */
  e2ee: z.boolean().optional(),
});
export type Guild = z.infer<typeof Guild>;

/**
 * What GUILD_CREATE (and READY for user sessions) carries: the guild with its channels, the
 * first members and their presences, as one user sees it.
 */
export const GuildCreate = Guild.extend({
  joined_at: z.iso.datetime(),
  large: z.boolean(),
  unavailable: z.literal(false),
  member_count: z.number().int(),
  members: z.array(Member),
  channels: z.array(Channel),
  threads: z.array(Channel),
  presences: z.array(Presence),
  /** Who is in each voice channel (guild_id left out, as in Discord). */
  voice_states: z.array(VoiceState),
  stage_instances: z.array(z.never()),
  guild_scheduled_events: z.array(z.never()),
  soundboard_sounds: z.array(z.never()),
});
export type GuildCreate = z.infer<typeof GuildCreate>;

/** The short form in GET /users/@me/guilds. */
export const PartialGuild = z.object({
  id: Snowflake,
  name: z.string(),
  icon: z.string().nullable(),
  owner: z.boolean(),
  permissions: z.string(),
  features: z.array(z.string()),
});
export type PartialGuild = z.infer<typeof PartialGuild>;

export const GuildName = line(Limits.guildNameMax, 2);

export const CreateGuildBody = z.object({
  name: GuildName,
  icon: ImageDataUri.nullable().optional(),
  /** End-to-end encrypted, for good: every text channel in it is (the server reads none of their messages). */
  e2ee: z.boolean().optional(),
});
export const UpdateGuildBody = z.object({
  name: GuildName.optional(),
  icon: ImageDataUri.nullable().optional(),
  description: line(Limits.topicMax).nullable().optional(),
  system_channel_id: Snowflake.nullable().optional(),
  /** Owner only: 1 requires two-factor authentication for moderation (Discord's MFA level), 0 does not. */
  mfa_level: z.union([z.literal(0), z.literal(1)]).optional(),
});

export const MembersQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(1),
  after: Snowflake.optional(),
});

export const UpdateOwnMemberBody = z.object({ nick: line(Limits.displayNameMax).nullable().optional() });

const GuildParams = z.object({ guild_id: Snowflake });
const GuildMemberParams = z.object({ guild_id: Snowflake, user_id: Snowflake });

export const guildRoutes = {
  create: defineRoute({
    method: 'POST',
    path: '/guilds',
    summary: 'Create a server: you own it; it starts with #general and a General voice channel',
    tag: 'Guilds',
    auth: 'person',
    body: CreateGuildBody,
    bodyLimit: Limits.imageBodyMaxBytes,
    response: Guild,
  }),
  get: defineRoute({
    method: 'GET',
    path: '/guilds/:guild_id',
    summary: 'A server you are a member of',
    tag: 'Guilds',
    auth: 'user',
    requires: { guild: [] },
    params: GuildParams,
    query: z.object({ with_counts: z.enum(['true', 'false']).optional() }),
    response: Guild,
  }),
  update: defineRoute({
    method: 'PATCH',
    path: '/guilds/:guild_id',
    summary: 'Rename a server, change its icon (needs Manage Server); require 2FA for moderation (owner only)',
    tag: 'Guilds',
    auth: 'user',
    requires: { guild: ['MANAGE_GUILD'] },
    params: GuildParams,
    body: UpdateGuildBody,
    bodyLimit: Limits.imageBodyMaxBytes,
    response: Guild,
  }),
  delete: defineRoute({
    method: 'DELETE',
    path: '/guilds/:guild_id',
    summary: 'Delete a server and everything in it (owner only)',
    tag: 'Guilds',
    auth: 'user',
    requires: { guild: [] },
    params: GuildParams,
    response: null,
  }),
  listMine: defineRoute({
    method: 'GET',
    path: '/users/@me/guilds',
    summary: 'The servers you are in',
    tag: 'Guilds',
    auth: 'user',
    response: z.array(PartialGuild),
  }),
  leave: defineRoute({
    method: 'DELETE',
    path: '/users/@me/guilds/:guild_id',
    summary: 'Leave a server (the owner must delete it instead)',
    tag: 'Guilds',
    auth: 'user',
    requires: { guild: [] },
    params: GuildParams,
    response: null,
  }),
  listChannels: defineRoute({
    method: 'GET',
    path: '/guilds/:guild_id/channels',
    summary: "A server's channels, ordered (private channels included: their names are visible)",
    tag: 'Guilds',
    auth: 'user',
    requires: { guild: [] },
    params: GuildParams,
    response: z.array(Channel),
  }),
  listMembers: defineRoute({
    method: 'GET',
    path: '/guilds/:guild_id/members',
    summary: 'Members, in ID order, paged with `after`',
    tag: 'Guilds',
    auth: 'user',
    requires: { guild: [] },
    params: GuildParams,
    query: MembersQuery,
    response: z.array(Member),
  }),
  kickMember: defineRoute({
    method: 'DELETE',
    path: '/guilds/:guild_id/members/:user_id',
    summary: 'Remove a member from the server (Kick Members; only someone below you in the role hierarchy, never the owner). They may rejoin with an invite',
    tag: 'Moderation',
    auth: 'user',
    requires: { guild: ['KICK_MEMBERS'] },
    params: GuildMemberParams,
    response: null,
  }),
  getMember: defineRoute({
    method: 'GET',
    path: '/guilds/:guild_id/members/:user_id',
    summary: 'One member',
    tag: 'Guilds',
    auth: 'user',
    requires: { guild: [] },
    params: GuildMemberParams,
    response: Member,
  }),
  updateOwnMember: defineRoute({
    method: 'PATCH',
    path: '/guilds/:guild_id/members/@me',
    summary: 'Set your nickname in a server',
    tag: 'Guilds',
    auth: 'user',
    requires: { guild: [] },
    params: GuildParams,
    body: UpdateOwnMemberBody,
    response: Member,
  }),
};
