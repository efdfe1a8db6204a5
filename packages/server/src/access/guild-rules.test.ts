import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChannelType, type GuildCreate, OverwriteType, Permissions, type Ready, type Snowflake, routes } from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Person, makeGuild } from '../testing/fixtures';
import { RawGateway } from '../testing/raw-gateway';
import { startTestServer, type TestServer } from '../testing/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

/** The guild as a fresh session's READY shows it to this person (a new READY each time). */
async function readyGuild(person: Person, guildId: Snowflake): Promise<GuildCreate> {
  const gateway = await RawGateway.open(server.url);
  try {
    gateway.identify(person.client.token!);
    const ready = (await gateway.dispatch('READY')).d as Ready;
    return ready.guilds.find((g) => g.id === guildId) as GuildCreate;
  } finally {
    gateway.close();
  }
}

const SEND = String(Permissions.SEND_MESSAGES);
const VIEW = String(Permissions.VIEW_CHANNEL);

describe("a guild's rules (roles and overwrites), kept in memory per node", () => {
  it('are current in the next READY after each kind of change', async () => {
    const { owner, guild, general, members } = await makeGuild(server, { members: 1 });
    const params = { guild_id: guild.id };
    const roleNames = async () => (await readyGuild(owner, guild.id)).roles.map((r) => `${r.name}@${r.position}:${r.permissions}`);
    const overwritesOn = async (person: Person, channelId: Snowflake) => (await readyGuild(person, guild.id)).channels.find((c) => c.id === channelId)?.permission_overwrites;

    // Each READY below comes after the previous one filled the node's copy.
    expect(await roleNames()).toHaveLength(1);
    const staff = await owner.client.request(routes.roles.create, { params, body: { name: 'Staff' } });
    expect(await roleNames()).toContain('Staff@1:0');
    await owner.client.request(routes.roles.update, { params: { ...params, role_id: staff.id }, body: { permissions: SEND } });
    expect(await roleNames()).toContain(`Staff@1:${SEND}`);
    const helpers = await owner.client.request(routes.roles.create, { params, body: { name: 'Helpers' } });
    expect(await roleNames()).toEqual(expect.arrayContaining(['Helpers@1:0', `Staff@2:${SEND}`]));
    await owner.client.request(routes.roles.reorder, { params, body: [{ id: helpers.id, position: 2 }] });
    expect(await roleNames()).toEqual(expect.arrayContaining(['Helpers@2:0', `Staff@1:${SEND}`]));

    // Overwrites: set, changed, removed; a channel created with its own; a deleted role's go with it.
    await owner.client.request(routes.moderation.editOverwrite, { params: { channel_id: general.id, overwrite_id: staff.id }, body: { type: OverwriteType.ROLE, allow: SEND, deny: '0' } });
    expect(await overwritesOn(owner, general.id)).toEqual([{ id: staff.id, type: OverwriteType.ROLE, allow: SEND, deny: '0' }]);
    await owner.client.request(routes.moderation.editOverwrite, { params: { channel_id: general.id, overwrite_id: staff.id }, body: { type: OverwriteType.ROLE, allow: '0', deny: SEND } });
    expect(await overwritesOn(owner, general.id)).toEqual([{ id: staff.id, type: OverwriteType.ROLE, allow: '0', deny: SEND }]);
    await owner.client.request(routes.moderation.deleteOverwrite, { params: { channel_id: general.id, overwrite_id: staff.id } });
    expect(await overwritesOn(owner, general.id)).toEqual([]);

    const hidden = await owner.client.request(routes.channels.create, {
      params,
      body: {
        name: 'staff-only',
        type: ChannelType.GUILD_TEXT,
        permission_overwrites: [
          { id: guild.id, type: OverwriteType.ROLE, allow: '0', deny: VIEW },
          { id: helpers.id, type: OverwriteType.ROLE, allow: VIEW, deny: '0' },
        ],
      },
    });
    const member = members[0]!;
    // The member has filled the node's copy too: the channel is not theirs to see, until their role is.
    expect(await overwritesOn(member, hidden.id)).toBeUndefined();
    await owner.client.request(routes.roles.addToMember, { params: { ...params, user_id: member.userId as Snowflake, role_id: helpers.id } });
    expect(await overwritesOn(member, hidden.id)).toHaveLength(2);
    await owner.client.request(routes.roles.delete, { params: { ...params, role_id: helpers.id } });
    expect(await overwritesOn(owner, hidden.id)).toEqual([{ id: guild.id, type: OverwriteType.ROLE, allow: '0', deny: VIEW }]);
    expect(await overwritesOn(member, hidden.id)).toBeUndefined();
    expect(await roleNames()).not.toContain('Helpers@2:0');
  });
});

describe('writers of roles and overwrites', () => {
  // The cache is only as current as the version: a module that writes either table without
  // raising it would leave every node serving the old rules until something else changes.
  it('all raise the guild rules version', () => {
    const sourceRoot = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
    const writes = /(insertInto|updateTable|deleteFrom)\(\s*'(roles|permission_overwrites)'\s*\)/;
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(file);
        else if (/\.ts$/.test(entry.name) && !/\.test\.ts$/.test(entry.name) && !file.includes(`${path.sep}migrations${path.sep}`)) {
          const text = fs.readFileSync(file, 'utf8');
          if (writes.test(text) && !text.includes('rulesChanged(')) offenders.push(path.relative(sourceRoot, file));
        }
      }
    };
    walk(sourceRoot);
    // Guild creation writes @everyone with the guild row itself (version 0: nothing can be cached yet).
    expect(offenders).toEqual(['features/guilds/routes.ts']);
  });
});
