import { createHmac } from 'node:crypto';
import { routes } from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, signUp } from '../../testing/fixtures';
import { startTestServer, type TestServer } from '../../testing/server';

/** GET /calls/ice-servers against real servers: with STUN and TURN, with STUN only, with neither. */
const secret = 'a coturn static-auth-secret';
const ttlSeconds = 600;
let now = Date.UTC(2026, 10, 21, 12, 0, 0);
let withTurn: TestServer;
let stunOnly: TestServer;
let bare: TestServer;

beforeAll(async () => {
  withTurn = await startTestServer({
    clock: { now: () => now },
    env: {
      STUN_URLS: 'stun:stun.example.org:3478',
      TURN_URLS: 'turn:turn.example.org:3478?transport=udp, turns:turn.example.org:5349?transport=tcp',
      TURN_SECRET: secret,
      TURN_CREDENTIAL_TTL_SECONDS: String(ttlSeconds),
    },
  });
  stunOnly = await startTestServer({ env: { STUN_URLS: 'stun:stun.example.org:3478' } });
  bare = await startTestServer();
});
afterAll(async () => {
  await withTurn.close();
  await stunOnly.close();
  await bare.close();
});

describe('ICE servers for calls', () => {
  it('needs a signed-in user', async () => {
    expect((await failure(withTurn.client().request(routes.calls.iceServers))).status).toBe(401);
  });

  it('hands out STUN as is and TURN with a coturn REST-API credential that expires after the TTL', async () => {
    const { client, userId } = await signUp(withTurn);
    const answer = await client.request(routes.calls.iceServers);
    const expiry = now / 1000 + ttlSeconds;
    expect(answer.expires_at).toBe(new Date(expiry * 1000).toISOString());
    expect(answer.ice_servers).toEqual([
      { urls: ['stun:stun.example.org:3478'] },
      {
        urls: ['turn:turn.example.org:3478?transport=udp', 'turns:turn.example.org:5349?transport=tcp'],
        username: `${expiry}:${userId}`,
        credential: createHmac('sha1', secret).update(`${expiry}:${userId}`).digest('base64'),
      },
    ]);
  });

  it('signs a later expiry as time passes, so each credential works for the TTL from when it was fetched', async () => {
    const { client, userId } = await signUp(withTurn);
    const first = await client.request(routes.calls.iceServers);
    now += 90_000;
    const later = await client.request(routes.calls.iceServers);
    expect(Date.parse(later.expires_at) - Date.parse(first.expires_at)).toBe(90_000);
    expect(later.ice_servers[1]!.username).toBe(`${Date.parse(later.expires_at) / 1000}:${userId}`);
    expect(later.ice_servers[1]!.credential).not.toBe(first.ice_servers[1]!.credential);
  });

  it('gives STUN alone, without credentials, when no TURN is configured', async () => {
    const { client } = await signUp(stunOnly);
    expect((await client.request(routes.calls.iceServers)).ice_servers).toEqual([{ urls: ['stun:stun.example.org:3478'] }]);
  });

  it('gives an empty list when the operator configured no STUN or TURN', async () => {
    const { client } = await signUp(bare);
    const answer = await client.request(routes.calls.iceServers);
    expect(answer.ice_servers).toEqual([]);
    expect(Date.parse(answer.expires_at)).toBeGreaterThan(Date.now());
  });
});
