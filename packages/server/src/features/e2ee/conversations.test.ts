import { ENCRYPTED_THREAD_NAME, type Message, type Snowflake, isSealedFileSize, paddedSize, routes } from '@parley/protocol';
import { e2eeRoutes } from '@parley/protocol/e2ee';
import { Outbox } from '@parley/sdk';
import { FileTransfers } from '@parley/sdk/file-transfer';
import {
  type ConversationIndex,
  type DeviceStore,
  EncryptedConversations,
  LocalSearch,
  type LocalSearchQuery,
  MlsDevice,
  type SavedDevice,
  type SearchIndexStore,
  SealedFileError,
  historySigned,
  openFile,
  sealHistory,
} from '@parley/sdk/e2ee';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Person, failure, joinGuild, makeGuild, signUp } from '../../testing/fixtures';
import { plaintextIn } from '../../testing/plaintext';
import { startTestServer, type TestServer } from '../../testing/server';

/*
 * The SDK's EncryptedConversations as a client runs it, over the real server and gateway: the
 * device kept in a store, groups started and joined without anyone asking, new devices let in
 * by the others, messages sealed by the outbox and opened by readers.
 */

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

/** A store that keeps the device as a client's disk would (a copy, as JSON). */
function memoryStore(): DeviceStore & { saves: number } {
  let held: string | null = null;
  return {
    saves: 0,
    load: async () => (held === null ? null : (JSON.parse(held) as SavedDevice)),
    async save(device) {
      held = JSON.stringify(device);
      this.saves++;
    },
  };
}

async function clientOf(person: Person, store: DeviceStore, deviceName = 'laptop') {
  const { gateway } = await server.connect(person.client.token!);
  const e2ee = await EncryptedConversations.start({ rest: person.client, events: gateway, userId: person.userId as Snowflake, store, deviceName });
  const outbox = new Outbox(person.client, gateway, { seal: (channelId, content, files, editing) => e2ee.sealMessage(channelId, content, files, editing) });
  return { gateway, e2ee, outbox };
}

async function history(person: Person, channelId: Snowflake): Promise<Message[]> {
  return (await person.client.request(routes.messages.list, { params: { channel_id: channelId }, query: { limit: 50 } })).reverse();
}

it('two people talk in an encrypted DM; a new device is let in by itself; a restart keeps the device', async () => {
  const { owner: ada, general } = await makeGuild(server);
  const bob = await joinGuild(server, ada, general.id);
  const adaStore = memoryStore();
  const adaClient = await clientOf(ada, adaStore);
  const bobClient = await clientOf(bob, memoryStore());

  const dm = await ada.client.request(routes.channels.openDm, { body: { recipient_id: bob.userId as Snowflake, e2ee: true } });
  // The first to send starts the group with everyone's devices.
  await adaClient.outbox.send(dm.id, 'hello bob, nobody else reads this');
  await bobClient.outbox.send(dm.id, 'hello ada');
  const messages = await history(ada, dm.id);
  expect(messages.map((m) => m.content)).toEqual(['', '']);
  expect(messages.every((m) => m.encrypted)).toBe(true);
  for (const reader of [adaClient, bobClient]) {
    expect(await Promise.all(messages.map(async (m) => ((r) => ('content' in r ? r.content : r.error))(await reader.e2ee.reveal(m))))).toEqual(['hello bob, nobody else reads this', 'hello ada']);
  }

  // Bob signs in on a phone: Ada's client (online) adds it when the server announces it.
  const phoneStore = memoryStore();
  const bobPhone = await clientOf(bob, phoneStore, 'phone');
  await new Promise<void>((resolve) => bobPhone.e2ee.on('changed', ({ channelId }) => channelId === dm.id && resolve()));
  await adaClient.outbox.send(dm.id, 'for both of your devices');
  const [latest] = (await history(bob, dm.id)).slice(-1);
  expect(await bobPhone.e2ee.reveal(latest!)).toMatchObject({ content: 'for both of your devices' });
  // What was sent before the phone joined is not its to read (until key backup or sharing brings it).
  const phoneSaves = phoneStore.saves;
  expect(await bobPhone.e2ee.reveal(messages[0]!)).toEqual({ error: 'before-joined' });
  // Known at once from the epochs the phone holds: no catching up, nothing written.
  expect(phoneStore.saves).toBe(phoneSaves);
  expect(bobPhone.e2ee.failures.size).toBe(0);

  // Ada's client restarts: the same device comes back from the store and reads everything.
  adaClient.e2ee.close();
  const devicesBefore = await ada.client.request(e2eeRoutes.userDevices, { params: { user_id: ada.userId as Snowflake } });
  const restarted = await clientOf(ada, adaStore);
  expect(restarted.e2ee.device.deviceId).toBe(adaClient.e2ee.device.deviceId);
  expect(devicesBefore.map((d) => d.id)).toEqual([adaClient.e2ee.device.deviceId]);
  expect(await restarted.e2ee.reveal(latest!)).toMatchObject({ content: 'for both of your devices' });
  expect(adaStore.saves).toBeGreaterThan(2);
  // A message that opens at once changes nothing on the device: nothing is written.
  const saves = adaStore.saves;
  expect(await restarted.e2ee.reveal(messages[1]!)).toMatchObject({ content: 'hello ada' });
  expect(adaStore.saves).toBe(saves);
  for (const client of [restarted, bobClient, bobPhone]) expect(client.e2ee.failures.size).toBe(0);
});

it('a message that cannot be sealed yet fails with a reason, and plain conversations are not touched', async () => {
  const { owner: ada, general } = await makeGuild(server);
  const bob = await joinGuild(server, ada, general.id);
  const adaClient = await clientOf(ada, memoryStore());
  const plain = await ada.client.request(routes.channels.openDm, { body: { recipient_id: bob.userId as Snowflake } });
  const outbox = new Outbox(ada.client, adaClient.gateway, { seal: async (channelId, content) => (channelId === plain.id ? null : adaClient.e2ee.seal(channelId, content)) });
  await outbox.send(plain.id, 'in the clear, as chosen');
  expect((await history(ada, plain.id)).map((m) => m.content)).toEqual(['in the clear, as chosen']);

  // Bob's device started the group before Ada had any device: hers waits to be let in, and says so.
  const dm = await ada.client.request(routes.channels.openDm, { body: { recipient_id: bob.userId as Snowflake, e2ee: true } });
  adaClient.e2ee.close();
  const adaLater = memoryStore();
  const bobClient = await clientOf(bob, memoryStore());
  await bobClient.outbox.send(dm.id, 'before your device');
  bobClient.e2ee.close();
  const adaNew = await clientOf(ada, adaLater, 'new laptop');
  const failed = new Outbox(ada.client, adaNew.gateway, { seal: (channelId, content) => adaNew.e2ee.seal(channelId, content) });
  // Ada's first device was added when the group started; the new one is not in it and no one online lets it in.
  await failed.send(dm.id, 'hello?');
  expect(failed.pending(dm.id)[0]).toMatchObject({ state: 'failed', error: expect.stringContaining('not in the conversation yet') });
  const [first] = await history(ada, dm.id);
  expect(await adaNew.e2ee.reveal(first!)).toEqual({ error: 'waiting' });
  expect(adaNew.e2ee.failures.size).toBe(0);
});

it('edits are sealed like sends, and reactions are sealed emoji the server counts without reading', async () => {
  const { owner: ada, general } = await makeGuild(server);
  const bob = await joinGuild(server, ada, general.id);
  const [adaClient, bobClient] = [await clientOf(ada, memoryStore()), await clientOf(bob, memoryStore())];
  const dm = await ada.client.request(routes.channels.openDm, { body: { recipient_id: bob.userId as Snowflake, e2ee: true } });
  await adaClient.outbox.send(dm.id, 'meet at noon');
  const [sent] = await history(ada, dm.id);

  // An edit: a new envelope, still nothing readable on the server, and Bob opens the new text.
  await expect(adaClient.outbox.edit(dm.id, sent!.id, 'meet at one')).rejects.toThrow('has not been opened on this device');
  await adaClient.e2ee.reveal(sent!);
  const edited = await adaClient.outbox.edit(dm.id, sent!.id, 'meet at one');
  expect(edited).toMatchObject({ content: '', edited_timestamp: expect.any(String) });
  expect(JSON.stringify(await history(ada, dm.id))).not.toMatch(/at noon|at one/);
  expect(await bobClient.e2ee.reveal(edited)).toMatchObject({ content: 'meet at one' });
  const plainEdit = ada.client.request(routes.messages.edit, { params: { channel_id: dm.id, message_id: sent!.id }, body: { content: 'meet at two' } });
  expect((await failure(plainEdit)).code).toBe(90075);

  // Both react 👍, Bob also 🎉: the server holds two sealed keys, counted, and each reader opens them.
  const react = (person: Person, client: typeof adaClient, emoji: string) =>
    person.client.request(routes.messages.addReaction, { params: { channel_id: dm.id, message_id: sent!.id, emoji: client.e2ee.reactionFor(edited, emoji)! } });
  await react(ada, adaClient, '👍');
  await react(bob, bobClient, '👍');
  await react(bob, bobClient, '🎉');
  const [reacted] = await history(ada, dm.id);
  const tokens = reacted!.reactions!.map((r) => r.emoji.name);
  expect(tokens).toHaveLength(2);
  expect(tokens.every((t) => /^sealed\.[\w-]{22}$/.test(t))).toBe(true);
  expect(reacted!.reactions!.map((r) => r.count)).toEqual([2, 1]);
  for (const reader of [adaClient, bobClient]) {
    const opened = reader.e2ee.openReactions(reacted!, tokens, ['😂', '🎉', '❤️', '👍']);
    expect(tokens.map((t) => opened.get(t))).toEqual(['👍', '🎉']);
  }
  // Edited again after the group moved to a new epoch: the reactions are still the same emoji.
  await bobClient.e2ee.device.updateKeys(dm.id);
  const reEdited = await adaClient.outbox.edit(dm.id, sent!.id, 'meet at one, room 2');
  expect(reEdited.encrypted!.epoch).toBeGreaterThan(edited.encrypted!.epoch);
  await bobClient.e2ee.reveal(reEdited);
  expect(bobClient.e2ee.reactionFor(reEdited, '👍')).toBe(tokens[0]);
  // The same emoji on another message is another key: nothing links reactions across messages.
  await adaClient.outbox.send(dm.id, 'second');
  const [, second] = await history(ada, dm.id);
  expect(adaClient.e2ee.reactionFor(second!, '👍')).not.toBe(tokens[0]);

  // A plain emoji is refused here, and a sealed one in a plain conversation.
  const plainReaction = ada.client.request(routes.messages.addReaction, { params: { channel_id: dm.id, message_id: sent!.id, emoji: '👍' } });
  expect((await failure(plainReaction)).code).toBe(90075);
  const plain = await ada.client.request(routes.channels.openDm, { body: { recipient_id: bob.userId as Snowflake } });
  const plainMessage = await ada.client.request(routes.messages.create, { params: { channel_id: plain.id }, body: { content: 'plain words on purpose' } });
  const sealedInPlain = ada.client.request(routes.messages.addReaction, { params: { channel_id: plain.id, message_id: plainMessage.id, emoji: tokens[0]! } });
  expect((await failure(sealedInPlain)).code).toBe(90071);
  const neither = ada.client.request(routes.messages.addReaction, { params: { channel_id: plain.id, message_id: plainMessage.id, emoji: 'sealed.short' } });
  expect((await failure(neither)).status).toBe(400);

  // Nowhere in the database: not the text, not the edit, not the emoji (the plain message shows the scan finds text).
  const found = await plaintextIn(server.db.database, ['meet at noon', 'meet at one', '🎉', '👍', 'plain words on purpose']);
  expect(found).toContain('plain words on purpose (in messages)');
  expect(found.filter((f) => !f.startsWith('plain words on purpose'))).toEqual([]);
});

it('files are sealed on the device: the server keeps a padded "encrypted.bin", readers open the original, altered bytes are refused, an edit keeps them', async () => {
  const { owner: ada, general } = await makeGuild(server);
  const bob = await joinGuild(server, ada, general.id);
  const [adaClient, bobClient] = [await clientOf(ada, memoryStore()), await clientOf(bob, memoryStore())];
  const dm = await ada.client.request(routes.channels.openDm, { body: { recipient_id: bob.userId as Snowflake, e2ee: true } });
  const report = new Uint8Array(200_000).map((_, i) => (i * 7) % 251);
  const outbox = new Outbox(ada.client, adaClient.gateway, { seal: (channelId, content, files, editing) => adaClient.e2ee.sealMessage(channelId, content, files, editing) });
  await outbox.send(dm.id, 'the figures', { files: [new File([report], 'Q3 results.xlsx', { type: 'application/vnd.ms-excel' }), new File(['tiny'], 'note.txt', { type: 'text/plain' })] });
  const [sent] = await history(ada, dm.id);
  expect(sent!.content).toBe('');
  // What the server holds: two opaque files, neither name nor type nor exact size.
  expect(sent!.attachments.map((a) => [a.filename, a.content_type])).toEqual([
    ['encrypted.bin', 'application/octet-stream'],
    ['encrypted.bin', 'application/octet-stream'],
  ]);
  expect(sent!.attachments[0]!.size).toBeGreaterThan(200_000);
  // Padded (Padmé), then a header and a tag per 64 KiB chunk.
  expect(sent!.attachments[0]!.size).toBe(paddedSize(200_000) + 24 + 17 * Math.ceil(paddedSize(200_000) / 65_536));
  expect(isSealedFileSize(sent!.attachments[1]!.size)).toBe(true);
  // Whatever a client calls a file there, the server keeps no name or type; and bytes that cannot
  // be a sealed file (plain text sent by a careless client) are refused.
  const plainFile = ada.client.request(routes.messages.create, {
    params: { channel_id: dm.id },
    body: { encrypted: await adaClient.e2ee.seal(dm.id, 'careless') },
    files: [new File(['payroll of 2026, in the clear'], 'payroll-2026.txt', { type: 'text/plain' })],
  });
  expect((await failure(plainFile)).code).toBe(90075);
  const [sealedAgain] = (await adaClient.e2ee.sealMessage(dm.id, '', [new File(['x'], 'x')])).files;
  const named = await ada.client.request(routes.messages.create, {
    params: { channel_id: dm.id },
    body: { encrypted: await adaClient.e2ee.seal(dm.id, 'careless names') },
    files: [new File([sealedAgain!], 'payroll-2026.txt', { type: 'text/plain' })],
  });
  expect(named.attachments.map((a) => [a.filename, a.content_type])).toEqual([['encrypted.bin', 'application/octet-stream']]);
  expect(await plaintextIn(server.db.database, ['Q3 results', 'vnd.ms-excel', 'note.txt', 'payroll-2026'])).toEqual([]);
  await ada.client.request(routes.messages.delete, { params: { channel_id: dm.id, message_id: named.id } });

  // Bob opens the message, then each file with the key it names.
  const opened = await bobClient.e2ee.reveal(sent!);
  expect(opened).toMatchObject({
    content: 'the figures',
    files: [
      { name: 'Q3 results.xlsx', size: 200_000, content_type: 'application/vnd.ms-excel' },
      { name: 'note.txt', size: 4 },
    ],
  });
  const files = 'files' in opened ? opened.files! : [];
  const download = async (url: string) => new Uint8Array(await (await fetch(new URL(url, server.url))).arrayBuffer());
  const ciphertext = await download(sent!.attachments[0]!.url);
  expect(new Uint8Array(await (await openFile(ciphertext, files[0]!)).arrayBuffer())).toEqual(report);
  expect(await (await openFile(await download(sent!.attachments[1]!.url), files[1]!)).text()).toBe('tiny');
  // One byte changed, the file cut short, or the other file's key: refused.
  const altered = ciphertext.slice();
  altered[5000]! ^= 1;
  await expect(openFile(altered, files[0]!)).rejects.toBeInstanceOf(SealedFileError);
  await expect(openFile(ciphertext.subarray(0, ciphertext.length - 100), files[0]!)).rejects.toBeInstanceOf(SealedFileError);
  await expect(openFile(ciphertext, files[1]!)).rejects.toBeInstanceOf(SealedFileError);

  // An edit of the text keeps the files readable.
  await adaClient.e2ee.reveal(sent!);
  const edited = await outbox.edit(dm.id, sent!.id, 'the figures, corrected');
  expect(await bobClient.e2ee.reveal(edited)).toMatchObject({ content: 'the figures, corrected', files: [{ name: 'Q3 results.xlsx' }, { name: 'note.txt' }] });
  // A client that would send files without sealing them sends nothing.
  const careless = new Outbox(ada.client, adaClient.gateway, { seal: (channelId, content) => adaClient.e2ee.seal(channelId, content) });
  await careless.send(dm.id, 'oops', { files: [new File(['secret plan'], 'plan.txt')] });
  expect(careless.pending(dm.id)[0]).toMatchObject({ state: 'failed', error: expect.stringContaining('Files cannot be encrypted here') });
  expect(await history(ada, dm.id)).toHaveLength(1);
});

it('a file offered peer to peer in an encrypted DM is named only inside the envelope', async () => {
  const { owner: ada, general } = await makeGuild(server);
  const bob = await joinGuild(server, ada, general.id);
  const [adaClient, bobClient] = [await clientOf(ada, memoryStore()), await clientOf(bob, memoryStore())];
  const dm = await ada.client.request(routes.channels.openDm, { body: { recipient_id: bob.userId as Snowflake, e2ee: true } });
  const transfers = new FileTransfers({ rest: ada.client, onSignal: (listener) => adaClient.gateway.on('FILE_SIGNAL', listener), iceServers: async () => [] });
  const file = new File(['a long holiday film'], 'holiday.mov', { type: 'video/quicktime' });
  const { message, offer } = await transfers.share(dm.id, file, (fileOffer) => adaClient.e2ee.sealFileOffer(dm.id, fileOffer));
  expect(offer).toMatchObject({ filename: 'holiday.mov', size: file.size, content_type: 'video/quicktime' });
  expect(transfers.isSharing(offer.id)).toBe(true);
  // The server holds an envelope: no name, type or size of the file.
  const [stored] = await history(bob, dm.id);
  expect(stored!.id).toBe(message.id);
  expect(stored!.file_offer).toBeUndefined();
  expect(JSON.stringify(stored)).not.toContain('holiday');
  // Bob's device opens the offer.
  expect(await bobClient.e2ee.reveal(stored!)).toMatchObject({ content: '', fileOffer: offer });
  transfers.close();
  expect(transfers.isSharing(offer.id)).toBe(false);
});

it('searches an encrypted conversation on the device: words, author, files, dates, paging, what arrives later, edits and deletions', async () => {
  const { owner: ada, general } = await makeGuild(server);
  const bob = await joinGuild(server, ada, general.id);
  const [adaClient, bobClient] = [await clientOf(ada, memoryStore()), await clientOf(bob, memoryStore())];
  const dm = await ada.client.request(routes.channels.openDm, { body: { recipient_id: bob.userId as Snowflake, e2ee: true } });
  await adaClient.outbox.send(dm.id, 'The Café opens at nine');
  await bobClient.outbox.send(dm.id, 'see you at the cafe');
  const outbox = new Outbox(ada.client, adaClient.gateway, { seal: (channelId, content, files, editing) => adaClient.e2ee.sealMessage(channelId, content, files, editing) });
  await outbox.send(dm.id, 'menu attached', { files: [new File(['croissant'], 'menu.txt', { type: 'text/plain' })] });
  const saved = new Map<Snowflake, ConversationIndex>();
  const store: SearchIndexStore = { load: async (id) => saved.get(id) ?? null, save: async (id, index) => void saved.set(id, structuredClone(index)) };
  const search = new LocalSearch(bob.client, bobClient.e2ee, store);
  const unfollow = search.follow(bobClient.gateway);
  const texts = async (query: Partial<LocalSearchQuery>) => (await search.search(dm.id, { limit: 25, offset: 0, ...query })).messages.map((m) => m.content);

  // Case and accents aside, every word must be there; newest first.
  expect(await texts({ content: 'cafe' })).toEqual(['see you at the cafe', 'The Café opens at nine']);
  expect(await texts({ content: 'café nine' })).toEqual(['The Café opens at nine']);
  expect(await texts({ content: 'caf' })).toEqual([]);
  expect(await texts({ content: 'cafe', author_id: ada.userId as Snowflake })).toEqual(['The Café opens at nine']);
  const [withFile] = (await search.search(dm.id, { limit: 25, offset: 0, has: 'file' })).messages;
  expect(withFile).toMatchObject({ content: 'menu attached', attachments: [{ filename: 'menu.txt', size: 9 }] });
  expect(await texts({ has: 'image' })).toEqual([]);
  expect(await texts({ before: '2000-01-01T00:00:00.000Z' })).toEqual([]);
  expect(await search.search(dm.id, { limit: 1, offset: 1, content: 'cafe' })).toMatchObject({ total_results: 2, messages: [{ content: 'The Café opens at nine' }] });
  // The index is kept (by the client's store, which encrypts it), and takes in what arrives later.
  expect(saved.get(dm.id)).toMatchObject({ complete: true, messages: [{}, {}, {}] });
  await adaClient.outbox.send(dm.id, 'running late, save me a cafe seat');
  expect(await texts({ content: 'cafe' })).toEqual(['running late, save me a cafe seat', 'see you at the cafe', 'The Café opens at nine']);

  // Edited: the new text is found and the old one no longer; deleted: gone from the index too.
  const [opening, , , late] = await history(ada, dm.id);
  await adaClient.e2ee.reveal(opening!);
  await adaClient.outbox.edit(dm.id, opening!.id, 'The bakery opens at nine');
  await ada.client.request(routes.messages.delete, { params: { channel_id: dm.id, message_id: late!.id } });
  await expect.poll(() => texts({ content: 'cafe' })).toEqual(['see you at the cafe']);
  expect(await texts({ content: 'bakery' })).toEqual(['The bakery opens at nine']);
  expect(JSON.stringify([...saved.values()])).not.toMatch(/running late|Café/);
  unfollow();
});

it('with a key backup, a device that replaces a lost one reads the whole history with the recovery key', async () => {
  const { owner: ada, general } = await makeGuild(server);
  const bob = await joinGuild(server, ada, general.id);
  const laptop = await clientOf(ada, memoryStore());
  const bobClient = await clientOf(bob, memoryStore());
  const dm = await ada.client.request(routes.channels.openDm, { body: { recipient_id: bob.userId as Snowflake, e2ee: true } });
  await laptop.outbox.send(dm.id, 'before the backup');
  expect(await laptop.e2ee.backupExists()).toBe(false);
  const recoveryKey = await laptop.e2ee.setUpBackup();
  expect(recoveryKey).toMatch(/^([A-Z2-7]{4} ){12}[A-Z2-7]{4}$/);
  expect(laptop.e2ee.backingUp).toBe(true);
  // A later epoch (Bob's keys rotate) reaches the backup by itself.
  await bobClient.outbox.send(dm.id, 'in the same epoch');
  await bobClient.e2ee.device.updateKeys(dm.id);
  await bobClient.outbox.send(dm.id, 'after a new epoch');
  await expect.poll(async () => (await ada.client.request(e2eeRoutes.getBackup)).version).toBeGreaterThan(1);

  // The laptop is lost; a new device signs in with nothing but the recovery key.
  laptop.e2ee.close();
  await ada.client.request(e2eeRoutes.removeDevice, { params: { device_id: laptop.e2ee.device.deviceId } });
  const newStore = memoryStore();
  const replacement = await clientOf(ada, newStore, 'new laptop');
  const old = await history(ada, dm.id);
  expect((await Promise.all(old.map((m) => replacement.e2ee.reveal(m)))).every((r) => 'error' in r)).toBe(true);
  expect(await replacement.e2ee.backupExists()).toBe(true);
  await replacement.e2ee.restoreBackup({ recoveryKey: recoveryKey.toLowerCase() });
  expect(await Promise.all(old.map(async (m) => ((r) => ('content' in r ? r.content : r.error))(await replacement.e2ee.reveal(m))))).toEqual([
    'before the backup',
    'in the same epoch',
    'after a new epoch',
  ]);
  // The key is kept with the device: after a restart it still backs up.
  replacement.e2ee.close();
  expect((await clientOf(ada, newStore, 'new laptop')).e2ee.backingUp).toBe(true);
});

it("a new device reads the history once another of the person's devices approves it (same code on both), and only then", async () => {
  const { owner: ada, general } = await makeGuild(server);
  const bob = await joinGuild(server, ada, general.id);
  const laptop = await clientOf(ada, memoryStore());
  const bobClient = await clientOf(bob, memoryStore());
  const dm = await ada.client.request(routes.channels.openDm, { body: { recipient_id: bob.userId as Snowflake, e2ee: true } });
  await laptop.outbox.send(dm.id, 'from before the phone');
  await bobClient.outbox.send(dm.id, 'bob too');
  await laptop.e2ee.setUpBackup();

  const phone = await clientOf(ada, memoryStore(), 'phone');
  const old = await history(ada, dm.id);
  expect(await phone.e2ee.reveal(old[0]!)).toMatchObject({ error: expect.any(String) });

  // The phone asks and shows a code; the laptop is told, with the same code.
  const declined = new Promise((resolve) => phone.e2ee.on('history-answered', resolve));
  const refusedNotice = new Promise((resolve) => phone.e2ee.on('error', resolve));
  const asked = new Promise<{ id: string; code: string }>((resolve) => laptop.e2ee.on('history-request', resolve));
  const first = await phone.e2ee.askForHistory();
  expect(first.code).toMatch(/^\d{5} \d{5} \d{5} \d{5}$/);
  expect(await asked).toMatchObject({ id: first.id, code: first.code, device_name: 'phone' });
  await expect(phone.e2ee.declineHistory('1' as Snowflake)).rejects.toMatchObject({ code: 90074 });
  // Someone holding only Ada's session (or the server) answers with a history of their own making,
  // under the laptop's name: the phone finds no signature of the laptop on it, and takes nothing.
  // (Here the forger seals and signs with a device of their own: Bob's.)
  const publicKey = (await laptop.e2ee.historyRequests())[0]!.public_key;
  const forgedSealed = sealHistory(bobClient.e2ee.device, null, publicKey);
  const forgedSignature = Buffer.from(await bobClient.e2ee.device.signAsDevice(historySigned(first.id, publicKey, forgedSealed))).toString('base64');
  await ada.client.request(e2eeRoutes.approveHistoryRequest, {
    params: { request_id: first.id as Snowflake },
    body: { device_id: laptop.e2ee.device.deviceId, sealed: forgedSealed, signature: forgedSignature },
  });
  expect(await declined).toEqual({ approved: false });
  expect(await refusedNotice).toMatchObject({ error: expect.objectContaining({ message: expect.stringContaining('not signed by one of your devices') }) });
  expect(phone.e2ee.backingUp).toBe(false);
  expect(await phone.e2ee.reveal(old[0]!)).toMatchObject({ error: expect.any(String) });
  expect(await laptop.e2ee.historyRequests()).toEqual([]);

  // Declined on the laptop: the phone hears so. Asked again, approved by the laptop: the phone
  // opens everything, and keeps the backup current from now on.
  const third = await phone.e2ee.askForHistory();
  const declinedAgain = new Promise((resolve) => phone.e2ee.on('history-answered', resolve));
  await laptop.e2ee.declineHistory(third.id as Snowflake);
  expect(await declinedAgain).toEqual({ approved: false });
  const approved = new Promise((resolve) => phone.e2ee.on('history-answered', resolve));
  const second = await phone.e2ee.askForHistory();
  const [pending] = await laptop.e2ee.historyRequests();
  expect(pending).toMatchObject({ id: second.id, code: second.code, sealed: null });
  // Other people see none of it, and a device cannot approve itself.
  expect(await bob.client.request(e2eeRoutes.historyRequests)).toEqual([]);
  expect((await failure(bob.client.request(e2eeRoutes.historyRequest, { params: { request_id: second.id as Snowflake } }))).code).toBe(90074);
  const selfApproval = ada.client.request(e2eeRoutes.approveHistoryRequest, {
    params: { request_id: second.id as Snowflake },
    body: { device_id: phone.e2ee.device.deviceId, sealed: 'AAAA', signature: 'AAAA' },
  });
  expect((await failure(selfApproval)).code).toBe(90070);
  const bobApproval = bob.client.request(e2eeRoutes.approveHistoryRequest, {
    params: { request_id: second.id as Snowflake },
    body: { device_id: bobClient.e2ee.device.deviceId, sealed: 'AAAA', signature: 'AAAA' },
  });
  expect((await failure(bobApproval)).code).toBe(90074);
  await laptop.e2ee.approveHistory(pending!);
  expect(await approved).toEqual({ approved: true });
  expect(await Promise.all(old.map(async (m) => ((r) => ('content' in r ? r.content : r.error))(await phone.e2ee.reveal(m))))).toEqual(['from before the phone', 'bob too']);
  expect(phone.e2ee.backingUp).toBe(true);
  // Taken: the request is gone from the server.
  expect((await failure(ada.client.request(e2eeRoutes.historyRequest, { params: { request_id: second.id as Snowflake } }))).code).toBe(90074);
});

it('an encrypted private channel: members added read from then on (earlier once someone shares it), members removed read nothing after', async () => {
  const { owner: ada, guild, general } = await makeGuild(server);
  const [bob, carol] = [await joinGuild(server, ada, general.id), await joinGuild(server, ada, general.id)];
  const [adaClient, bobClient, carolClient] = [await clientOf(ada, memoryStore()), await clientOf(bob, memoryStore()), await clientOf(carol, memoryStore())];
  const channel = await ada.client.request(routes.channels.create, { params: { guild_id: guild.id }, body: { name: 'sealed', type: 0, private: true, e2ee: true } });
  expect(channel.e2ee).toBe(true);
  await ada.client.request(routes.channels.addMember, { params: { channel_id: channel.id, user_id: bob.userId as Snowflake } });
  await adaClient.outbox.send(channel.id, 'for ada and bob');

  // Ada's client learns of Carol (CHANNEL_MEMBER_ADD) and lets her devices in with its next message.
  const carolAdded = adaClient.gateway.once('CHANNEL_MEMBER_ADD');
  await ada.client.request(routes.channels.addMember, { params: { channel_id: channel.id, user_id: carol.userId as Snowflake } });
  await carolAdded;
  await adaClient.outbox.send(channel.id, 'carol is here now');
  const read = async (client: typeof adaClient, messages: Message[]) => Promise.all(messages.map(async (m) => ((r) => ('content' in r ? r.content : r.error))(await client.e2ee.reveal(m))));
  let messages = await history(ada, channel.id);
  expect(await read(carolClient, messages)).toEqual(['before-joined', 'carol is here now']);
  expect(await read(bobClient, messages)).toEqual(['for ada and bob', 'carol is here now']);

  // Ada shares the earlier history with the members: Carol's device takes it in on opening the
  // message that carries it, and reads what was sent before she joined.
  const carolChanged = new Promise<void>((resolve) => carolClient.e2ee.on('changed', ({ channelId }) => channelId === channel.id && resolve()));
  const share = await adaClient.e2ee.shareHistory(channel.id);
  expect(share).toMatchObject({ content: '', attachments: [{ filename: 'encrypted.bin' }] });
  expect(await read(carolClient, [share])).toEqual(['Shared the conversation’s earlier history with its members.']);
  await carolChanged;
  expect(await read(carolClient, messages)).toEqual(['for ada and bob', 'carol is here now']);
  expect(await plaintextIn(server.db.database, ['for ada and bob', 'earlier history'])).toEqual([]);

  // Bob leaves the channel: the members' clients take his devices out before anything else is sent.
  await ada.client.request(routes.channels.removeMember, { params: { channel_id: channel.id, user_id: bob.userId as Snowflake } });
  await expect.poll(() => adaClient.e2ee.device.members(channel.id).some((m) => m.userId === bob.userId)).toBe(false);
  await carolClient.outbox.send(channel.id, 'after bob left');
  messages = await history(ada, channel.id);
  expect(await read(adaClient, messages.slice(-1))).toEqual(['after bob left']);
  expect((await read(bobClient, messages.slice(-1)))[0]).not.toBe('after bob left');
});

it("threads in an encrypted private channel: sealed with the channel's group, bound to the thread, unnamed", async () => {
  const { owner: ada, guild, general } = await makeGuild(server);
  const [bob, carol] = [await joinGuild(server, ada, general.id), await joinGuild(server, ada, general.id)];
  const [adaClient, bobClient] = [await clientOf(ada, memoryStore()), await clientOf(bob, memoryStore())];
  const channel = await ada.client.request(routes.channels.create, { params: { guild_id: guild.id }, body: { name: 'sealed', type: 0, private: true, e2ee: true } });
  await ada.client.request(routes.channels.addMember, { params: { channel_id: channel.id, user_id: bob.userId as Snowflake } });
  await adaClient.outbox.send(channel.id, 'shall we plan the trip?');
  const [starter] = await history(ada, channel.id);

  // A name the server could read is refused; the thread takes the one fixed name and is encrypted too.
  const named = ada.client.request(routes.messages.startThread, { params: { channel_id: channel.id, message_id: starter!.id }, body: { name: 'Trip to Lisbon' } });
  expect((await failure(named)).code).toBe(90075);
  const thread = await ada.client.request(routes.messages.startThread, { params: { channel_id: channel.id, message_id: starter!.id }, body: { name: ENCRYPTED_THREAD_NAME } });
  expect(thread).toMatchObject({ name: ENCRYPTED_THREAD_NAME, parent_id: channel.id, e2ee: true });
  const rename = ada.client.request(routes.channels.update, { params: { channel_id: thread.id }, body: { name: 'Lisbon' } });
  expect((await failure(rename)).code).toBe(90075);
  // No group of its own: the channel's seals it.
  expect((await failure(ada.client.request(e2eeRoutes.groupState, { params: { channel_id: thread.id } }))).code).toBe(90071);

  // Sealed in the thread, opened by Bob; plain text refused there.
  await adaClient.outbox.send(thread.id, 'flights to Lisbon on Friday');
  await bobClient.outbox.send(thread.id, 'count me in');
  const inThread = await history(ada, thread.id);
  expect(inThread.map((m) => m.content)).toEqual(['', '']);
  expect(await Promise.all(inThread.map(async (m) => ((r) => ('content' in r ? r.content : r.error))(await bobClient.e2ee.reveal(m))))).toEqual(['flights to Lisbon on Friday', 'count me in']);
  expect((await failure(ada.client.request(routes.messages.create, { params: { channel_id: thread.id }, body: { content: 'in the clear' } }))).code).toBe(90075);

  // An envelope sealed for the channel, posted in the thread by a hostile server or client, does not open there.
  const moved = await ada.client.request(routes.messages.create, { params: { channel_id: thread.id }, body: { encrypted: await adaClient.e2ee.seal(channel.id, 'meant for the channel') } });
  expect(await bobClient.e2ee.reveal(moved)).toEqual({ error: 'bad-signature' });
  // Carol, not in the channel, reads neither the thread nor its messages.
  expect((await failure(carol.client.request(routes.messages.list, { params: { channel_id: thread.id }, query: { limit: 10 } }))).status).toBe(404);
  expect(await plaintextIn(server.db.database, ['Lisbon', 'count me in', 'plan the trip'])).toEqual([]);
});

it("an encrypted server's channel: a member who joins reads from then on, one who is kicked is taken out before anything more is sent", async () => {
  const ada = await signUp(server);
  const guild = await ada.client.request(routes.guilds.create, { body: { name: 'Sealed Community', e2ee: true } });
  const general = (await ada.client.request(routes.guilds.listChannels, { params: { guild_id: guild.id } })).find((c) => c.name === 'general')!;
  const adaClient = await clientOf(ada, memoryStore());
  await adaClient.outbox.send(general.id, 'before anyone else came');

  // Bob joins by invite: the server makes him a reader, Ada's client lets his device in with its next message.
  const bobJoined = adaClient.gateway.once('E2EE_ROSTER_UPDATE');
  const bob = await joinGuild(server, ada, general.id);
  const bobClient = await clientOf(bob, memoryStore());
  await bobJoined;
  await adaClient.outbox.send(general.id, 'welcome, bob');
  await bobClient.outbox.send(general.id, 'thanks ada');
  const read = async (client: typeof adaClient, messages: Message[]) => Promise.all(messages.map(async (m) => ((r) => ('content' in r ? r.content : r.error))(await client.e2ee.reveal(m))));
  let messages = await history(ada, general.id);
  expect(await read(bobClient, messages)).toEqual(['before-joined', 'welcome, bob', 'thanks ada']);
  expect(await read(adaClient, messages)).toEqual(['before anyone else came', 'welcome, bob', 'thanks ada']);

  // Kicked: Ada's client takes his device out at once (a commit), so what comes next is beyond him.
  await ada.client.request(routes.guilds.kickMember, { params: { guild_id: guild.id, user_id: bob.userId as Snowflake } });
  await expect.poll(() => adaClient.e2ee.device.members(general.id).some((m) => m.userId === bob.userId)).toBe(false);
  await adaClient.outbox.send(general.id, 'after bob was kicked');
  messages = await history(ada, general.id);
  expect((await read(bobClient, messages.slice(-1)))[0]).not.toBe('after bob was kicked');
  expect(await plaintextIn(server.db.database, ['before anyone else came', 'welcome, bob', 'thanks ada', 'bob was kicked'])).toEqual([]);
});

it('a group of more people than one claim names (12) forms with its first commit', async () => {
  const { owner, guild, general } = await makeGuild(server);
  const others: Person[] = [];
  for (let i = 0; i < 11; i++) others.push(await joinGuild(server, owner, general.id));
  const everyone = [owner, ...others];
  const channel = await owner.client.request(routes.channels.create, { params: { guild_id: guild.id }, body: { name: 'big', type: 0, private: true, e2ee: true } });
  for (const person of others) await owner.client.request(routes.channels.addMember, { params: { channel_id: channel.id, user_id: person.userId as Snowflake } });
  const devices = await Promise.all(everyone.map((p) => MlsDevice.register(p.client, p.userId as Snowflake, 'laptop')));
  expect(
    await devices[0]!.startGroup(
      channel.id,
      everyone.map((p) => p.userId as Snowflake),
    ),
  ).toBe(true);
  for (const device of devices.slice(1)) expect(await device.takeWelcomes()).toEqual([channel.id]);
  expect(new Set(devices.map((d) => d.epoch(channel.id)))).toEqual(new Set([1]));
  expect(devices[5]!.members(channel.id)).toHaveLength(12);
});
