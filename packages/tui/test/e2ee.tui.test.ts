import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Message, Snowflake } from '@parley/protocol';
import { GatewayClient, Outbox, RestClient, type WebSocketConstructor, routes } from '@parley/sdk';
import { type DeviceStore, EncryptedConversations, type SavedDevice } from '@parley/sdk/e2ee';
import { afterAll, beforeAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import { harness } from './harness';

/**
 * The terminal client in an end-to-end encrypted DM (tmux, against the real server): Bob is on
 * another client (the SDK's EncryptedConversations, as the web client runs it), Alice on a laptop
 * (the same) and then in the terminal, which is a device of her account like any other.
 */
const h = harness('e2ee', 28700 + Math.floor(Math.random() * 50));
const password = 'correct horse battery';

let alice: { token: string };
let bob: { token: string };
let aliceId: Snowflake;
let bobId: Snowflake;
const clients: EncryptedConversations[] = [];
const gateways: GatewayClient[] = [];

/** Someone's other client: an SDK device kept in memory, sending through the outbox. */
async function sdkClient(token: string, userId: Snowflake, deviceName: string) {
  const rest = new RestClient({ baseUrl: h.base, token });
  const { url } = await rest.request(routes.applications.gateway);
  const gateway = new GatewayClient({ url, token, WebSocket: WebSocket as unknown as WebSocketConstructor });
  await gateway.connect();
  let held: SavedDevice | null = null;
  const store: DeviceStore = { load: async () => held, save: async (device) => void (held = device) };
  const e2ee = await EncryptedConversations.start({ rest, events: gateway, userId, store, deviceName });
  clients.push(e2ee);
  gateways.push(gateway);
  const outbox = new Outbox(rest, gateway, { seal: (channelId, content, files, editing) => e2ee.sealMessage(channelId, content, files, editing) });
  const opened = async (message: Message) => ((r) => ('content' in r ? r.content : `(${r.error})`))(await e2ee.reveal(message));
  return { rest, e2ee, outbox, opened };
}

beforeAll(async () => {
  await h.startServer();
  alice = await h.api<{ token: string }>('POST', '/auth/register', null, { username: 'alice', password });
  bob = await h.api<{ token: string }>('POST', '/auth/register', null, { username: 'bob', password });
  aliceId = (await h.api<{ id: Snowflake }>('GET', '/users/@me', alice.token)).id;
  bobId = (await h.api<{ id: Snowflake }>('GET', '/users/@me', bob.token)).id;
  // People who share a server: their DMs are not message requests.
  const guildId = (await h.api<{ id: string }>('POST', '/guilds', alice.token, { name: 'Home' })).id;
  const general = (await h.api<{ id: string; type: number }[]>('GET', `/guilds/${guildId}/channels`, alice.token)).find((c) => c.type === 0)!;
  const invite = await h.api<{ code: string }>('POST', `/channels/${general.id}/invites`, alice.token, {});
  await h.api('POST', `/invites/${invite.code}`, bob.token);
}, 60_000);

afterAll(async () => {
  for (const client of clients) client.close();
  for (const gateway of gateways) gateway.close();
  await h.close();
});

it('reads history from the key backup, reads and writes sealed messages, opens a sealed file, edits and reacts, and the server stores none of it', async () => {
  const bobClient = await sdkClient(bob.token, bobId, 'laptop');
  const laptop = await sdkClient(alice.token, aliceId, 'laptop');
  const dm = await bobClient.rest.request(routes.channels.openDm, { body: { recipient_id: aliceId, e2ee: true } });
  await bobClient.outbox.send(dm.id, 'early: the vault code is 4711');
  const [early] = await bobClient.rest.request(routes.messages.list, { params: { channel_id: dm.id }, query: { limit: 1 } });
  // Alice's laptop reads it, and backs its keys up.
  await expect.poll(() => laptop.opened(early!), { timeout: 15_000 }).toBe('early: the vault code is 4711');
  const recoveryKey = await laptop.e2ee.setUpBackup();

  // The terminal signs in: a new device, let in by the others' clients, which cannot read what came before it…
  h.startClient('alice', password);
  await h.waitFor('bob (encrypted)');
  await h.until(async () => (await h.api<unknown[]>('GET', `/users/${aliceId}/e2ee/devices`, alice.token)).length === 2, "the terminal's device");
  h.type('/go @bob', 'Enter');
  await h.waitFor('sent before this terminal joined');
  // …until the key backup opens it.
  h.type(`/recover ${recoveryKey}`, 'Enter');
  await h.waitFor('The key backup is open');
  h.type('', 'Escape');
  await h.waitFor('early: the vault code is 4711');

  // Live both ways: Bob's next message reaches the terminal's device, its reply reaches Bob.
  await bobClient.outbox.send(dm.id, 'are you on the train?', { files: [new File(['seat 42, coach 7'], 'train-ticket.txt', { type: 'text/plain' })] });
  await h.waitFor('are you on the train?');
  // Its file, sealed on Bob's side, shows under its real name and is opened on the way to disk.
  await h.waitFor('train-ticket.txt');
  h.type(`/download train-ticket.txt ${h.dir}`, 'Enter');
  await h.waitFor('Saved');
  expect(readFileSync(join(h.dir, 'train-ticket.txt'), 'utf8')).toBe('seat 42, coach 7');
  h.type('', 'Escape');
  h.type('yes, sealed from the terminal', 'Enter');
  const latest = async () => (await bobClient.rest.request(routes.messages.list, { params: { channel_id: dm.id }, query: { limit: 1 } }))[0]!;
  await expect.poll(async () => bobClient.opened(await latest()), { timeout: 15_000 }).toBe('yes, sealed from the terminal');

  // ↑ edits it (sealed again); /react seals the emoji, which Bob opens and the terminal shows.
  h.type('', 'Up');
  await h.waitFor('edit> yes, sealed from the terminal');
  h.type('', ...Array<string>('the terminal'.length).fill('BSpace'));
  h.type('tmux', 'Enter');
  await expect.poll(async () => bobClient.opened(await latest()), { timeout: 15_000 }).toBe('yes, sealed from tmux');
  h.type('/react 🎉', 'Enter');
  await expect.poll(async () => (await latest()).reactions?.[0]?.emoji.name ?? '', { timeout: 15_000 }).toMatch(/^sealed\./);
  const reacted = await latest();
  expect(bobClient.e2ee.openReactions(reacted, [reacted.reactions![0]!.emoji.name], ['👍', '🎉']).get(reacted.reactions![0]!.emoji.name)).toBe('🎉');
  await h.waitFor('🎉 1');

  // The server holds envelopes only; the terminal's device is a file only Alice reads.
  const stored = await bobClient.rest.request(routes.messages.list, { params: { channel_id: dm.id }, query: { limit: 10 } });
  expect(stored.map((m) => [m.content, Boolean(m.encrypted)])).toEqual(stored.map(() => ['', true]));
  const database = join(h.dir, 'data', 'parley.db');
  for (const file of [database, `${database}-wal`].filter((f) => existsSync(f))) {
    expect(readFileSync(file).includes('vault code'), file).toBe(false);
    expect(readFileSync(file).includes('from tmux'), file).toBe(false);
    expect(readFileSync(file).includes('train-ticket'), file).toBe(false);
  }
  const deviceFile = join(h.dir, 'parley', `e2ee-device-${aliceId}.json`);
  expect(statSync(deviceFile).mode & 0o777).toBe(0o600);

  // Signing out takes the terminal's device off the account and its keys off the disk.
  h.type('/logout', 'Enter');
  await h.until(async () => (await h.api<unknown[]>('GET', `/users/${aliceId}/e2ee/devices`, alice.token)).length === 1, "the terminal's device removed");
  await h.until(() => !existsSync(deviceFile), 'the device file deleted');
}, 120_000);
