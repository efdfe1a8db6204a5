import { ChannelType, routes } from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect } from '../testing/collector';
import { TEST_DB } from '../testing/databases';
import { failure, joinGuild, makeGuild } from '../testing/fixtures';
import { metricFamilies, scrape, valueOf } from '../testing/metrics';
import { startTestServer, type TestServer } from '../testing/server';

const TOKEN = 'metrics-token-for-tests-0123456789';
const SEND_ROUTE = 'POST /api/v10/channels/:channel_id/messages';

describe('/metrics on the main port', () => {
  let plain: TestServer;
  let guarded: TestServer;
  beforeAll(async () => {
    [plain, guarded] = await Promise.all([startTestServer(), startTestServer({ env: { METRICS_TOKEN: TOKEN, MESSAGE_RATE_LIMIT: '1/60' } })]);
  });
  afterAll(() => Promise.all([plain.close(), guarded.close()]));

  it('is 404 without METRICS_TOKEN, like any unknown route (the browser page included)', async () => {
    for (const token of [undefined, TOKEN]) expect((await scrape(plain.url, token)).status).toBe(404);
    const browser = await fetch(`${plain.url}/metrics`, { headers: { accept: 'text/html' } });
    expect(browser.status).toBe(404);
    expect(plain.app.metricsPort).toBeNull();
  });

  it('with METRICS_TOKEN answers only the bearer of that token', async () => {
    const none = await scrape(guarded.url);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect((await scrape(guarded.url, `${TOKEN}x`)).status).toBe(401);
    expect((await scrape(guarded.url, TOKEN.slice(0, -1))).status).toBe(401);
    expect((await fetch(`${guarded.url}/metrics`, { headers: { authorization: TOKEN } })).status).toBe(401);
    const ok = await scrape(guarded.url, TOKEN);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const families = metricFamilies(await ok.text());
    expect(families.get('parley_gateway_connections')).toBe('gauge');
    expect(families.get('parley_message_send_seconds')).toBe('histogram');
    // prom-client's process metrics ride along.
    expect(families.has('process_cpu_user_seconds_total')).toBe(true);
    expect(families.has('nodejs_eventloop_lag_p99_seconds')).toBe(true);
  });

  it('counts a message send, its delivery, the session that received it and the statements it ran', async () => {
    const { owner, general, members } = await makeGuild(guarded, { members: 1 });
    const listener = await guarded.connect(members[0]!.client.token!);
    const before = await (await scrape(guarded.url, TOKEN)).text();
    const received = collect(listener.gateway, 'MESSAGE_CREATE');
    await owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'counted' } });
    await received.count(1);

    const after = await (await scrape(guarded.url, TOKEN)).text();
    const moved = (name: string, labels: Record<string, string> = {}) => valueOf(after, name, labels) - valueOf(before, name, labels);
    expect(moved('parley_message_send_seconds_count')).toBe(1);
    expect(moved('parley_events_published_total')).toBeGreaterThanOrEqual(1);
    expect(moved('parley_events_delivered_total')).toBeGreaterThanOrEqual(1);
    expect(moved('parley_event_delivery_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(moved('parley_db_query_seconds_count', { dialect: TEST_DB, statement: 'insert' })).toBeGreaterThanOrEqual(1);
    expect(moved('parley_db_query_seconds_count', { dialect: TEST_DB, statement: 'select' })).toBeGreaterThanOrEqual(1);
    expect(valueOf(after, 'parley_gateway_identifies_total')).toBeGreaterThanOrEqual(1);
    expect(valueOf(after, 'parley_gateway_connections')).toBeGreaterThanOrEqual(1);
    expect(after).toContain('# TYPE parley_calls gauge');
    // Never an ID as a label value: every series is one of a few.
    for (const id of [general.id, owner.userId, members[0]!.userId]) expect(after).not.toContain(id);
  });

  it('counts the calls going on and the people in them', async () => {
    const { owner, guild, members } = await makeGuild(guarded, { members: 1 });
    const voice = await owner.client.request(routes.channels.create, { params: { guild_id: guild.id }, body: { name: 'Lounge', type: ChannelType.GUILD_VOICE } });
    const before = await (await scrape(guarded.url, TOKEN)).text();
    for (const person of [owner, members[0]!]) {
      const live = await guarded.connect(person.client.token!);
      const states = collect(live.gateway, 'VOICE_STATE_UPDATE');
      live.gateway.updateVoiceState({ guild_id: guild.id, channel_id: voice.id, self_mute: false, self_deaf: false });
      await states.until('own join', (s) => s.some((v) => v.user_id === person.userId && v.session_id === live.gateway.sessionId));
    }
    const after = await (await scrape(guarded.url, TOKEN)).text();
    expect(valueOf(after, 'parley_calls') - valueOf(before, 'parley_calls')).toBe(1);
    expect(valueOf(after, 'parley_call_participants') - valueOf(before, 'parley_call_participants')).toBe(2);
  });

  it('counts a refused rate limit by its route and the error codes answered', async () => {
    const { owner, general } = await makeGuild(guarded);
    const sender = await joinGuild(guarded, owner, general.id);
    const before = await (await scrape(guarded.url, TOKEN)).text();
    await sender.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'one' } });
    expect((await failure(sender.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'two' } }))).status).toBe(429);
    expect((await failure(sender.client.request(routes.messages.list, { params: { channel_id: '1' as never }, query: {} }))).code).toBe(10003);

    const after = await (await scrape(guarded.url, TOKEN)).text();
    const moved = (name: string, labels: Record<string, string>) => valueOf(after, name, labels) - valueOf(before, name, labels);
    expect(moved('parley_rate_limited_total', { bucket: SEND_ROUTE, kind: 'RATE_LIMITED' })).toBe(1);
    expect(moved('parley_api_errors_total', { code: '90001', status: '429' })).toBe(1);
    expect(moved('parley_api_errors_total', { code: '10003', status: '404' })).toBe(1);
  });
});

describe('METRICS_PORT', () => {
  let server: TestServer;
  let metricsUrl: string;
  beforeAll(async () => {
    server = await startTestServer({ env: { METRICS_PORT: '0', METRICS_HOST: '127.0.0.1' } });
    metricsUrl = `http://127.0.0.1:${server.app.metricsPort}`;
  });
  afterAll(() => server.close());

  it('serves GET /metrics, and nothing else, on a listener of its own', async () => {
    const ok = await scrape(metricsUrl);
    expect(ok.status).toBe(200);
    expect(metricFamilies(await ok.text()).get('parley_events_published_total')).toBe('counter');
    expect((await fetch(`${metricsUrl}/`)).status).toBe(404);
    expect((await fetch(`${metricsUrl}/healthz`)).status).toBe(404);
    expect((await fetch(`${metricsUrl}/api/v10/gateway`)).status).toBe(404);
    expect((await fetch(`${metricsUrl}/metrics`, { method: 'POST' })).status).toBe(404);
    // Without a token the main port does not offer it.
    expect((await scrape(server.url)).status).toBe(404);
  });
});
