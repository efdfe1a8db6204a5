import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GatewaySocket, call, jsonInit, register } from './client';
import { type RunningParley, freePort, startParley } from './npm-start';

/**
 * /metrics of the real `npm start` (docs/deploy.md), scraped from outside as Prometheus would:
 * on the main port only with METRICS_TOKEN, on METRICS_PORT with nothing else served there, and
 * counting what a message send and its delivery did.
 */
const TOKEN = 'smoke-metrics-token-0123456789';
let parley: RunningParley;
let metricsUrl: string;
const sockets: GatewaySocket[] = [];

beforeAll(async () => {
  const metricsPort = await freePort();
  parley = await startParley({ env: { METRICS_TOKEN: TOKEN, METRICS_PORT: String(metricsPort) } });
  metricsUrl = `http://127.0.0.1:${metricsPort}`;
});
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close();
});
afterAll(() => parley?.stop());

/** The value of one sample line (`name{labels} value`), 0 when the scrape has none. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

async function scrape(): Promise<string> {
  const answer = await call(metricsUrl, '/metrics');
  expect(answer.status, answer.text).toBe(200);
  return answer.text;
}

function rest(method: string, path: string, token: string, body?: unknown) {
  return call(parley.baseUrl, `/api/v10${path}`, jsonInit(method, body, { authorization: token }));
}

describe('/metrics of npm start', () => {
  it('answers on the main port only with the token', async () => {
    expect((await call(parley.baseUrl, '/metrics')).status).toBe(401);
    expect((await call(parley.baseUrl, '/metrics', { headers: { authorization: 'Bearer not-the-token-at-all' } })).status).toBe(401);
    const ok = await call(parley.baseUrl, '/metrics', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(ok.text).toContain('# TYPE parley_gateway_connections gauge');
  });

  it('serves only GET /metrics on METRICS_PORT', async () => {
    expect(await scrape()).toContain('# TYPE process_cpu_user_seconds_total counter');
    for (const path of ['/', '/healthz', '/api/v10/gateway']) expect((await call(metricsUrl, path)).status, path).toBe(404);
    expect((await call(metricsUrl, '/metrics', { method: 'POST' })).status).toBe(404);
  });

  it('counts a message send and its delivery to a gateway session', async () => {
    const owner = await register(parley.baseUrl, 'metrics');
    const created = await rest('POST', '/guilds', owner.token, { name: 'Metrics smoke' });
    expect(created.status, created.text).toBe(200);
    const guildId = (created.json as { id: string }).id;
    const channels = await rest('GET', `/guilds/${guildId}/channels`, owner.token);
    const text = (channels.json as { id: string; type: number }[]).find((c) => c.type === 0)!;

    const gateway = (await call(parley.baseUrl, '/api/v10/gateway')).json as { url: string };
    const socket = await GatewaySocket.open(gateway.url);
    sockets.push(socket);
    await socket.next((f) => f.op === 10, 0, 'HELLO');
    socket.send({ op: 2, d: { token: owner.token, properties: { os: 'linux', browser: 'smoke', device: 'smoke' } } });
    await socket.dispatch('READY');
    const before = await scrape();

    const sent = await rest('POST', `/channels/${text.id}/messages`, owner.token, { content: 'measured' });
    expect(sent.status, sent.text).toBe(200);
    await socket.dispatch('MESSAGE_CREATE', 0, (d) => (d as { id: string }).id === (sent.json as { id: string }).id);

    const after = await scrape();
    const moved = (series: string) => sample(after, series) - sample(before, series);
    expect(moved('parley_message_send_seconds_count')).toBe(1);
    expect(moved('parley_events_published_total')).toBeGreaterThanOrEqual(1);
    expect(moved('parley_events_delivered_total')).toBeGreaterThanOrEqual(1);
    expect(moved('parley_event_delivery_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(moved('parley_db_query_seconds_count{dialect="sqlite",statement="insert"}')).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'parley_gateway_connections')).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'parley_gateway_identifies_total')).toBeGreaterThanOrEqual(1);
  });
});
