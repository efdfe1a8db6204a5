import { ALL_PERMISSIONS, ChannelType, Permissions, type RouteDef, type Snowflake, buildPath, routes } from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tables } from '../../db/tables';
import { type Person, failure, giveRole, makeGuild } from '../../testing/fixtures';
import { startTestServer, type TestServer } from '../../testing/server';
import { SteppingClock, enableTotp } from '../../testing/two-factor';

/*
 * A server that requires 2FA for moderation (Discord's mfa_level 1): each MFA-required action,
 * by a moderator holding every permission but without 2FA, is refused with 403 / 60003 and
 * changes nothing; a member who never held the permission still gets 50013; the same moderator
 * with 2FA, or in a server without the requirement, is let through.
 */

const clock = new SteppingClock();
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ clock });
});
afterAll(() => server.close());

const WATCHED: (keyof Tables)[] = ['guilds', 'channels', 'roles', 'members', 'member_roles', 'messages', 'permission_overwrites', 'bans'];
async function snapshot(): Promise<string> {
  const db = server.db.database.db;
  return JSON.stringify(await Promise.all(WATCHED.map(async (t) => (await db.selectFrom(t).selectAll().execute()).map((r) => JSON.stringify(r)).sort())));
}

interface Attempt {
  name: string;
  def: RouteDef;
  params?: Record<string, string>;
  body?: unknown;
}

async function attempt(person: Person, { def, params, body }: Attempt) {
  return server.app.inject({
    method: def.method,
    url: `/api/v10${buildPath(def.path, params)}`,
    headers: { authorization: person.client.token! },
    ...(body !== undefined && { payload: body as object }),
  });
}

describe('guild mfa_level', () => {
  it('only the owner, with 2FA of their own, turns it on; the guild object carries it', async () => {
    const { owner, guild, members } = await makeGuild(server, { members: 1 });
    const [manager] = members as [Person];
    await giveRole(owner, guild.id, manager, String(Permissions.MANAGE_GUILD));
    await enableTotp(manager, clock);
    const before = await snapshot();
    const withoutOwn2fa = await failure(owner.client.request(routes.guilds.update, { params: { guild_id: guild.id }, body: { mfa_level: 1 } }));
    expect(withoutOwn2fa.problems[0]).toMatchObject({ path: ['mfa_level'], code: 'MFA_REQUIRED_FOR_OWNER' });
    const notOwner = await failure(manager.client.request(routes.guilds.update, { params: { guild_id: guild.id }, body: { mfa_level: 1 } }));
    expect(notOwner.problems[0]?.path).toEqual(['mfa_level']);
    const badLevel = await failure(owner.client.request(routes.guilds.update, { params: { guild_id: guild.id }, body: { mfa_level: 2 as never } }));
    expect(badLevel.problems[0]?.path).toEqual(['mfa_level']);
    expect(await snapshot()).toBe(before);

    await enableTotp(owner, clock);
    expect((await owner.client.request(routes.guilds.update, { params: { guild_id: guild.id }, body: { mfa_level: 1 } })).mfa_level).toBe(1);
    expect((await manager.client.request(routes.guilds.get, { params: { guild_id: guild.id } })).mfa_level).toBe(1);
    const log = await owner.client.request(routes.auditLog.list, { params: { guild_id: guild.id } });
    expect(log.audit_log_entries[0]?.changes).toEqual([{ key: 'mfa_level', old_value: 0, new_value: 1 }]);
  });

  it('refuses every MFA-required action from a moderator without 2FA with 60003, changing nothing; with 2FA they go through', async () => {
    const { owner, guild, general, members } = await makeGuild(server, { members: 3 });
    const [moderator, admin, target] = members as [Person, Person, Person];
    // Everything but Administrator for the moderator; Administrator alone for the other.
    await giveRole(owner, guild.id, moderator, String(ALL_PERMISSIONS & ~Permissions.ADMINISTRATOR), 'Mods');
    const adminRole = await giveRole(owner, guild.id, admin, String(Permissions.ADMINISTRATOR), 'Admins');
    const low = await owner.client.request(routes.roles.create, { params: { guild_id: guild.id }, body: { name: 'Low' } });
    // Mods above Admins above Low, so hierarchy never decides.
    await owner.client.request(routes.roles.reorder, { params: { guild_id: guild.id }, body: [{ id: low.id, position: 1 }] });
    const byTarget = await target.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'one' } });
    const byTarget2 = await target.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'two' } });
    await enableTotp(owner, clock);
    await owner.client.request(routes.guilds.update, { params: { guild_id: guild.id }, body: { mfa_level: 1 } });

    const g = guild.id;
    const t = target.userId;
    const attempts: Attempt[] = [
      { name: 'kick', def: routes.guilds.kickMember, params: { guild_id: g, user_id: t } },
      { name: 'ban', def: routes.moderation.ban, params: { guild_id: g, user_id: t }, body: {} },
      { name: 'time out', def: routes.moderation.updateMember, params: { guild_id: g, user_id: t }, body: { communication_disabled_until: new Date(Date.now() + 60_000).toISOString() } },
      { name: "change someone's roles", def: routes.roles.addToMember, params: { guild_id: g, user_id: t, role_id: low.id } },
      { name: 'create a role', def: routes.roles.create, params: { guild_id: g }, body: { name: 'New' } },
      { name: 'edit a role', def: routes.roles.update, params: { guild_id: g, role_id: low.id }, body: { name: 'Renamed' } },
      {
        name: 'edit an overwrite',
        def: routes.moderation.editOverwrite,
        params: { channel_id: general.id, overwrite_id: low.id },
        body: { type: 0, allow: '0', deny: String(Permissions.SEND_MESSAGES) },
      },
      { name: 'bulk delete', def: routes.moderation.bulkDelete, params: { channel_id: general.id }, body: { messages: [byTarget.id, byTarget2.id] } },
      { name: "delete someone else's message", def: routes.messages.delete, params: { channel_id: general.id, message_id: byTarget.id } },
      { name: 'create a channel', def: routes.channels.create, params: { guild_id: g }, body: { name: 'new', type: ChannelType.GUILD_TEXT } },
      { name: 'rename the server', def: routes.guilds.update, params: { guild_id: g }, body: { name: 'Taken over' } },
    ];
    const before = await snapshot();
    for (const who of [moderator, admin]) {
      for (const a of attempts) {
        const response = await attempt(who, a);
        expect({ name: a.name, status: response.statusCode, code: response.json<{ code: number }>().code }).toEqual({ name: a.name, status: 403, code: 60003 });
        expect(response.json<{ message: string }>().message).toMatch(/two-factor/i);
      }
    }
    expect(await snapshot()).toBe(before);
    // What needs no 2FA still works.
    await moderator.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'still talking' } });
    // A member who never held the permission is told so, not asked for 2FA.
    const plain = await attempt(target, { name: 'kick', def: routes.guilds.kickMember, params: { guild_id: g, user_id: moderator.userId } });
    expect([plain.statusCode, plain.json<{ code: number }>().code]).toEqual([403, 50013]);

    // With 2FA, the same moderator acts.
    await enableTotp(moderator, clock);
    await moderator.client.request(routes.messages.delete, { params: { channel_id: general.id, message_id: byTarget.id } });
    await moderator.client.request(routes.moderation.updateMember, {
      params: { guild_id: g, user_id: t as Snowflake },
      body: { communication_disabled_until: new Date(Date.now() + 60_000).toISOString() },
    });
    // Turned off again, the administrator without 2FA is whole again.
    await owner.client.request(routes.guilds.update, { params: { guild_id: g }, body: { mfa_level: 0 } });
    await admin.client.request(routes.roles.update, { params: { guild_id: g, role_id: low.id }, body: { name: 'Renamed' } });
    expect(adminRole.name).toBe('Admins');
  });

  it('withholds the bits in the permission function, overwrites included', async () => {
    const { computeBasePermissions, permissionsInChannel, MFA_REQUIRED_PERMISSIONS } = await import('@parley/protocol');
    const roles = [
      { id: 'g' as Snowflake, permissions: String(Permissions.VIEW_CHANNEL | Permissions.SEND_MESSAGES) },
      { id: 'r' as Snowflake, permissions: String(Permissions.ADMINISTRATOR | Permissions.KICK_MEMBERS) },
    ];
    const member = { guildId: 'g' as Snowflake, userId: 'u' as Snowflake, ownerId: 'o' as Snowflake, memberRoleIds: ['r' as Snowflake], roles };
    expect(computeBasePermissions(member)).toBe(ALL_PERMISSIONS);
    expect(computeBasePermissions({ ...member, twoFactorMissing: true })).toBe(Permissions.VIEW_CHANNEL | Permissions.SEND_MESSAGES);
    expect(computeBasePermissions({ ...member, userId: 'o' as Snowflake, twoFactorMissing: true })).toBe(ALL_PERMISSIONS & ~MFA_REQUIRED_PERMISSIONS);
    const overwrite = { id: 'u', type: 1, allow: String(Permissions.MANAGE_MESSAGES), deny: '0' };
    const inChannel = (twoFactorMissing: boolean) =>
      permissionsInChannel({ ...member, memberRoleIds: [], channelType: ChannelType.GUILD_TEXT, overwrites: [overwrite], private: false, isMember: false, now: 0, twoFactorMissing });
    expect(inChannel(false) & Permissions.MANAGE_MESSAGES).toBe(Permissions.MANAGE_MESSAGES);
    expect(inChannel(true) & Permissions.MANAGE_MESSAGES).toBe(0n);
  });
});
