import { ALL_PERMISSIONS, API_PREFIX, ChannelType, type PermissionName, Permissions, type RouteDef, SNOWFLAKE_EPOCH, type Snowflake, buildPath, routes } from '@parley/protocol';
import { emojiRoutes } from '@parley/protocol/emojis';
import { webhookRoutes } from '@parley/protocol/webhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tables } from '../../db/tables';
import { type Person, makeGuild } from '../../testing/fixtures';
import { startTestServer, type TestServer } from '../../testing/server';

/** The main entry's routes and those on subpaths of their own. */
const everyRoute = { ...routes, webhooks: webhookRoutes, emojis: emojiRoutes };

/*
 * Route by route: a member holding every permission but one (never Administrator, which
 * implies all) is refused wherever that one permission is needed, with 403 (50013), or, where
 * View Channel is missing, the channel is unknown to them (404, 10003: Parley hides a channel
 * its permissions hide); the same holds for sitting below the member or role acted on. After
 * each refusal the database is exactly as before.
 */

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

type Table = keyof Tables;
const WATCHED: Table[] = ['guilds', 'channels', 'channel_members', 'roles', 'members', 'member_roles', 'messages', 'reactions', 'permission_overwrites', 'bans', 'invites', 'audit_log_entries'];

/** Everything a refusal must leave alone, as one comparable value. */
async function snapshot(): Promise<string> {
  const db = server.db.database.db;
  const tables = await Promise.all(WATCHED.map(async (table) => (await db.selectFrom(table).selectAll().execute()).map((row) => JSON.stringify(row)).sort()));
  return JSON.stringify(tables);
}

const idAt = (offset: number) => String(((BigInt(Date.now()) - SNOWFLAKE_EPOCH) << 22n) | BigInt(4_000_000 + offset)) as Snowflake;

interface Attempt {
  name: string;
  method: string;
  path: string;
  body?: unknown;
  expected: { status: number; code: number };
}

describe('permission matrix', () => {
  it('refuses a member who lacks exactly the permission a route needs, or stands too low, and changes nothing', async () => {
    const { owner, guild, general, members } = await makeGuild(server, { members: 3 });
    const [actor, target, superior] = members as [Person, Person, Person];
    const db = server.db.database.db;
    const guildId = guild.id;

    // Arranged behind the API's back (roles, overwrites and private channels have their own
    // tests): @everyone holds nothing; the actor's role sits between the target's and a superior's.
    await db.updateTable('roles').set({ permissions: '0' }).where('id', '=', guildId).execute();
    const [low, mid, high] = [idAt(1), idAt(2), idAt(3)];
    await db
      .insertInto('roles')
      .values([
        {
          id: low,
          guild_id: guildId,
          name: 'Low',
          permissions: String(Permissions.VIEW_CHANNEL | Permissions.SEND_MESSAGES | Permissions.READ_MESSAGE_HISTORY | Permissions.ADD_REACTIONS),
          position: 1,
        },
        { id: mid, guild_id: guildId, name: 'Actor', permissions: '0', position: 2 },
        { id: high, guild_id: guildId, name: 'High', permissions: '0', position: 3 },
      ])
      .execute();
    await db
      .insertInto('member_roles')
      .values([
        { guild_id: guildId, user_id: target.userId as Snowflake, role_id: low },
        { guild_id: guildId, user_id: actor.userId as Snowflake, role_id: mid },
        { guild_id: guildId, user_id: superior.userId as Snowflake, role_id: high },
      ])
      .execute();
    const privateChannel = await owner.client.request(routes.channels.create, { params: { guild_id: guildId }, body: { name: 'private', type: ChannelType.GUILD_TEXT, private: true } });
    await db
      .insertInto('channel_members')
      .values([actor, target].map((p) => ({ channel_id: privateChannel.id, user_id: p.userId as Snowflake, joined_at: Date.now() })))
      .execute();
    const byTarget = await target.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'one' } });
    const byTarget2 = await target.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'two' } });
    await target.client.request(routes.messages.addReaction, { params: { channel_id: general.id, message_id: byTarget.id, emoji: '👍' } });
    const invite = await owner.client.request(routes.invites.create, { params: { channel_id: general.id }, body: {} });
    await db
      .insertInto('bans')
      .values({ guild_id: guildId, user_id: owner.userId as Snowflake, reason: null, created_at: Date.now() })
      .execute();
    await db.insertInto('permission_overwrites').values({ channel_id: general.id, target_id: low, type: 0, allow: '0', deny: '0' }).execute();
    await db
      .insertInto('emojis')
      .values({ id: '123456789012345678' as Snowflake, guild_id: guildId, name: 'matrix', image: '0'.repeat(32), animated: 0, creator_id: owner.userId as Snowflake, created_at: Date.now() })
      .execute();

    const params: Record<string, string> = {
      guild_id: guildId,
      channel_id: general.id,
      message_id: byTarget.id,
      user_id: target.userId,
      role_id: low,
      overwrite_id: low,
      emoji: '👍',
      emoji_id: '123456789012345678',
      code: invite.code,
    };
    // A valid body for every declared route that takes one: a refusal must come from access, not validation.
    const bodies: Record<string, unknown> = {
      'guilds.update': { name: 'Taken over' },
      'channels.create': { name: 'new', type: ChannelType.GUILD_TEXT },
      'channels.reorder': [{ id: general.id, position: 5 }],
      'channels.update': { name: 'renamed' },
      'messages.create': { content: 'hello' },
      'messages.edit': { content: 'edited' },
      'messages.startThread': { name: 'thread' },
      'roles.create': { name: 'New' },
      'roles.reorder': [{ id: low, position: 1 }],
      'roles.update': { name: 'Renamed' },
      'moderation.ban': {},
      'moderation.editOverwrite': { type: 0, allow: '0', deny: String(Permissions.SEND_MESSAGES) },
      'moderation.bulkDelete': { messages: [byTarget.id, byTarget2.id] },
      'webhooks.create': { name: 'Hook' },
      'emojis.create': { name: 'new_emoji', image: 'data:image/png;base64,iVBORw0KGgo=' },
      'emojis.update': { name: 'renamed' },
    };

    const attempts: Attempt[] = [];
    const expectFor = (scope: 'guild' | 'channel', permission: PermissionName) => (scope === 'channel' && permission === 'VIEW_CHANNEL' ? { status: 404, code: 10003 } : { status: 403, code: 50013 });
    const allBut = (...names: PermissionName[]) => String(names.reduce((all, name) => all & ~Permissions[name], ALL_PERMISSIONS & ~Permissions.ADMINISTRATOR));
    const withRole = new Map<Attempt, string>();

    // 1. Every route that declares what it requires, one missing permission at a time.
    for (const [group, defs] of Object.entries(everyRoute)) {
      for (const [name, def] of Object.entries(defs as Record<string, RouteDef>)) {
        if (!def.requires) continue;
        const scope = 'channel' in def.requires ? 'channel' : 'guild';
        const needed: readonly PermissionName[] = 'channel' in def.requires ? def.requires.channel : def.requires.guild;
        // A channel route always needs to see the channel, declared or not.
        const missing = new Set<PermissionName>(scope === 'channel' ? ['VIEW_CHANNEL', ...needed] : needed);
        const key = `${group}.${name}`;
        if (def.body && missing.size && !(key in bodies)) throw new Error(`No body for ${key}: add one to the matrix`);
        for (const permission of missing) {
          const attempt: Attempt = { name: `${key} without ${permission}`, method: def.method, path: buildPath(def.path, params), body: bodies[key], expected: expectFor(scope, permission) };
          attempts.push(attempt);
          withRole.set(attempt, allBut(permission));
        }
      }
    }

    // 2. Routes that check a permission in their handler (it depends on what is acted on).
    const path = (def: RouteDef, extra: Record<string, string> = {}) => buildPath(def.path, { ...params, ...extra });
    const checked: [string, RouteDef, PermissionName[], unknown, Record<string, string>?][] = [
      ['rename a channel', routes.channels.update, ['MANAGE_CHANNELS'], { name: 'renamed' }],
      ['delete a channel', routes.channels.delete, ['MANAGE_CHANNELS'], undefined],
      ['remove someone from a private channel', routes.channels.removeMember, ['MANAGE_CHANNELS'], undefined, { channel_id: privateChannel.id }],
      ['send a message', routes.messages.create, ['SEND_MESSAGES'], { content: 'hi' }],
      ['type', routes.channels.typing, ['SEND_MESSAGES'], undefined],
      ["delete someone else's message", routes.messages.delete, ['MANAGE_MESSAGES'], undefined],
      ['pin', routes.messages.pin, ['PIN_MESSAGES', 'MANAGE_MESSAGES'], undefined],
      ['unpin', routes.messages.unpin, ['PIN_MESSAGES', 'MANAGE_MESSAGES'], undefined],
      ['start a new reaction', routes.messages.addReaction, ['ADD_REACTIONS'], undefined, { emoji: '🔥' }],
      ["remove someone else's reaction", routes.messages.removeUserReaction, ['MANAGE_MESSAGES'], undefined, { user_id: target.userId }],
      ['start a thread', routes.messages.startThread, ['CREATE_PUBLIC_THREADS'], { name: 'thread' }],
      ['create an invite', routes.invites.create, ['CREATE_INSTANT_INVITE'], {}],
      ["revoke someone else's invite", routes.invites.revoke, ['MANAGE_GUILD'], undefined],
      ['change your own nickname', routes.guilds.updateOwnMember, ['CHANGE_NICKNAME'], { nick: 'me' }],
      ["change someone's nickname", routes.moderation.updateMember, ['MANAGE_NICKNAMES'], { nick: 'you' }],
      ["change someone's roles", routes.moderation.updateMember, ['MANAGE_ROLES'], { roles: [] }],
      ['server-mute', routes.moderation.updateMember, ['MUTE_MEMBERS'], { mute: true }],
      ['server-deafen', routes.moderation.updateMember, ['DEAFEN_MEMBERS'], { deaf: true }],
      ['disconnect from a call', routes.moderation.updateMember, ['MOVE_MEMBERS'], { channel_id: null }],
      ['time out', routes.moderation.updateMember, ['MODERATE_MEMBERS'], { communication_disabled_until: new Date(Date.now() + 60_000).toISOString() }],
    ];
    // Adding a bot: Manage Server (the actor's own application).
    const application = await actor.client.request(routes.applications.create, { body: { name: 'Matrix Bot' } });
    await actor.client.request(routes.applications.createBot, { params: { application_id: application.id }, body: { password: actor.password } });
    const authorize: Attempt = {
      name: 'add a bot without MANAGE_GUILD',
      method: 'POST',
      path: `/oauth2/authorize?client_id=${application.id}&scope=bot`,
      body: { guild_id: guildId, permissions: '0', authorize: true },
      expected: { status: 403, code: 50013 },
    };
    attempts.push(authorize);
    withRole.set(authorize, allBut('MANAGE_GUILD'));
    for (const [what, def, lacking, body, extra] of checked) {
      const attempt: Attempt = { name: `${what} without ${lacking.join(' and ')}`, method: def.method, path: path(def, extra), body, expected: { status: 403, code: 50013 } };
      attempts.push(attempt);
      withRole.set(attempt, allBut(...lacking));
    }

    // 3. Every permission held, but the member or role acted on sits at or above the actor's highest role.
    const above: [string, RouteDef, unknown, Record<string, string>][] = [
      ['kick a superior', routes.guilds.kickMember, undefined, { user_id: superior.userId }],
      ['ban a superior', routes.moderation.ban, {}, { user_id: superior.userId }],
      ["change a superior's nickname", routes.moderation.updateMember, { nick: 'x' }, { user_id: superior.userId }],
      ['time out a superior', routes.moderation.updateMember, { communication_disabled_until: new Date(Date.now() + 60_000).toISOString() }, { user_id: superior.userId }],
      ['give a role above yours', routes.roles.addToMember, undefined, { role_id: high }],
      ['give your own highest role', routes.roles.addToMember, undefined, { role_id: mid }],
      ['take a role above yours', routes.roles.removeFromMember, undefined, { user_id: superior.userId, role_id: high }],
      ['edit a role above yours', routes.roles.update, { name: 'mine' }, { role_id: high }],
      ['delete a role above yours', routes.roles.delete, undefined, { role_id: high }],
      ['kick the owner', routes.guilds.kickMember, undefined, { user_id: owner.userId }],
      ['ban yourself', routes.moderation.ban, {}, { user_id: actor.userId }],
    ];
    for (const [what, def, body, extra] of above) {
      const attempt: Attempt = { name: what, method: def.method, path: path(def, extra), body, expected: { status: 403, code: 50013 } };
      attempts.push(attempt);
      withRole.set(attempt, allBut());
    }

    const wrong: string[] = [];
    for (const attempt of attempts) {
      await db
        .updateTable('roles')
        .set({ permissions: withRole.get(attempt)! })
        .where('id', '=', mid)
        .execute();
      const before = await snapshot();
      const response = await fetch(`${server.url}${API_PREFIX}${attempt.path}`, {
        method: attempt.method,
        headers: { authorization: actor.client.token!, ...(attempt.body !== undefined && { 'content-type': 'application/json' }) },
        ...(attempt.body !== undefined && { body: JSON.stringify(attempt.body) }),
      });
      const answer = response.status === 204 ? null : ((await response.json()) as { code?: number });
      if (response.status !== attempt.expected.status || answer?.code !== attempt.expected.code) wrong.push(`${attempt.name}: ${response.status} ${JSON.stringify(answer)}`);
      else if ((await snapshot()) !== before) wrong.push(`${attempt.name}: refused but changed something`);
    }
    expect(wrong).toEqual([]);
    expect(attempts.length).toBeGreaterThan(80);

    // The control: with that one permission back, the same member reads through every declared
    // GET route, so each refusal above was that permission's doing.
    await db.updateTable('roles').set({ permissions: allBut() }).where('id', '=', mid).execute();
    const reads = Object.values(everyRoute).flatMap((defs) => Object.values(defs as Record<string, RouteDef>).filter((def) => def.requires && def.method === 'GET'));
    const failed: string[] = [];
    for (const def of reads) {
      const response = await fetch(
        `${server.url}${API_PREFIX}${buildPath(def.path, { ...params, user_id: owner.userId, ...(def === routes.channels.listMembers && { channel_id: privateChannel.id }) })}`,
        { headers: { authorization: actor.client.token! } },
      );
      if (!response.ok) failed.push(`${def.path}: ${response.status}`);
    }
    expect(failed).toEqual([]);
    expect(reads.length).toBeGreaterThan(10);
  });
});
