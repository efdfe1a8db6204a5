import { z } from 'zod';
import { Snowflake } from './ids';
import { defineRoute } from './route';
import { User } from './users';

/** Discord's relationship types; Parley uses BLOCKED so far. */
export const RelationshipType = { FRIEND: 1, BLOCKED: 2 } as const;

export const Relationship = z.object({ id: Snowflake, type: z.number().int(), user: User });
export type Relationship = z.infer<typeof Relationship>;

const UserParams = z.object({ user_id: Snowflake });

export const relationshipRoutes = {
  list: defineRoute({
    method: 'GET',
    path: '/users/@me/relationships',
    summary: 'The users you have blocked',
    tag: 'Relationships',
    auth: 'person',
    response: z.array(Relationship),
  }),
  block: defineRoute({
    method: 'PUT',
    path: '/users/@me/relationships/:user_id',
    summary: 'Block a user: they can no longer DM you or add you to group DMs',
    tag: 'Relationships',
    auth: 'person',
    params: UserParams,
    body: z.object({ type: z.literal(RelationshipType.BLOCKED) }),
    response: null,
  }),
  remove: defineRoute({
    method: 'DELETE',
    path: '/users/@me/relationships/:user_id',
    summary: 'Unblock a user',
    tag: 'Relationships',
    auth: 'person',
    params: UserParams,
    response: null,
  }),
};
