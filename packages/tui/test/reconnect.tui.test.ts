import { afterAll, beforeAll, expect, it } from 'vitest';
import { harness, relay } from './harness';

/**
 * The terminal client through a network drop (a relay that cuts the line) and a server restart
 * (the session resumes: gateway/restart-state.ts):
 * it says it is offline, keeps what is typed meanwhile and sends it once back, in order, and
 * shows every message sent meanwhile exactly once.
 */
const port = 28550 + Math.floor(Math.random() * 40);
const h = harness('reconnect', port);
const password = 'correct horse battery';
let line: Awaited<ReturnType<typeof relay>>;

type Message = { id: string; content: string };
let bob: { token: string };
let channelId: string;

const history = async () => (await h.api<Message[]>('GET', `/channels/${channelId}/messages?limit=50`, bob.token)).map((m) => m.content).reverse();
const count = (shown: string, text: string) => shown.split(text).length - 1;

beforeAll(async () => {
  await h.startServer();
  line = await relay(port + 50, port);
  const alice = await h.api<{ token: string }>('POST', '/auth/register', null, { username: 'alice', password });
  bob = await h.api<{ token: string }>('POST', '/auth/register', null, { username: 'bob', password });
  const guild = await h.api<{ id: string }>('POST', '/guilds', alice.token, { name: 'Home' });
  channelId = (await h.api<{ id: string; type: number }[]>('GET', `/guilds/${guild.id}/channels`, alice.token)).find((c) => c.type === 0)!.id;
  const invite = await h.api<{ code: string }>('POST', `/channels/${channelId}/invites`, alice.token, {});
  await h.api('POST', `/invites/${invite.code}`, bob.token);
}, 60_000);

afterAll(async () => {
  await line?.cut();
  await h.close();
});

it('a network drop: offline shown, typed messages queued and sent once in order, missed ones shown once', async () => {
  h.startClient('alice', password, line.url);
  await h.waitFor('#general');
  await h.api('POST', `/channels/${channelId}/messages`, bob.token, { content: 'before the drop' });
  await h.waitFor('before the drop');

  await line.cut();
  await h.waitFor('offline — reconnecting');
  // One line at a time, as a person types (a burst of several lines would be a paste).
  for (const [i, text] of ['queued one', 'queued two', 'queued three'].entries()) {
    h.type(text, 'Enter');
    await h.waitFor(`(${i + 1} queued)`);
  }
  await h.api('POST', `/channels/${channelId}/messages`, bob.token, { content: 'missed while away' });

  await line.restore();
  await h.waitFor((s) => s.includes('missed while away') && !s.includes('offline'), 30_000);
  await h.until(async () => (await history()).includes('queued three'), 'the queued messages stored');
  const stored = await history();
  expect(stored.filter((c) => c.startsWith('queued'))).toEqual(['queued one', 'queued two', 'queued three']);
  const shown = await h.waitFor((s) => !s.includes('waiting to be sent'));
  for (const text of ['missed while away', 'queued one', 'queued two', 'queued three']) expect(count(shown, text)).toBe(1);
}, 90_000);

it('a server restart: the client resumes its session by itself, loses nothing and doubles nothing', async () => {
  const resumesBefore = h.serverLog().filter((line) => line.msg === 'gateway: session resumed').length;
  await h.stopServer();
  await h.waitFor('offline — reconnecting');
  h.type('typed during the restart', 'Enter');
  await h.waitFor('(1 queued)');
  // The gateway stays shut while REST is back: bob's message, then the queued one confirmed over
  // REST, both before the client has a session again (the gap hides behind its own message).
  line.gateway(false);
  await h.startServer();
  await h.api('POST', `/channels/${channelId}/messages`, bob.token, { content: 'right after the restart' });
  await h.until(async () => (await history()).includes('typed during the restart'), 'the queued message sent over REST', 30_000);
  line.gateway(true);

  await h.waitFor((s) => s.includes('right after the restart') && s.includes('typed during the restart') && !s.includes('offline'), 45_000);
  await h.until(async () => (await history()).includes('typed during the restart'), 'the queued message stored');
  const stored = await history();
  expect(stored.filter((c) => c === 'typed during the restart')).toHaveLength(1);
  const shown = await h.waitFor((s) => !s.includes('waiting to be sent'));
  for (const text of ['before the drop', 'right after the restart', 'typed during the restart']) expect(count(shown, text)).toBe(1);
  // A RESUME, not a new session: the single node handed its sessions to the next start.
  expect(h.serverLog().filter((line) => line.msg === 'gateway: session resumed').length).toBeGreaterThan(resumesBefore);
}, 120_000);
