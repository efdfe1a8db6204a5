import { z } from 'zod';
import { Snowflake } from './ids';
import { Limits, line } from './limits';
import { defineRoute } from './route';
import { User } from './users';

/** An invite to a server, in Discord's shape. Metadata (uses…) only for those who manage it. */
export const Invite = z.object({
  /** Invite type 0: a guild invite. */
  type: z.literal(0),
  code: z.string(),
  /** `e2ee`: an encrypted server (Guild.e2ee), so people know before joining. */
  guild: z.object({ id: Snowflake, name: z.string(), icon: z.string().nullable(), description: z.string().nullable(), features: z.array(z.string()), e2ee: z.boolean().optional() }),
  channel: z.object({ id: Snowflake, name: z.string().nullable(), type: z.number().int() }),
  inviter: User.optional(),
  expires_at: z.iso.datetime().nullable(),
  approximate_member_count: z.number().int().optional(),
  uses: z.number().int().optional(),
  max_uses: z.number().int().optional(),
  max_age: z.number().int().optional(),
  temporary: z.boolean().optional(),
  created_at: z.iso.datetime().optional(),
});
export type Invite = z.infer<typeof Invite>;

export const CreateInviteBody = z.object({
  /** Seconds until it expires, 0 for never (max 7 days); default 24 hours. */
  max_age: z.number().int().min(0).max(604_800).default(86_400),
  /** 0 for unlimited (max 100). */
  max_uses: z.number().int().min(0).max(100).default(0),
  temporary: z.boolean().default(false),
  unique: z.boolean().optional(),
});

export const InviteCode = line(Limits.inviteCodeMax, 1).regex(/^[A-Za-z0-9_-]+$/, 'Must be an invite code');
const InviteParams = z.object({ code: InviteCode });

export const inviteRoutes = {
  create: defineRoute({
    method: 'POST',
    path: '/channels/:channel_id/invites',
    summary: 'Create an invite to the server, landing in this channel (expiry, use limit)',
    tag: 'Invites',
    auth: 'user',
    params: z.object({ channel_id: Snowflake }),
    body: CreateInviteBody,
    response: Invite,
  }),
  get: defineRoute({
    method: 'GET',
    path: '/invites/:code',
    summary:
      'What an invite leads to: the server (name, icon), who invited, with_counts for its member count. Anyone with the code may look, signed in or not (the invite page shows it before sign-in)',
    tag: 'Invites',
    auth: 'none',
    params: InviteParams,
    query: z.object({ with_counts: z.enum(['true', 'false']).optional() }),
    response: Invite,
  }),
  accept: defineRoute({
    method: 'POST',
    path: '/invites/:code',
    summary: 'Join the server through an invite',
    tag: 'Invites',
    auth: 'person',
    params: InviteParams,
    response: Invite,
  }),
  revoke: defineRoute({
    method: 'DELETE',
    path: '/invites/:code',
    summary: 'Revoke an invite (its creator, or Manage Server)',
    tag: 'Invites',
    auth: 'user',
    params: InviteParams,
    response: Invite,
  }),
  listGuild: defineRoute({
    method: 'GET',
    path: '/guilds/:guild_id/invites',
    summary: 'A server’s invites with their use counts (needs Manage Server)',
    tag: 'Invites',
    auth: 'user',
    requires: { guild: ['MANAGE_GUILD'] },
    params: z.object({ guild_id: Snowflake }),
    response: z.array(Invite),
  }),
};
