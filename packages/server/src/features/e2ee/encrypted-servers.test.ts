import { ChannelType, OverwriteType, Permissions, type Snowflake, routes } from '@parley/protocol';
import { e2eeRoutes } from '@parley/protocol/e2ee';
import { MlsDevice } from '@parley/sdk/e2ee';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { collect } from '../../testing/collector';
import { type Person, failure, giveRole, joinGuild, signUp } from '../../testing/fixtures';
import { startTestServer, type TestServer } from '../../testing/server';

/*
 * Encrypted servers (docs/e2ee.md "Encrypted servers"): every text channel is end-to-end
 * encrypted, and the server keeps each channel's readers (whose devices its MLS group holds) in
 * step with who may view it, telling them once per change.
 */

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

async function encryptedServer() {
  const owner = await signUp(server);
  const guild = await owner.client.request(routes.guilds.create, { body: { name: 'Sealed Community', e2ee: true } });
  const channels = await owner.client.request(routes.guilds.listChannels, { params: { guild_id: guild.id } });
  return { owner, guild, channels, general: channels.find((c) => c.name === 'general')! };
}

/** Whose devices the channel's group should hold, as the server says. */
const readersOf = async (person: Person, channelId: Snowflake) =>
  [...new Set((await person.client.request(e2eeRoutes.conversationDevices, { params: { channel_id: channelId } })).map((d) => d.user_id))].sort();
const device = (person: Person) => MlsDevice.register(person.client, person.userId as Snowflake, 'laptop');

it('is encrypted for good: every text channel is, plain text and plain channels are refused, voice stays a call', async () => {
  const { owner, guild, channels, general } = await encryptedServer();
  expect(guild.e2ee).toBe(true);
  expect((await owner.client.request(routes.guilds.get, { params: { guild_id: guild.id } })).e2ee).toBe(true);
  expect(general.e2ee).toBe(true);
  expect(channels.find((c) => c.type === ChannelType.GUILD_VOICE)!.e2ee).toBeUndefined();
  expect((await failure(owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'in the clear' } }))).code).toBe(90075);

  const lounge = await owner.client.request(routes.channels.create, { params: { guild_id: guild.id }, body: { name: 'lounge', type: ChannelType.GUILD_TEXT } });
  expect(lounge).toMatchObject({ e2ee: true });
  expect(lounge.private).toBe(false);
  const plain = await failure(owner.client.request(routes.channels.create, { params: { guild_id: guild.id }, body: { name: 'plain', type: ChannelType.GUILD_TEXT, e2ee: false } }));
  expect(plain.fieldMessage('e2ee')).toBe('Every text channel of an encrypted server is end-to-end encrypted');
  expect((await failure(owner.client.request(routes.channels.create, { params: { guild_id: guild.id }, body: { name: 'Stage', type: ChannelType.GUILD_VOICE, e2ee: true } }))).status).toBe(400);
  // A private channel in it is encrypted too, and keeps its own members.
  const vault = await owner.client.request(routes.channels.create, { params: { guild_id: guild.id }, body: { name: 'vault', type: ChannelType.GUILD_TEXT, private: true } });
  expect(vault).toMatchObject({ e2ee: true, private: true });

  // Elsewhere a public channel still cannot be encrypted (nobody would keep its readers).
  const other = await signUp(server);
  const plainGuild = await other.client.request(routes.guilds.create, { body: { name: 'Plain' } });
  expect(plainGuild.e2ee).toBeUndefined();
  const refused = await failure(other.client.request(routes.channels.create, { params: { guild_id: plainGuild.id }, body: { name: 'x', type: ChannelType.GUILD_TEXT, e2ee: true } }));
  expect(refused.fieldMessage('e2ee')).toBe('Only private text channels can be end-to-end encrypted');
});

it("keeps each channel's readers in step with who may view it: joining, overwrites, roles, kicks and bans", async () => {
  const { owner, guild, general } = await encryptedServer();
  const staff = await owner.client.request(routes.channels.create, { params: { guild_id: guild.id }, body: { name: 'staff', type: ChannelType.GUILD_TEXT } });
  await device(owner);
  const watcher = await server.connect(owner.client.token!);
  const updates = collect(watcher.gateway, 'E2EE_ROSTER_UPDATE');
  const last = (channelId: Snowflake) => updates.items.findLast((u) => u.channel_id === channelId);

  // Bob joins by invite (which says the server is encrypted): he reads both channels, and their readers are told once per channel.
  const invite = await owner.client.request(routes.invites.create, { params: { channel_id: general.id }, body: {} });
  expect((await server.client().request(routes.invites.get, { params: { code: invite.code } })).guild.e2ee).toBe(true);
  const bob = await joinGuild(server, owner, general.id);
  await device(bob);
  await updates.count(2);
  expect(updates.items.map((u) => [u.channel_id, u.added, u.removed]).sort()).toEqual(
    [
      [general.id, [bob.userId], []],
      [staff.id, [bob.userId], []],
    ].sort(),
  );
  for (const channelId of [general.id, staff.id]) expect(await readersOf(owner, channelId)).toEqual([owner.userId, bob.userId].sort());

  // Staff is hidden from @everyone: Bob is no longer among its readers; a role that may view it brings him back.
  await owner.client.request(routes.moderation.editOverwrite, {
    params: { channel_id: staff.id, overwrite_id: guild.id },
    body: { type: OverwriteType.ROLE, deny: String(Permissions.VIEW_CHANNEL) },
  });
  await updates.until('Bob taken out of staff', () => last(staff.id)?.removed.includes(bob.userId as Snowflake) === true);
  expect(await readersOf(owner, staff.id)).toEqual([owner.userId]);
  const mods = await giveRole(owner, guild.id, bob, '0', 'Staff');
  await owner.client.request(routes.moderation.editOverwrite, { params: { channel_id: staff.id, overwrite_id: mods.id }, body: { type: OverwriteType.ROLE, allow: String(Permissions.VIEW_CHANNEL) } });
  await updates.until('Bob back in staff', () => last(staff.id)?.added.includes(bob.userId as Snowflake) === true);
  expect(await readersOf(owner, staff.id)).toEqual([owner.userId, bob.userId].sort());
  await owner.client.request(routes.roles.removeFromMember, { params: { guild_id: guild.id, user_id: bob.userId as Snowflake, role_id: mods.id } });
  await updates.until('Bob out of staff again', () => last(staff.id)?.removed.includes(bob.userId as Snowflake) === true);

  // A channel made later starts with everyone who may view it among its readers.
  const news = await owner.client.request(routes.channels.create, { params: { guild_id: guild.id }, body: { name: 'news', type: ChannelType.GUILD_TEXT } });
  expect(await readersOf(owner, news.id)).toEqual([owner.userId, bob.userId].sort());

  // Kicked: out of every channel's readers at once, and its readers are told.
  const before = updates.items.length;
  await owner.client.request(routes.guilds.kickMember, { params: { guild_id: guild.id, user_id: bob.userId as Snowflake } });
  await updates.until('Bob taken out of general and news', (items) => items.slice(before).filter((u) => u.removed.includes(bob.userId as Snowflake)).length === 2);
  for (const channelId of [general.id, news.id]) expect(await readersOf(owner, channelId)).toEqual([owner.userId]);
  // Nothing can be pushed onto his devices any more.
  const [bobDevice] = await bob.client.request(e2eeRoutes.userDevices, { params: { user_id: bob.userId as Snowflake } });
  expect((await failure(readersOf(bob, general.id))).status).toBe(404);
  const welcome = await failure(
    owner.client.request(e2eeRoutes.postCommit, {
      params: { channel_id: general.id },
      body: {
        device_id: (await owner.client.request(e2eeRoutes.userDevices, { params: { user_id: owner.userId as Snowflake } }))[0]!.id,
        epoch: 0,
        commit: 'AA==',
        welcomes: [{ device_id: bobDevice!.id, welcome: 'AA==' }],
      },
    }),
  );
  expect(welcome.code).toBe(90070);

  // Carol joins and is banned: the same.
  const carol = await joinGuild(server, owner, general.id);
  await updates.until('Carol in general', () => last(general.id)?.added.includes(carol.userId as Snowflake) === true);
  await owner.client.request(routes.moderation.ban, { params: { guild_id: guild.id, user_id: carol.userId as Snowflake }, body: {} });
  await updates.until('Carol out of general', () => last(general.id)?.removed.includes(carol.userId as Snowflake) === true);
  expect(await readersOf(owner, general.id)).toEqual([owner.userId]);
});

it("follows the instance's choice on minors: where it keeps them out of encrypted conversations, out of encrypted servers too", async () => {
  const admin = await signUp(server);
  await sql`update users set admin = 1 where id = ${admin.userId}`.execute(server.db.database.db);
  const { owner, general } = await encryptedServer();
  const minor = await signUp(server);
  await sql`update users set minor = 1 where id = ${minor.userId}`.execute(server.db.database.db);
  const invite = await owner.client.request(routes.invites.create, { params: { channel_id: general.id }, body: {} });
  expect((await failure(minor.client.request(routes.invites.accept, { params: { code: invite.code } }))).code).toBe(90079);
  expect((await failure(minor.client.request(routes.guilds.create, { body: { name: 'Mine', e2ee: true } }))).code).toBe(90079);
  await admin.client.request(routes.instance.updateSettings, { body: { e2ee_with_minors: 'allow' } });
  await minor.client.request(routes.invites.accept, { params: { code: invite.code } });
  await admin.client.request(routes.instance.updateSettings, { body: { e2ee_with_minors: 'deny' } });
});
