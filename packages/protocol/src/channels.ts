import { z } from 'zod';
import { Snowflake } from './ids';
import { Limits, line, text } from './limits';
import { PermissionOverwrite } from './overwrites';
import { defineRoute } from './route';
import { User } from './users';

/** Discord's channel types, the ones Parley has. */
export const ChannelType = {
  GUILD_TEXT: 0,
  DM: 1,
  GUILD_VOICE: 2,
  GROUP_DM: 3,
  GUILD_CATEGORY: 4,
  PUBLIC_THREAD: 11,
  /** A voice channel where a host chooses who speaks; everyone else listens (docs/calls.md, "Stage channels"). */
  GUILD_STAGE_VOICE: 13,
} as const;
export type ChannelType = (typeof ChannelType)[keyof typeof ChannelType];

/** DMs and group DMs: channels outside any server. */
export const DM_CHANNEL_TYPES: readonly number[] = [ChannelType.DM, ChannelType.GROUP_DM];

/** A guild channel that holds a call: a voice channel or a stage. */
export function isGuildVoiceChannel(type: number): boolean {
  return type === ChannelType.GUILD_VOICE || type === ChannelType.GUILD_STAGE_VOICE;
}

export const ThreadMetadata = z.object({
  archived: z.boolean(),
  auto_archive_duration: z.number().int(),
  archive_timestamp: z.iso.datetime(),
  locked: z.boolean(),
  create_timestamp: z.iso.datetime(),
});

/**
 * A channel in Discord's shape: guild text/voice channels, categories, DMs, group DMs and
 * threads share one object with optional fields.
 */
export const Channel = z.object({
  id: Snowflake,
  type: z.number().int(),
  guild_id: Snowflake.optional(),
  name: z.string().nullable(),
  topic: z.string().nullable().optional(),
  position: z.number().int().optional(),
  parent_id: Snowflake.nullable().optional(),
  permission_overwrites: z.array(PermissionOverwrite).optional(),
  nsfw: z.boolean().optional(),
  last_message_id: Snowflake.nullable().optional(),
  last_pin_timestamp: z.iso.datetime().nullable().optional(),
  rate_limit_per_user: z.number().int().optional(),
  bitrate: z.number().int().optional(),
  user_limit: z.number().int().optional(),
  /** DMs and group DMs: the other people in it. */
  recipients: z.array(User).optional(),
  /** Group DMs: who made it. Threads: who started it. */
  owner_id: Snowflake.nullable().optional(),
  icon: z.string().nullable().optional(),
  flags: z.number().int().optional(),
  thread_metadata: ThreadMetadata.optional(),
  message_count: z.number().int().optional(),
  member_count: z.number().int().optional(),
  /**
   * Parley: a private guild channel. Everyone in the server sees its name; only its members
   * read or write it, and only members can add others.
   */
  private: z.boolean().optional(),
  /**
   * Parley: end-to-end encrypted (chosen at creation, never turned off): messages carry
   * ciphertext only, under keys the conversation's MLS group agrees (protocol/e2ee.ts).
   */
  e2ee: z.boolean().optional(),
  /** Parley, in payloads made for one user: whether they are a member of this private channel. */
  joined: z.boolean().optional(),
  /** Parley, in payloads made for one user: this DM is a message request waiting for their answer. */
  message_request: z.boolean().optional(),
});
export type Channel = z.infer<typeof Channel>;

export const ChannelName = line(Limits.channelNameMax, 1);

export const CreateGuildChannelBody = z.object({
  name: ChannelName,
  type: z
    .union([z.literal(ChannelType.GUILD_TEXT), z.literal(ChannelType.GUILD_VOICE), z.literal(ChannelType.GUILD_CATEGORY), z.literal(ChannelType.GUILD_STAGE_VOICE)])
    .default(ChannelType.GUILD_TEXT),
  topic: text(Limits.topicMax).nullable().optional(),
  position: z.number().int().min(0).max(10_000).optional(),
  parent_id: Snowflake.nullable().optional(),
  private: z.boolean().optional(),
  rate_limit_per_user: z.number().int().min(0).max(21_600).optional(),
  bitrate: z.number().int().min(8000).max(384_000).optional(),
  user_limit: z.number().int().min(0).max(99).optional(),
  /** End-to-end encrypted, for good: private text channels, and every text channel of an encrypted server (where it may be left out). */
  e2ee: z.boolean().optional(),
  /** Overwrites to start with (only permissions you hold; see PUT /channels/{id}/permissions/{id}). */
  permission_overwrites: z
    .array(PermissionOverwrite.extend({ allow: PermissionOverwrite.shape.allow.default('0'), deny: PermissionOverwrite.shape.deny.default('0') }))
    .max(100)
    .optional(),
});

export const UpdateChannelBody = z.object({
  name: ChannelName.optional(),
  topic: text(Limits.topicMax).nullable().optional(),
  position: z.number().int().min(0).max(10_000).optional(),
  parent_id: Snowflake.nullable().optional(),
  rate_limit_per_user: z.number().int().min(0).max(21_600).optional(),
  bitrate: z.number().int().min(8000).max(384_000).optional(),
  user_limit: z.number().int().min(0).max(99).optional(),
  /** Threads: archive or reopen. */
  archived: z.boolean().optional(),
});

export const ReorderChannelsBody = z
  .array(z.object({ id: Snowflake, position: z.number().int().min(0).max(10_000), parent_id: Snowflake.nullable().optional() }))
  .min(1)
  .max(500);

/** Open a DM with one user (`recipient_id`), or a group DM with up to nine others (`recipients`). */
export const OpenDmBody = z
  .object({
    recipient_id: Snowflake.optional(),
    recipients: z
      .array(Snowflake)
      .min(1)
      .max(Limits.groupDmMax - 1)
      .optional(),
    /** End-to-end encrypted, for good. An existing plain DM with the same person stays as it is: this opens another. */
    e2ee: z.boolean().optional(),
  })
  .refine((b) => (b.recipient_id === undefined) !== (b.recipients === undefined), {
    message: 'Give either recipient_id or recipients',
    path: ['recipient_id'],
  });

const ChannelParams = z.object({ channel_id: Snowflake });
const ChannelUserParams = z.object({ channel_id: Snowflake, user_id: Snowflake });

export const channelRoutes = {
  create: defineRoute({
    method: 'POST',
    path: '/guilds/:guild_id/channels',
    summary: 'Create a text, voice or stage channel or a category; `private: true` for a members-only channel (needs Manage Channels)',
    tag: 'Channels',
    auth: 'user',
    requires: { guild: ['MANAGE_CHANNELS'] },
    params: z.object({ guild_id: Snowflake }),
    body: CreateGuildChannelBody,
    response: Channel,
  }),
  reorder: defineRoute({
    method: 'PATCH',
    path: '/guilds/:guild_id/channels',
    summary: 'Move channels: new positions and categories (needs Manage Channels)',
    tag: 'Channels',
    auth: 'user',
    requires: { guild: ['MANAGE_CHANNELS'] },
    params: z.object({ guild_id: Snowflake }),
    body: ReorderChannelsBody,
    response: null,
  }),
  get: defineRoute({
    method: 'GET',
    path: '/channels/:channel_id',
    summary: 'A channel you can see',
    tag: 'Channels',
    auth: 'user',
    requires: { channel: [] },
    params: ChannelParams,
    response: Channel,
  }),
  update: defineRoute({
    method: 'PATCH',
    path: '/channels/:channel_id',
    summary: 'Rename a channel, set its topic, move it (needs Manage Channels; a thread’s starter may edit it)',
    tag: 'Channels',
    auth: 'user',
    requires: { channel: [] },
    params: ChannelParams,
    body: UpdateChannelBody,
    response: Channel,
  }),
  delete: defineRoute({
    method: 'DELETE',
    path: '/channels/:channel_id',
    summary: 'Delete a guild channel (needs Manage Channels), or close a DM (hides it until a new message)',
    tag: 'Channels',
    auth: 'user',
    requires: { channel: [] },
    params: ChannelParams,
    response: Channel,
  }),
  listMembers: defineRoute({
    method: 'GET',
    path: '/channels/:channel_id/members',
    summary: 'Members of a private channel',
    tag: 'Channels',
    auth: 'user',
    requires: { channel: ['VIEW_CHANNEL'] },
    params: ChannelParams,
    response: z.array(User),
  }),
  addMember: defineRoute({
    method: 'PUT',
    path: '/channels/:channel_id/members/:user_id',
    summary: 'Add a server member to a private channel (only its members can)',
    tag: 'Channels',
    auth: 'user',
    requires: { channel: ['VIEW_CHANNEL'] },
    params: ChannelUserParams,
    response: null,
  }),
  removeMember: defineRoute({
    method: 'DELETE',
    path: '/channels/:channel_id/members/:user_id',
    summary: 'Leave a private channel, or remove someone from it (needs Manage Channels)',
    tag: 'Channels',
    auth: 'user',
    requires: { channel: [] },
    params: ChannelUserParams,
    response: null,
  }),
  typing: defineRoute({
    method: 'POST',
    path: '/channels/:channel_id/typing',
    summary: 'Show "is typing…" to the channel for about 10 seconds',
    tag: 'Channels',
    auth: 'user',
    requires: { channel: ['VIEW_CHANNEL'] },
    params: ChannelParams,
    response: null,
  }),
  openDm: defineRoute({
    method: 'POST',
    path: '/users/@me/channels',
    summary: 'Open (or find) a DM with a user by ID, or create a group DM (up to 10 people)',
    tag: 'Direct messages',
    auth: 'user',
    body: OpenDmBody,
    response: Channel,
  }),
  listDms: defineRoute({
    method: 'GET',
    path: '/users/@me/channels',
    summary: 'Your DMs and group DMs, message requests included (flagged)',
    tag: 'Direct messages',
    auth: 'user',
    response: z.array(Channel),
  }),
  acceptRequest: defineRoute({
    method: 'POST',
    path: '/channels/:channel_id/request/accept',
    summary: 'Accept a message request: the DM moves to your DM list',
    tag: 'Direct messages',
    auth: 'person',
    params: ChannelParams,
    response: Channel,
  }),
  declineRequest: defineRoute({
    method: 'POST',
    path: '/channels/:channel_id/request/decline',
    summary: 'Decline a message request: the DM is hidden and further messages stay requests',
    tag: 'Direct messages',
    auth: 'person',
    params: ChannelParams,
    response: null,
  }),
  addRecipient: defineRoute({
    method: 'PUT',
    path: '/channels/:channel_id/recipients/:user_id',
    summary: 'Add someone to a group DM (up to 10 people)',
    tag: 'Direct messages',
    auth: 'user',
    requires: { channel: [] },
    params: ChannelUserParams,
    response: null,
  }),
  removeRecipient: defineRoute({
    method: 'DELETE',
    path: '/channels/:channel_id/recipients/:user_id',
    summary: 'Leave a group DM, or remove someone from one you own',
    tag: 'Direct messages',
    auth: 'user',
    requires: { channel: [] },
    params: ChannelUserParams,
    response: null,
  }),
};
