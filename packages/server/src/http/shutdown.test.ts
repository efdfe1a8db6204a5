import http from 'node:http';
import { afterAll, expect, it } from 'vitest';
import { startTestServer } from '../testing/server';

afterAll(() => agent.destroy());
const agent = new http.Agent({ keepAlive: true });

it('a stop waits for a request under way, answers it with Connection: close, and ends at once', async () => {
  let arrived!: () => void;
  const reachedHandler = new Promise<void>((resolve) => (arrived = resolve));
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let stopping!: () => void;
  const stopBegan = new Promise<void>((resolve) => (stopping = resolve));
  const server = await startTestServer({
    setup: (app) => {
      app.get('/api/v10/test/slow', async () => {
        arrived();
        await released;
        return { done: true };
      });
      app.addHook('preClose', async () => stopping());
    },
  });
  // A browser's keep-alive connection, busy when the stop begins.
  const answer = new Promise<{ status: number; connection: string | undefined; body: string }>((resolve, reject) => {
    const request = http.get(`${server.url}/api/v10/test/slow`, { agent }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, connection: response.headers.connection, body }));
    });
    request.on('error', reject);
  });
  await reachedHandler;
  const stopped = server.close();
  await stopBegan;
  release();
  expect(await answer).toEqual({ status: 200, connection: 'close', body: '{"done":true}' });
  // Without `Connection: close` the socket would go back to idle and hold the stop for 72 s (the test's timeout ends it first).
  await stopped;
});
