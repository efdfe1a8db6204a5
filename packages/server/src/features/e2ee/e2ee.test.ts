import { randomBytes } from 'node:crypto';
import { ChannelType, type Snowflake, routes } from '@parley/protocol';
import { e2eeRoutes } from '@parley/protocol/e2ee';
import { reportRoutes } from '@parley/protocol/reports';
import { ParleyNetworkError, RestClient } from '@parley/sdk';
import { BackupKeyError, DecryptionError, MlsDevice, backUpKeys, formatRecoveryKey, newBackupKey, restoreKeys } from '@parley/sdk/e2ee';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect } from '../../testing/collector';
import { type Person, failure, joinGuild, makeGuild } from '../../testing/fixtures';
import { startTestServer, type TestServer } from '../../testing/server';

/*
 * The server as MLS's delivery service, driven by the SDK's real MLS client (ts-mls): every
 * device of a conversation walks the same epochs and derives the same secrets, whatever order
 * commits race in and however long a device was away.
 */

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const LABEL = 'parley test';

/** Three people who share a server (so their DMs are not message requests). */
async function people() {
  const { owner: alice, general } = await makeGuild(server);
  const bob = await joinGuild(server, alice, general.id);
  const carol = await joinGuild(server, alice, general.id);
  return { alice, bob, carol };
}

const device = (person: Person, name: string) => MlsDevice.register(person.client, person.userId as Snowflake, name);

/** Every device holds the conversation at the same epoch with the same secret. */
async function expectAgreement(channelId: Snowflake, devices: MlsDevice[]): Promise<void> {
  const epochs = devices.map((d) => d.epoch(channelId));
  expect(new Set(epochs).size, `epochs ${epochs.join(', ')}`).toBe(1);
  expect(epochs[0]).not.toBeNull();
  const secrets = await Promise.all(devices.map(async (d) => hex(await d.exportSecret(channelId, LABEL))));
  expect(new Set(secrets).size).toBe(1);
}

describe('end-to-end encrypted conversations: the MLS delivery service', () => {
  it('gives two people on three devices one group for an encrypted DM, refusing plain text in it', async () => {
    const { alice, bob } = await people();
    const [a1, a2, b1] = [await device(alice, 'laptop'), await device(alice, 'phone'), await device(bob, 'desktop')];
    const bobGateway = (await server.connect(bob.client.token!)).gateway;
    const welcomes = collect(bobGateway, 'MLS_WELCOME');
    const commits = collect(bobGateway, 'MLS_COMMIT');

    const dm = await alice.client.request(routes.channels.openDm, { body: { recipient_id: bob.userId as Snowflake, e2ee: true } });
    expect(dm.e2ee).toBe(true);
    // The plain DM between them is another conversation.
    const plain = await alice.client.request(routes.channels.openDm, { body: { recipient_id: bob.userId as Snowflake } });
    expect(plain.id).not.toBe(dm.id);
    expect(plain.e2ee).toBeUndefined();
    expect((await failure(alice.client.request(routes.messages.create, { params: { channel_id: dm.id }, body: { content: 'in the clear' } }))).code).toBe(90075);

    expect(await a1.startGroup(dm.id, [bob.userId as Snowflake])).toBe(true);
    // A second start loses: the group exists (epoch 1 now).
    expect(await a2.startGroup(dm.id, [bob.userId as Snowflake])).toBe(false);
    expect((await welcomes.count(1))[0]).toMatchObject({ channel_id: dm.id, device_id: b1.deviceId, epoch: 1 });
    expect((await commits.count(1))[0]).toMatchObject({ channel_id: dm.id, epoch: 0, device_id: a1.deviceId });
    expect(await b1.takeWelcomes()).toEqual([dm.id]);
    expect(await a2.takeWelcomes()).toEqual([dm.id]);
    await expectAgreement(dm.id, [a1, a2, b1]);
    expect(
      a1
        .members(dm.id)
        .map((m) => m.deviceId)
        .sort(),
    ).toEqual([a1.deviceId, a2.deviceId, b1.deviceId].sort());
    // Welcomes are taken once.
    expect(await b1.takeWelcomes()).toEqual([]);
    expect((await alice.client.request(e2eeRoutes.groupState, { params: { channel_id: dm.id } })).epoch).toBe(1);
  });

  it('orders commits that race: one wins each epoch, the other catches up and commits again, and all agree', async () => {
    const { alice, bob } = await people();
    const [a1, a2, b1] = [await device(alice, 'laptop'), await device(alice, 'phone'), await device(bob, 'desktop')];
    const dm = await alice.client.request(routes.channels.openDm, { body: { recipient_id: bob.userId as Snowflake, e2ee: true } });
    await a1.startGroup(dm.id, [bob.userId as Snowflake]);
    await Promise.all([a2.takeWelcomes(), b1.takeWelcomes()]);

    // Three devices commit at once, three times over: nine commits, in some order, no fork.
    for (let round = 0; round < 3; round++) await Promise.all([a1.updateKeys(dm.id), a2.updateKeys(dm.id), b1.updateKeys(dm.id)]);
    await Promise.all([a1.catchUp(dm.id), a2.catchUp(dm.id), b1.catchUp(dm.id)]);
    await expectAgreement(dm.id, [a1, a2, b1]);
    expect(a1.epoch(dm.id)).toBe(10);
    const log = await alice.client.request(e2eeRoutes.commits, { params: { channel_id: dm.id }, query: { from_epoch: 0 } });
    expect(log.map((c) => c.epoch)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  // A hundred MLS commits made and then processed: seconds of CPU, more beside the other checks.
  it('brings a device that was away for a hundred epochs up to date from the stored commits', { timeout: 90_000 }, async () => {
    const { alice, bob } = await people();
    const [a1, b1] = [await device(alice, 'laptop'), await device(bob, 'desktop')];
    const dm = await alice.client.request(routes.channels.openDm, { body: { recipient_id: bob.userId as Snowflake, e2ee: true } });
    await a1.startGroup(dm.id, [bob.userId as Snowflake]);
    await b1.takeWelcomes();
    for (let i = 0; i < 100; i++) await a1.updateKeys(dm.id);
    expect(b1.epoch(dm.id)).toBe(1);
    await b1.catchUp(dm.id);
    expect(b1.epoch(dm.id)).toBe(101);
    await expectAgreement(dm.id, [a1, b1]);
  });

  it('adds and removes people in an encrypted group DM: a removed device follows no later epoch', async () => {
    const { alice, bob, carol } = await people();
    const [a1, b1, c1] = [await device(alice, 'laptop'), await device(bob, 'desktop'), await device(carol, 'tablet')];
    const group = await alice.client.request(routes.channels.openDm, { body: { recipients: [bob.userId as Snowflake, carol.userId as Snowflake], e2ee: true } });
    expect(group).toMatchObject({ type: ChannelType.GROUP_DM, e2ee: true });
    await a1.startGroup(group.id, [bob.userId as Snowflake]);
    await b1.takeWelcomes();
    await b1.addPeople(group.id, [carol.userId as Snowflake]);
    await c1.takeWelcomes();
    await a1.catchUp(group.id);
    await expectAgreement(group.id, [a1, b1, c1]);
    const before = hex(await c1.exportSecret(group.id, LABEL));

    await a1.removePeople(group.id, [carol.userId as Snowflake]);
    await Promise.all([b1.catchUp(group.id), c1.catchUp(group.id)]);
    await expectAgreement(group.id, [a1, b1]);
    expect(c1.epoch(group.id)).toBeNull();
    expect(hex(await a1.exportSecret(group.id, LABEL))).not.toBe(before);
    expect(a1.members(group.id).map((m) => m.userId)).not.toContain(carol.userId);
  });

  it('encrypts only private text channels of a server, and never takes plain content there', async () => {
    const { owner, guild } = await makeGuild(server);
    const params = { guild_id: guild.id };
    expect((await failure(owner.client.request(routes.channels.create, { params, body: { name: 'open', e2ee: true } }))).code).toBe(50035);
    expect((await failure(owner.client.request(routes.channels.create, { params, body: { name: 'room', type: ChannelType.GUILD_VOICE, private: true, e2ee: true } }))).code).toBe(50035);
    const staff = await owner.client.request(routes.channels.create, { params, body: { name: 'staff', private: true, e2ee: true } });
    expect(staff).toMatchObject({ private: true, e2ee: true });
    expect((await failure(owner.client.request(routes.messages.create, { params: { channel_id: staff.id }, body: { content: 'hello' } }))).code).toBe(90075);
    const o1 = await device(owner, 'laptop');
    expect(await o1.startGroup(staff.id, [])).toBe(true);
    expect(o1.epoch(staff.id)).toBe(1);
  });

  it('carries messages as ciphertext every device in the group opens, across epochs, with no plain text stored', async () => {
    const { alice, bob, carol } = await people();
    const [a1, a2, b1, c1] = [await device(alice, 'laptop'), await device(alice, 'phone'), await device(bob, 'desktop'), await device(carol, 'tablet')];
    const bobGateway = (await server.connect(bob.client.token!)).gateway;
    const created = collect(bobGateway, 'MESSAGE_CREATE');
    const updated = collect(bobGateway, 'MESSAGE_UPDATE');
    const group = await alice.client.request(routes.channels.openDm, { body: { recipients: [bob.userId as Snowflake, carol.userId as Snowflake], e2ee: true } });
    const params = { channel_id: group.id };
    await a1.startGroup(group.id, [bob.userId as Snowflake, carol.userId as Snowflake]);
    await Promise.all([a2.takeWelcomes(), b1.takeWelcomes(), c1.takeWelcomes()]);

    const SECRET = 'meet at the old oak tree 4417';
    const sent = await alice.client.request(routes.messages.create, { params, body: { encrypted: await a1.encryptMessage(group.id, { content: SECRET }) } });
    expect(sent.content).toBe('');
    expect(sent.encrypted).toMatchObject({ epoch: 1, device_id: a1.deviceId });
    // Live and from history, on every device in the group.
    const live = (await created.until('the message', (items) => items.some((m) => m.id === sent.id))).find((m) => m.id === sent.id)!;
    expect((await b1.decryptMessage(group.id, live.author.id as Snowflake, live.encrypted!)).content).toBe(SECRET);
    const [fromHistory] = await carol.client.request(routes.messages.list, { params, query: { limit: 1 } });
    expect((await c1.decryptMessage(group.id, fromHistory!.author.id as Snowflake, fromHistory!.encrypted!)).content).toBe(SECRET);
    expect((await a2.decryptMessage(group.id, alice.userId as Snowflake, sent.encrypted!)).content).toBe(SECRET);

    // An edit is a new envelope; a later epoch's message opens, and so does the earlier one.
    await alice.client.request(routes.messages.edit, { params: { ...params, message_id: sent.id }, body: { encrypted: await a1.encryptMessage(group.id, { content: `${SECRET} (edited)` }) } });
    const edit = (await updated.count(1))[0]!;
    expect((await b1.decryptMessage(group.id, alice.userId as Snowflake, edit.encrypted!)).content).toBe(`${SECRET} (edited)`);
    await b1.updateKeys(group.id);
    await Promise.all([a1.catchUp(group.id), a2.catchUp(group.id), c1.catchUp(group.id)]);
    const later = await bob.client.request(routes.messages.create, { params, body: { encrypted: await b1.encryptMessage(group.id, { content: 'second epoch' }) } });
    expect(later.encrypted!.epoch).toBe(2);
    expect((await a1.decryptMessage(group.id, bob.userId as Snowflake, later.encrypted!)).content).toBe('second epoch');
    expect((await a1.decryptMessage(group.id, alice.userId as Snowflake, sent.encrypted!)).content).toBe(SECRET);

    // No member can write as another: naming someone else's device, or altering a byte, fails to open.
    const forged = await b1.encryptMessage(group.id, { content: 'I am alice' });
    const asAlice = await bob.client.request(routes.messages.create, { params, body: { encrypted: { ...forged, device_id: a1.deviceId } } });
    await expect(c1.decryptMessage(group.id, bob.userId as Snowflake, asAlice.encrypted!)).rejects.toMatchObject({ reason: 'wrong-author' });
    const bytes = Buffer.from(forged.ciphertext, 'base64');
    bytes[40] = bytes[40]! ^ 1;
    await expect(c1.decryptMessage(group.id, bob.userId as Snowflake, { ...forged, ciphertext: bytes.toString('base64') })).rejects.toMatchObject({ reason: 'bad-signature' });

    // A removed person reads nothing sent after.
    await a1.removePeople(group.id, [carol.userId as Snowflake]);
    await Promise.all([a2.catchUp(group.id), b1.catchUp(group.id), c1.catchUp(group.id)]);
    const afterRemoval = await alice.client.request(routes.messages.create, { params, body: { encrypted: await a1.encryptMessage(group.id, { content: 'carol is gone' }) } });
    const refused = await c1.decryptMessage(group.id, alice.userId as Snowflake, afterRemoval.encrypted!).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DecryptionError);
    expect((refused as DecryptionError).reason).toBe('unknown-epoch');
    expect((await b1.decryptMessage(group.id, alice.userId as Snowflake, afterRemoval.encrypted!)).content).toBe('carol is gone');

    // Plain text is refused there, and an envelope is refused in a plain conversation.
    expect((await failure(alice.client.request(routes.messages.create, { params, body: { content: 'x', encrypted: forged } }))).code).toBe(90075);
    expect((await failure(alice.client.request(routes.messages.edit, { params: { ...params, message_id: sent.id }, body: { content: 'in clear' } }))).code).toBe(90075);
    expect((await failure(alice.client.request(routes.messages.addReaction, { params: { ...params, message_id: sent.id, emoji: '👍' } }))).code).toBe(90075);
    const plain = await alice.client.request(routes.channels.openDm, { body: { recipient_id: bob.userId as Snowflake } });
    expect((await failure(alice.client.request(routes.messages.create, { params: { channel_id: plain.id }, body: { encrypted: forged } }))).code).toBe(90071);

    // The database holds none of the text.
    const stored = await sql<{ n: number }>`select count(*) as n from messages where content like ${'%oak tree%'} or encrypted like ${'%oak tree%'}`.execute(server.db.database.db);
    expect(Number(stored.rows[0]!.n)).toBe(0);
    const envelopes = await sql<{ n: number }>`select count(*) as n from messages where channel_id = ${group.id} and encrypted is not null and content = ''`.execute(server.db.database.db);
    expect(Number(envelopes.rows[0]!.n)).toBe(4);
  });

  it('keeps reading and following a conversation after the device is saved and loaded again (a reload)', async () => {
    const { alice, bob } = await people();
    const [a1, b1] = [await device(alice, 'laptop'), await device(bob, 'desktop')];
    const dm = await alice.client.request(routes.channels.openDm, { body: { recipient_id: bob.userId as Snowflake, e2ee: true } });
    await a1.startGroup(dm.id, [bob.userId as Snowflake]);
    await b1.takeWelcomes();
    const before = await a1.encryptMessage(dm.id, { content: 'before the reload' });

    // Through JSON, as a client stores it.
    const reloaded = await MlsDevice.load(bob.client, JSON.parse(JSON.stringify(b1.save())) as ReturnType<MlsDevice['save']>);
    await a1.updateKeys(dm.id);
    await reloaded.catchUp(dm.id);
    await expectAgreement(dm.id, [a1, reloaded]);
    expect((await reloaded.decryptMessage(dm.id, alice.userId as Snowflake, before)).content).toBe('before the reload');
    const reply = await reloaded.encryptMessage(dm.id, { content: 'after it' });
    expect((await a1.decryptMessage(dm.id, bob.userId as Snowflake, reply)).content).toBe('after it');
    // Its saved key packages still open a welcome.
    const group = await alice.client.request(routes.channels.openDm, { body: { recipients: [bob.userId as Snowflake], e2ee: true } });
    await a1.startGroup(group.id, [bob.userId as Snowflake]);
    expect(await reloaded.takeWelcomes()).toEqual([group.id]);
    await expectAgreement(group.id, [a1, reloaded]);
  });

  it('restores the history on a new device from the key backup, with the recovery key or the passphrase', async () => {
    const { alice, bob } = await people();
    const cheap = { opsLimit: 1, memLimit: 8 * 1024 * 1024 };
    const [a1, b1] = [await device(alice, 'laptop'), await device(bob, 'desktop')];
    const dm = await alice.client.request(routes.channels.openDm, { body: { recipient_id: bob.userId as Snowflake, e2ee: true } });
    await b1.startGroup(dm.id, [alice.userId as Snowflake]);
    await a1.takeWelcomes();
    const m1 = await b1.encryptMessage(dm.id, { content: 'from the first conversation' });
    // The tablet comes later: it is in the group DM, not in the DM.
    const a4 = await device(alice, 'tablet');
    const group = await bob.client.request(routes.channels.openDm, { body: { recipients: [alice.userId as Snowflake], e2ee: true } });
    await b1.startGroup(group.id, [alice.userId as Snowflake]);
    await Promise.all([a1.takeWelcomes(), a4.takeWelcomes()]);
    const m2 = await b1.encryptMessage(group.id, { content: 'from the second' });
    await expect(a4.decryptMessage(dm.id, bob.userId as Snowflake, m1)).rejects.toMatchObject({ reason: 'not-a-member' });
    const key = await newBackupKey();
    expect((await failure(alice.client.request(e2eeRoutes.getBackup))).code).toBe(90077);

    // Both back up at once, then the tablet alone again: each write merges what is there, so the DM's keys stay.
    await Promise.all([backUpKeys(alice.client, a1, key, { passphrase: 'correct horse battery staple', cost: cheap }), backUpKeys(alice.client, a4, key)]);
    expect(await backUpKeys(alice.client, a4, key)).toBe(3);
    const stored = await alice.client.request(e2eeRoutes.getBackup);
    expect(stored).toMatchObject({ version: 3, passphrase: { algorithm: 'argon2id13', ops_limit: 1 } });
    expect(stored.ciphertext).not.toContain(a1.save().epochs[dm.id]!['1']!.messageKey);

    // Every device lost: a new one reads both conversations' history with the recovery key…
    const fresh = await device(alice, 'new phone');
    await expect(fresh.decryptMessage(dm.id, bob.userId as Snowflake, m1)).rejects.toMatchObject({ reason: 'not-a-member' });
    await restoreKeys(alice.client, fresh, { recoveryKey: formatRecoveryKey(key).toLowerCase() });
    expect((await fresh.decryptMessage(dm.id, bob.userId as Snowflake, m1)).content).toBe('from the first conversation');
    expect((await fresh.decryptMessage(group.id, bob.userId as Snowflake, m2)).content).toBe('from the second');
    // …or with the passphrase; a wrong one of either opens nothing.
    const other = await device(alice, 'another');
    await restoreKeys(alice.client, other, { passphrase: 'correct horse battery staple' });
    expect((await other.decryptMessage(group.id, bob.userId as Snowflake, m2)).content).toBe('from the second');
    await expect(restoreKeys(alice.client, other, { passphrase: 'wrong horse' })).rejects.toBeInstanceOf(BackupKeyError);
    await expect(restoreKeys(alice.client, other, { recoveryKey: formatRecoveryKey(await newBackupKey()) })).rejects.toBeInstanceOf(BackupKeyError);
    await expect(restoreKeys(alice.client, other, { recoveryKey: 'not a key' })).rejects.toBeInstanceOf(BackupKeyError);

    // Versions guard every write; the backup is the owner's alone.
    expect((await failure(alice.client.request(e2eeRoutes.putBackup, { body: { previous_version: 1, passphrase: null, ciphertext: 'AAAA' } }))).code).toBe(90076);
    expect((await failure(alice.client.request(e2eeRoutes.putBackup, { body: { previous_version: 0, passphrase: null, ciphertext: 'AAAA' } }))).code).toBe(90076);
    expect((await failure(bob.client.request(e2eeRoutes.getBackup))).code).toBe(90077);
    await alice.client.request(e2eeRoutes.deleteBackup);
    expect((await failure(alice.client.request(e2eeRoutes.getBackup))).code).toBe(90077);
  });

  it('lets a recipient report an encrypted message with proof of what its author sent (franking), and nothing else', async () => {
    const { alice, bob } = await people();
    const [a1, b1] = [await device(alice, 'laptop'), await device(bob, 'desktop')];
    const dm = await alice.client.request(routes.channels.openDm, { body: { recipient_id: bob.userId as Snowflake, e2ee: true } });
    await a1.startGroup(dm.id, [bob.userId as Snowflake]);
    await b1.takeWelcomes();
    const nasty = await alice.client.request(routes.messages.create, { params: { channel_id: dm.id }, body: { encrypted: await a1.encryptMessage(dm.id, { content: 'you will regret this' }) } });
    const opened = await b1.decryptMessage(dm.id, alice.userId as Snowflake, nasty.encrypted!);
    const report = (reveal?: { content: string; franking_key: string }) =>
      bob.client.request(reportRoutes.create, { body: { category: 'harassment', message_id: nasty.id, ...(reveal && { reveal }) } });

    // Without the text, with other text, or with another key, nothing can be checked.
    expect((await failure(report())).code).toBe(50035);
    expect((await failure(report({ content: 'something worse', franking_key: opened.frankingKey }))).code).toBe(90078);
    expect((await failure(report({ content: opened.content, franking_key: Buffer.alloc(32, 7).toString('base64') }))).code).toBe(90078);
    const filed = await report({ content: opened.content, franking_key: opened.frankingKey });
    expect(filed).toMatchObject({ message_id: nasty.id, user_id: alice.userId });
    // What its reviewers (here the instance's admins: it is a DM) will read.
    const stored = await sql<{ content: string }>`select content from reports where id = ${filed.id}`.execute(server.db.database.db);
    expect(stored.rows[0]!.content).toBe('you will regret this');

    // A commitment swapped after sending (to make a message unreportable) fails the author's signature.
    const honest = await a1.encryptMessage(dm.id, { content: 'hello' });
    const swapped = { ...honest, commitment: randomBytes(32).toString('base64') };
    await expect(b1.decryptMessage(dm.id, alice.userId as Snowflake, swapped)).rejects.toMatchObject({ reason: 'bad-signature' });
  });

  it("follows the instance's choice on encrypting conversations that include a minor (its safety scan cannot read them)", async () => {
    const { owner: admin } = await makeGuild(server);
    await sql`update users set admin = 1 where id = ${admin.userId}`.execute(server.db.database.db);
    const { alice, bob, carol } = await people();
    await sql`update users set minor = 1 where id = ${carol.userId}`.execute(server.db.database.db);
    const settings = (e2ee_with_minors: 'allow' | 'deny') => admin.client.request(routes.instance.updateSettings, { body: { e2ee_with_minors } });
    // What clients show before anyone asks: the default denies.
    expect((await server.client().request(routes.instance.info)).e2ee_with_minors).toBe('deny');

    const openWithCarol = () => alice.client.request(routes.channels.openDm, { body: { recipient_id: carol.userId as Snowflake, e2ee: true } });
    expect((await failure(openWithCarol())).code).toBe(90079);
    expect((await failure(alice.client.request(routes.channels.openDm, { body: { recipients: [bob.userId as Snowflake, carol.userId as Snowflake], e2ee: true } }))).code).toBe(90079);
    // Adults among themselves are not concerned; a plain DM with the minor is.
    expect((await alice.client.request(routes.channels.openDm, { body: { recipient_id: bob.userId as Snowflake, e2ee: true } })).e2ee).toBe(true);
    expect((await alice.client.request(routes.channels.openDm, { body: { recipient_id: carol.userId as Snowflake } })).e2ee).toBeUndefined();

    await settings('allow');
    const dm = await openWithCarol();
    const [a1, c1] = [await device(alice, 'laptop'), await device(carol, 'phone')];
    await a1.startGroup(dm.id, [carol.userId as Snowflake]);
    await c1.takeWelcomes();
    const send = async () => alice.client.request(routes.messages.create, { params: { channel_id: dm.id }, body: { encrypted: await a1.encryptMessage(dm.id, { content: 'hi' }) } });
    await send();
    // Denied again: the conversation stays, nothing more is sent in it.
    await settings('deny');
    expect((await failure(send())).code).toBe(90079);
  });

  it('gives two people the same safety code, which changes when either gets a new device', async () => {
    const { alice, bob } = await people();
    const [a1, b1] = [await device(alice, 'laptop'), await device(bob, 'desktop')];
    const dm = await alice.client.request(routes.channels.openDm, { body: { recipient_id: bob.userId as Snowflake, e2ee: true } });
    await a1.startGroup(dm.id, [bob.userId as Snowflake]);
    await b1.takeWelcomes();
    const before = a1.safetyCode(dm.id, bob.userId as Snowflake);
    expect(before.digits).toMatch(/^(\d{5} ){11}\d{5}$/);
    expect(before.emoji).toHaveLength(8);
    expect(b1.safetyCode(dm.id, alice.userId as Snowflake)).toEqual(before);
    const bobBefore = a1.personFingerprint(dm.id, bob.userId as Snowflake);

    // Bob adds a phone: Alice sees his devices change, and both sides' codes move together.
    const b2 = await device(bob, 'phone');
    await b1.addPeople(dm.id, [bob.userId as Snowflake]);
    await Promise.all([b2.takeWelcomes(), a1.catchUp(dm.id)]);
    expect(a1.personFingerprint(dm.id, bob.userId as Snowflake)).not.toBe(bobBefore);
    expect(a1.personFingerprint(dm.id, alice.userId as Snowflake)).toBe(b2.personFingerprint(dm.id, alice.userId as Snowflake));
    const after = a1.safetyCode(dm.id, bob.userId as Snowflake);
    expect(after.digits).not.toBe(before.digits);
    expect(b2.safetyCode(dm.id, alice.userId as Snowflake)).toEqual(after);
    expect(b1.safetyCode(dm.id, alice.userId as Snowflake)).toEqual(after);
  });

  it("keeps a group's leaves to the conversation's people and their devices (syncMembers), told by E2EE_DEVICES_UPDATE", async () => {
    const { alice, bob, carol } = await people();
    const [a1, b1, c1] = [await device(alice, 'laptop'), await device(bob, 'desktop'), await device(carol, 'tablet')];
    const group = await alice.client.request(routes.channels.openDm, { body: { recipients: [bob.userId as Snowflake, carol.userId as Snowflake], e2ee: true } });
    await a1.startGroup(group.id, [bob.userId as Snowflake, carol.userId as Snowflake]);
    await Promise.all([b1.takeWelcomes(), c1.takeWelcomes()]);
    const aliceGateway = (await server.connect(alice.client.token!)).gateway;
    const updates = collect(aliceGateway, 'E2EE_DEVICES_UPDATE');
    expect(await a1.syncMembers(group.id)).toEqual({ added: [], removed: [] });

    // Bob gets a phone: Alice hears of it, and her laptop adds it.
    const b2 = await device(bob, 'phone');
    await updates.until("Bob's new device", (items) => items.some((u) => u.user_id === bob.userId));
    expect(await a1.syncMembers(group.id)).toEqual({ added: [b2.deviceId], removed: [] });
    await Promise.all([b2.takeWelcomes(), b1.catchUp(group.id), c1.catchUp(group.id)]);
    await expectAgreement(group.id, [a1, b1, b2, c1]);

    // Carol leaves the group DM and Bob removes his desktop: the next sync takes both out.
    await carol.client.request(routes.channels.removeRecipient, { params: { channel_id: group.id, user_id: carol.userId as Snowflake } });
    await bob.client.request(e2eeRoutes.removeDevice, { params: { device_id: b1.deviceId } });
    const synced = await b2.syncMembers(group.id);
    expect(synced.added).toEqual([]);
    expect([...synced.removed].sort()).toEqual([b1.deviceId, c1.deviceId].sort());
    await a1.catchUp(group.id);
    await expectAgreement(group.id, [a1, b2]);
    expect(
      a1
        .members(group.id)
        .map((m) => m.deviceId)
        .sort(),
    ).toEqual([a1.deviceId, b2.deviceId].sort());
    // Carol's tablet can no longer even fetch the commits.
    expect((await failure(c1.catchUp(group.id))).code).toBe(10003);
  });

  it('recovers from a commit the server took whose answer was lost, and from a welcome taken live', async () => {
    const { alice, bob } = await people();
    const [a1, b1] = [await device(alice, 'laptop'), await device(bob, 'desktop')];
    const bobGateway = (await server.connect(bob.client.token!)).gateway;
    const welcomes = collect(bobGateway, 'MLS_WELCOME');
    const dm = await alice.client.request(routes.channels.openDm, { body: { recipient_id: bob.userId as Snowflake, e2ee: true } });
    await a1.startGroup(dm.id, [bob.userId as Snowflake]);
    // Taken from the live event, then gone from the server: takeWelcomes finds nothing to redo.
    expect(await b1.join((await welcomes.count(1))[0]!)).toBe(true);
    expect(await b1.takeWelcomes()).toEqual([]);
    expect(b1.unopenedWelcomes).toEqual([]);

    // A client that could not save the group it joined (a page closed mid-join) leaves the
    // welcome on the server, and joins with it from what it had saved before.
    const savedBefore = JSON.stringify(b1.save());
    b1.persist = () => Promise.reject(new Error('the page is closing'));
    const group = await alice.client.request(routes.channels.openDm, { body: { recipients: [bob.userId as Snowflake], e2ee: true } });
    await a1.startGroup(group.id, [bob.userId as Snowflake]);
    await expect(b1.join((await welcomes.count(2))[1]!)).rejects.toThrow('the page is closing');
    const restarted = await MlsDevice.load(bob.client, JSON.parse(savedBefore) as ReturnType<MlsDevice['save']>);
    expect(await restarted.takeWelcomes()).toEqual([group.id]);
    await expectAgreement(group.id, [a1, restarted]);
    expect(await restarted.takeWelcomes()).toEqual([]);

    // Alice's laptop on a connection that drops every commit's answer (the server did take it).
    class LosingAnswers extends RestClient {
      override async request(...args: Parameters<RestClient['request']>): Promise<never> {
        const answer = (await super.request(...args)) as never;
        if (args[0] === e2eeRoutes.postCommit) throw new ParleyNetworkError(new Error('connection reset'));
        return answer;
      }
    }
    const flaky = await MlsDevice.load(new LosingAnswers({ baseUrl: server.url, token: alice.client.token }), a1.save());
    await expect(flaky.updateKeys(dm.id)).rejects.toBeInstanceOf(ParleyNetworkError);
    expect(flaky.epoch(dm.id)).toBe(1);
    await flaky.catchUp(dm.id);
    await b1.catchUp(dm.id);
    await expectAgreement(dm.id, [flaky, b1]);
    expect(flaky.epoch(dm.id)).toBe(2);
  });

  it('refuses text that could not be reported, on both sides', async () => {
    const { alice, bob } = await people();
    const [a1, b1] = [await device(alice, 'laptop'), await device(bob, 'desktop')];
    const dm = await alice.client.request(routes.channels.openDm, { body: { recipient_id: bob.userId as Snowflake, e2ee: true } });
    await a1.startGroup(dm.id, [bob.userId as Snowflake]);
    await b1.takeWelcomes();
    await expect(a1.encryptMessage(dm.id, { content: 'x'.repeat(4001) })).rejects.toThrow();
    await expect(a1.encryptMessage(dm.id, { content: 'bell\u0007' })).rejects.toThrow();
    const sent = await alice.client.request(routes.messages.create, { params: { channel_id: dm.id }, body: { encrypted: await a1.encryptMessage(dm.id, { content: 'fine' }) } });
    const opened = await b1.decryptMessage(dm.id, alice.userId as Snowflake, sent.encrypted!);
    // A reveal must be message text too (no NUL for PostgreSQL to choke on).
    expect(
      (await failure(bob.client.request(reportRoutes.create, { body: { category: 'spam', message_id: sent.id, reveal: { content: 'fine\u0000', franking_key: opened.frankingKey } } }))).code,
    ).toBe(50035);
  });

  it('keeps devices to their owners, welcomes to the conversation, commits to its members, and bytes within limits', async () => {
    const { alice, bob, carol } = await people();
    const [a1, b1, c1] = [await device(alice, 'laptop'), await device(bob, 'desktop'), await device(carol, 'tablet')];
    const dm = await alice.client.request(routes.channels.openDm, { body: { recipient_id: bob.userId as Snowflake, e2ee: true } });
    const plain = await alice.client.request(routes.channels.openDm, { body: { recipient_id: bob.userId as Snowflake } });
    const commit = { epoch: 0, commit: 'AAAA', welcomes: [] };
    const post = (person: Person, channelId: Snowflake, body: Record<string, unknown>) =>
      person.client.request(e2eeRoutes.postCommit, { params: { channel_id: channelId }, body: { ...commit, ...body } as never });

    // Someone else's device, an unencrypted conversation, an outsider, a stranger's device as a welcome's target.
    expect((await failure(post(alice, dm.id, { device_id: b1.deviceId }))).code).toBe(90070);
    expect((await failure(post(alice, plain.id, { device_id: a1.deviceId }))).code).toBe(90071);
    expect((await failure(post(carol, dm.id, { device_id: c1.deviceId }))).code).toBe(10003);
    expect((await failure(carol.client.request(e2eeRoutes.commits, { params: { channel_id: dm.id }, query: { from_epoch: 0 } }))).code).toBe(10003);
    expect((await failure(post(alice, dm.id, { device_id: a1.deviceId, welcomes: [{ device_id: c1.deviceId, welcome: 'AAAA' }] }))).code).toBe(90070);
    // Nothing of those was stored.
    expect((await alice.client.request(e2eeRoutes.groupState, { params: { channel_id: dm.id } })).epoch).toBe(0);
    expect(await carol.client.request(e2eeRoutes.welcomes, { params: { device_id: c1.deviceId } })).toEqual([]);

    // A commit must be one of this conversation's group at the epoch it names: garbage, another
    // conversation's real commit, or one at another epoch is refused, and nothing is stored.
    expect((await failure(post(alice, dm.id, { device_id: a1.deviceId }))).code).toBe(50035);
    const second = await alice.client.request(routes.channels.openDm, { body: { recipients: [bob.userId as Snowflake], e2ee: true } });
    await a1.startGroup(second.id, [bob.userId as Snowflake]);
    const [real] = await alice.client.request(e2eeRoutes.commits, { params: { channel_id: second.id }, query: { from_epoch: 0 } });
    expect((await failure(post(alice, dm.id, { device_id: a1.deviceId, commit: real!.commit }))).code).toBe(50035);
    expect((await failure(post(alice, second.id, { device_id: a1.deviceId, epoch: 1, commit: real!.commit }))).code).toBe(50035);
    expect((await alice.client.request(e2eeRoutes.groupState, { params: { channel_id: dm.id } })).epoch).toBe(0);
    expect((await alice.client.request(e2eeRoutes.groupState, { params: { channel_id: second.id } })).epoch).toBe(1);

    // Key packages must be key packages naming the device they are uploaded for.
    expect((await failure(bob.client.request(e2eeRoutes.uploadKeyPackages, { params: { device_id: b1.deviceId }, body: { key_packages: ['AAAA'] } }))).code).toBe(50035);
    const [alicesPackage] = await bob.client.request(e2eeRoutes.claimKeyPackages, { body: { device_ids: [a1.deviceId] } });
    expect((await failure(bob.client.request(e2eeRoutes.uploadKeyPackages, { params: { device_id: b1.deviceId }, body: { key_packages: [alicesPackage!.key_package] } }))).code).toBe(50035);

    // Malformed or oversized bytes, bad queries.
    expect((await failure(post(alice, dm.id, { device_id: a1.deviceId, epoch: 0, commit: 'not base64!' }))).code).toBe(50035);
    expect((await failure(post(alice, dm.id, { device_id: a1.deviceId, epoch: 0, commit: 'A'.repeat(100_000) }))).code).toBe(50035);
    expect((await failure(alice.client.request(e2eeRoutes.commits, { params: { channel_id: dm.id }, query: { from_epoch: -1 } as never }))).code).toBe(50035);

    // Devices: only your own are yours to use or remove.
    expect((await failure(alice.client.request(e2eeRoutes.uploadKeyPackages, { params: { device_id: b1.deviceId }, body: { key_packages: ['AAAA'] } }))).code).toBe(90070);
    expect((await failure(alice.client.request(e2eeRoutes.welcomes, { params: { device_id: b1.deviceId } }))).code).toBe(90070);
    expect((await failure(alice.client.request(e2eeRoutes.removeDevice, { params: { device_id: b1.deviceId } }))).code).toBe(90070);
    expect((await alice.client.request(e2eeRoutes.userDevices, { params: { user_id: bob.userId as Snowflake } })).map((d) => d.name)).toEqual(['desktop']);
    await bob.client.request(e2eeRoutes.removeDevice, { params: { device_id: b1.deviceId } });
    expect(await alice.client.request(e2eeRoutes.userDevices, { params: { user_id: bob.userId as Snowflake } })).toEqual([]);
  });

  it('hands out each key package once, then the last-resort one as often as asked', async () => {
    const { alice, bob } = await people();
    const b1 = await device(bob, 'desktop');
    const claim = () => alice.client.request(e2eeRoutes.claimKeyPackages, { body: { user_ids: [bob.userId as Snowflake] } });
    const handed = [];
    for (let i = 0; i < 12; i++) handed.push((await claim())[0]!);
    expect(handed.every((c) => c.device_id === b1.deviceId)).toBe(true);
    // Ten distinct ones, then the last-resort one again and again.
    expect(new Set(handed.slice(0, 10).map((c) => c.key_package)).size).toBe(10);
    expect(handed[10]!.key_package).toBe(handed[11]!.key_package);
    expect(handed.slice(0, 10).map((c) => c.key_package)).not.toContain(handed[10]!.key_package);
    // The device tops the one-time packages back up, and they are handed out again first.
    await b1.replenishKeyPackages();
    const next = (await claim())[0]!;
    expect(next.key_package).not.toBe(handed[10]!.key_package);
    expect((await bob.client.request(e2eeRoutes.uploadKeyPackages, { params: { device_id: b1.deviceId }, body: {} })).count).toBe(9);
  });

  it('ends history requests after an hour, and removes them from the database', async () => {
    let now = Date.now();
    const timed = await startTestServer({ clock: { now: () => now } });
    try {
      const { owner: alice } = await makeGuild(timed);
      const [laptop, phone] = [await alice.client.request(e2eeRoutes.registerDevice, { body: { name: 'laptop' } }), await alice.client.request(e2eeRoutes.registerDevice, { body: { name: 'phone' } })];
      const publicKey = randomBytes(32).toString('base64');
      const asked = await alice.client.request(e2eeRoutes.requestHistory, { params: { device_id: phone.id }, body: { public_key: publicKey } });
      expect(await alice.client.request(e2eeRoutes.historyRequests)).toMatchObject([{ id: asked.id, device_name: 'phone' }]);
      const stored = async () => Number((await sql<{ n: number }>`select count(*) as n from e2ee_history_requests where user_id = ${alice.userId}`.execute(timed.db.database.db)).rows[0]!.n);
      expect(await stored()).toBe(1);

      now += 60 * 60 * 1000;
      expect(await alice.client.request(e2eeRoutes.historyRequests)).toEqual([]);
      expect(
        (await failure(alice.client.request(e2eeRoutes.approveHistoryRequest, { params: { request_id: asked.id }, body: { device_id: laptop.id, sealed: 'AAAA', signature: 'AAAA' } }))).code,
      ).toBe(90074);
      expect(await stored()).toBe(0);
    } finally {
      await timed.close();
    }
  });

  it('bounds how many devices a person registers in an hour', async () => {
    const { alice } = await people();
    for (let i = 0; i < 10; i++) await alice.client.request(e2eeRoutes.registerDevice, { body: { name: `device ${i}` } });
    expect((await failure(alice.client.request(e2eeRoutes.registerDevice, { body: { name: 'one too many' } }))).code).toBe(90001);
    expect(await alice.client.request(e2eeRoutes.userDevices, { params: { user_id: alice.userId as Snowflake } })).toHaveLength(10);
  });
});
