import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MessageNotificationLevel, type Snowflake, routes } from '@parley/protocol';
import { type PushPayload, pushRoutes } from '@parley/protocol/push';
import type { RestClient } from '@parley/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import webPush from 'web-push';
import { createTestDatabase } from '../../testing/databases';
import { type Person, failure, makeGuild, signUp } from '../../testing/fixtures';
import { FakePushService, type TestSubscription } from '../../testing/push-service';
import { startTestServer, type TestServer } from '../../testing/server';
import { loadVapidKeys } from './vapid';

let server: TestServer;
let service: FakePushService;
beforeAll(async () => {
  service = await new FakePushService().start();
  server = await startTestServer({ env: { PUSH_ALLOW_LOOPBACK: 'true' } });
});
afterAll(async () => {
  await server.close();
  await service.close();
});

/** A second sign-in of the same person: another device. */
async function signInAgain(person: Person): Promise<RestClient> {
  const answer = await server.client().request(routes.auth.login, { body: { login: person.username, password: person.password } });
  if (!('token' in answer)) throw new Error('expected a token');
  return server.client(answer.token);
}

async function subscribe(client: RestClient, options: { previews?: boolean } = {}): Promise<TestSubscription> {
  const subscription = service.subscription();
  await client.request(pushRoutes.putSubscription, { body: { endpoint: subscription.endpoint, keys: subscription.keys, previews: options.previews ?? false } });
  return subscription;
}

const payloadsAt = (subscription: TestSubscription): PushPayload[] => service.to(subscription.endpoint).map((r) => JSON.parse(subscription.decrypt(r.body)) as PushPayload);

/** Lets pushes that are not going to happen have their chance to (they are sent after the send's answer). */
async function settle(): Promise<void> {
  await server.app.ready();
  await new Promise((resolve) => setTimeout(resolve, 300));
}

describe('Web Push', () => {
  it('keeps its VAPID key pair in the database, the same on every node and after a restart, and hands out the public key', async () => {
    const { public_key } = await server.client().request(pushRoutes.getVapidKey);
    expect(Buffer.from(public_key, 'base64url')).toHaveLength(65);
    // Another node, with a data directory of its own, signs with the same pair: browsers subscribed with it.
    const otherNode = await loadVapidKeys(server.db.database.db, await mkdtemp(path.join(tmpdir(), 'parley-node-')), Date.now());
    expect(otherNode.publicKey).toBe(public_key);
    await server.restart();
    expect((await server.client().request(pushRoutes.getVapidKey)).public_key).toBe(public_key);
  });

  it('an install that kept its key pair in DATA_DIR/vapid.json keeps that pair, for every node', async () => {
    const fresh = await createTestDatabase();
    try {
      const earlier = webPush.generateVAPIDKeys();
      await writeFile(path.join(fresh.dataDir, 'vapid.json'), JSON.stringify(earlier));
      expect(await loadVapidKeys(fresh.database.db, fresh.dataDir, Date.now())).toEqual(earlier);
      expect(await loadVapidKeys(fresh.database.db, await mkdtemp(path.join(tmpdir(), 'parley-node-')), Date.now())).toEqual(earlier);
    } finally {
      await fresh.dispose();
    }
  });

  it('pushes a mention once to each of the person’s devices, encrypted to each, with the text only where previews are allowed', async () => {
    const { owner, general, members } = await makeGuild(server, { members: 1 });
    const mentioned = members[0]!;
    const laptop = await subscribe(mentioned.client, { previews: true });
    const phone = await subscribe(await signInAgain(mentioned), { previews: false });
    const sent = await owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: `hey <@${mentioned.userId}> look` } });

    await service.waitFor(() => service.to(laptop.endpoint).length >= 1 && service.to(phone.endpoint).length >= 1);
    await settle();
    const [onLaptop] = payloadsAt(laptop);
    const [onPhone] = payloadsAt(phone);
    expect(payloadsAt(laptop)).toHaveLength(1);
    expect(payloadsAt(phone)).toHaveLength(1);
    expect(onLaptop).toMatchObject({ kind: 'message', body: `hey @${mentioned.username} look`, url: `/channels/${general.guild_id}/${general.id}?message=${sent.id}`, message_id: sent.id });
    expect(onLaptop!.title).toContain(owner.username);
    expect(onPhone).toMatchObject({ kind: 'message', title: 'Parley', body: `New message from ${owner.username}`, url: onLaptop!.url });
    expect(JSON.stringify(onPhone)).not.toContain('look');
    // A real push request: VAPID-signed, aes128gcm, with a lifetime.
    const request = service.to(laptop.endpoint)[0]!;
    expect(request.headers['content-encoding']).toBe('aes128gcm');
    expect(request.headers.authorization).toMatch(/^vapid t=.+, k=.+/);
    expect(Number(request.headers.ttl)).toBeGreaterThan(0);
    expect(request.body.toString('utf8')).not.toContain('look');

    // A message that does not mention them (server default: only mentions) pushes nothing.
    await owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'nothing for you' } });
    await settle();
    expect(payloadsAt(laptop)).toHaveLength(1);
  });

  it('pushes nothing while the person is active on another device, and again once that device is idle or gone', async () => {
    const { owner, general, members } = await makeGuild(server, { members: 1 });
    const person = members[0]!;
    const subscription = await subscribe(person.client, { previews: true });
    const desktop = await server.connect(person.client.token!);
    await owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: `<@${person.userId}> while you are here` } });
    await settle();
    expect(payloadsAt(subscription)).toEqual([]);

    desktop.gateway.updatePresence('idle');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: `<@${person.userId}> while you are away` } });
    await service.waitFor(() => service.to(subscription.endpoint).length === 1);
    expect(payloadsAt(subscription)[0]!.body).toBe(`@${person.username} while you are away`);

    desktop.gateway.updatePresence('online');
    await new Promise((resolve) => setTimeout(resolve, 200));
    desktop.gateway.close();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: `<@${person.userId}> after you left` } });
    await service.waitFor(() => service.to(subscription.endpoint).length === 2);
  });

  it('follows the notification settings: a muted channel or server pushes nothing, all messages pushes every message, DMs push', async () => {
    const { owner, guild, general, members } = await makeGuild(server, { members: 1 });
    const person = members[0]!;
    const subscription = await subscribe(person.client, { previews: true });
    const params = { guild_id: guild.id };
    await person.client.request(routes.notifications.updateGuildSettings, { params, body: { channel_overrides: [{ channel_id: general.id, muted: true }] } });
    await owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: `<@${person.userId}> muted here` } });
    await owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: '@everyone muted too' } });
    await settle();
    expect(payloadsAt(subscription)).toEqual([]);

    await person.client.request(routes.notifications.updateGuildSettings, {
      params,
      body: { message_notifications: MessageNotificationLevel.ALL_MESSAGES, channel_overrides: [{ channel_id: general.id, muted: false }] },
    });
    await owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'plain chatter' } });
    await service.waitFor(() => service.to(subscription.endpoint).length === 1);
    expect(payloadsAt(subscription)[0]!.body).toBe('plain chatter');

    await person.client.request(routes.notifications.updateGuildSettings, { params, body: { muted: true } });
    await owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: `<@${person.userId}> server muted` } });
    await settle();
    expect(payloadsAt(subscription)).toHaveLength(1);

    // A DM notifies whatever the servers say; a reply to your message is a mention.
    const dm = await owner.client.request(routes.channels.openDm, { body: { recipient_id: person.userId } });
    const direct = await owner.client.request(routes.messages.create, { params: { channel_id: dm.id }, body: { content: 'a direct word' } });
    await service.waitFor(() => service.to(subscription.endpoint).length === 2);
    expect(payloadsAt(subscription)[1]).toMatchObject({ body: 'a direct word', url: `/channels/@me/${dm.id}?message=${direct.id}` });
    const mine = await person.client.request(routes.messages.create, { params: { channel_id: dm.id }, body: { content: 'my question' } });
    await owner.client.request(routes.messages.create, { params: { channel_id: dm.id }, body: { content: 'the answer', message_reference: { message_id: mine.id } } });
    await service.waitFor(() => service.to(subscription.endpoint).length === 3);
    // Their own message pushed nothing to them.
    expect(payloadsAt(subscription).map((p) => p.body)).toEqual(['plain chatter', 'a direct word', 'the answer']);
  });

  it('never pushes the text of an end-to-end encrypted message: who sent it, nothing more', async () => {
    const { owner, members } = await makeGuild(server, { members: 1 });
    const person = members[0]!;
    const subscription = await subscribe(person.client, { previews: true });
    const dm = await owner.client.request(routes.channels.openDm, { body: { recipient_id: person.userId as Snowflake, e2ee: true } });
    // The server cannot open an envelope anyway: any well-formed one will do here.
    const envelope = {
      epoch: 0,
      device_id: owner.userId as Snowflake,
      ciphertext: Buffer.from('sealed words').toString('base64'),
      signature: Buffer.alloc(64, 1).toString('base64'),
      commitment: Buffer.alloc(32, 2).toString('base64'),
    };
    await owner.client.request(routes.messages.create, { params: { channel_id: dm.id }, body: { encrypted: envelope } });
    await service.waitFor(() => service.to(subscription.endpoint).length === 1);
    expect(payloadsAt(subscription)[0]).toMatchObject({ title: 'Parley', body: `New encrypted message from ${owner.username}` });
  });

  it('pushes a DM call ring to the person rung, once, urgently', async () => {
    const { owner, members } = await makeGuild(server, { members: 1 });
    const callee = members[0]!;
    const subscription = await subscribe(callee.client);
    const dm = await owner.client.request(routes.channels.openDm, { body: { recipient_id: callee.userId as Snowflake } });
    const caller = await server.connect(owner.client.token!);
    caller.gateway.updateVoiceState({ guild_id: null, channel_id: dm.id, self_mute: false, self_deaf: false });
    await service.waitFor(() => service.to(subscription.endpoint).length === 1);
    const [ring] = payloadsAt(subscription);
    expect(ring).toMatchObject({ kind: 'call', title: 'Incoming call', body: `${owner.username} is calling you`, url: `/channels/@me/${dm.id}` });
    expect(service.to(subscription.endpoint)[0]!.headers.urgency).toBe('high');
    // The call's system message is not pushed on top of the ring.
    await settle();
    expect(payloadsAt(subscription)).toHaveLength(1);
    caller.gateway.updateVoiceState({ guild_id: null, channel_id: null, self_mute: false, self_deaf: false });
  });

  it('removes a subscription the push service says is gone (410)', async () => {
    const { owner, general, members } = await makeGuild(server, { members: 1 });
    const person = members[0]!;
    const subscription = await subscribe(person.client);
    service.gone.add(new URL(subscription.endpoint).pathname);
    await owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: `<@${person.userId}> are you there` } });
    await waitUntil(async () => (await rowsOf(person.userId)).length === 0);
    expect(await person.client.request(pushRoutes.getSubscription)).toEqual({ subscription: null });
  });

  it('is one per sign-in session: replaced by the next, read back, deleted, and gone when the session signs out or is revoked', async () => {
    const person = await signUp(server);
    const first = await subscribe(person.client, { previews: true });
    const { subscription } = await person.client.request(pushRoutes.getSubscription);
    expect(subscription).toMatchObject({ endpoint: first.endpoint, previews: true });
    const second = await subscribe(person.client);
    expect((await rowsOf(person.userId)).map((r) => r.endpoint)).toEqual([second.endpoint]);
    await person.client.request(pushRoutes.deleteSubscription);
    expect(await rowsOf(person.userId)).toEqual([]);

    // Signing out takes this session's subscription, not the other device's.
    const other = await signInAgain(person);
    await subscribe(person.client);
    const kept = await subscribe(other);
    await person.client.request(routes.auth.logout);
    expect((await rowsOf(person.userId)).map((r) => r.endpoint)).toEqual([kept.endpoint]);
    // Revoking a session from another device takes its subscription too.
    const third = await signInAgain(person);
    const sessions = await third.request(routes.auth.listSessions);
    const otherSession = sessions.find((s) => !s.current)!;
    await third.request(routes.auth.revokeSession, { params: { session_id: otherSession.id } });
    expect(await rowsOf(person.userId)).toEqual([]);
  });

  it('refuses bad bodies with clear errors', async () => {
    const person = await signUp(server);
    const good = service.subscription();
    const put = (body: unknown) => failure(person.client.request(pushRoutes.putSubscription, { body: body as never }));
    const cases: [unknown, string][] = [
      [{ endpoint: 'not a url', keys: good.keys }, 'endpoint'],
      [{ endpoint: `https://push.example/${'x'.repeat(1100)}`, keys: good.keys }, 'endpoint'],
      [{ endpoint: 'ftp://push.example/x', keys: good.keys }, 'endpoint'],
      [{ endpoint: good.endpoint, keys: { ...good.keys, p256dh: 'short' } }, 'keys'],
      [{ endpoint: good.endpoint, keys: { ...good.keys, auth: 'x'.repeat(200) } }, 'keys'],
      [{ endpoint: good.endpoint }, 'keys'],
    ];
    for (const [body, field] of cases) {
      const error = await put(body);
      expect(error.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(error.code).toBe(50035);
      expect(error.problems[0]?.path[0]).toBe(field);
    }
    // Only https to a public push service in production; loopback over http only where allowed.
    const production = await startTestServer();
    try {
      const someone = await signUp(production);
      for (const endpoint of [good.endpoint, 'http://push.example/x', 'https://10.0.0.1/x', 'https://localhost/x', 'https://[::1]/x']) {
        const error = await failure(someone.client.request(pushRoutes.putSubscription, { body: { endpoint, keys: good.keys } }));
        expect(error.code, endpoint).toBe(50035);
        expect(error.problems[0]).toMatchObject({ path: ['endpoint'], code: 'PUSH_ENDPOINT_INVALID' });
      }
      const saved = await someone.client.request(pushRoutes.putSubscription, { body: { endpoint: 'https://push.example/abc', keys: good.keys } });
      expect(saved).toMatchObject({ endpoint: 'https://push.example/abc', previews: false });
    } finally {
      await production.close();
    }
    // Bots have no browser to push to; strangers must sign in.
    expect((await failure(server.client().request(pushRoutes.putSubscription, { body: { endpoint: good.endpoint, keys: good.keys } }))).status).toBe(401);
  });
});

async function rowsOf(userId: string) {
  return server.db.database.db
    .selectFrom('push_subscriptions')
    .selectAll()
    .where('user_id', '=', userId as never)
    .execute();
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
