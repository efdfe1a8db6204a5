import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Message, MessageFlags, type Snowflake, routes } from '@parley/protocol';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { collect } from '../../testing/collector';
import { makeGuild, signUp } from '../../testing/fixtures';
import { startTestServer, type TestServer } from '../../testing/server';

/*
 * Link previews through the real server: a message's links are fetched from a page server the
 * test runs on 127.0.0.1 (which LINK_PREVIEWS_ALLOW lets through; everything private is refused
 * otherwise, see guard.unit.test.ts), and arrive as a MESSAGE_UPDATE with `link` embeds. One
 * channel's messages are previewed in order, so a later message's preview proves an earlier one
 * got none without waiting on time.
 */

let server: TestServer;
let pages: http.Server;
let base: string;
const requested: string[] = [];
beforeAll(async () => {
  pages = http.createServer((request, response) => {
    requested.push(request.url!);
    const title = decodeURIComponent(request.url!.slice(1));
    response
      .writeHead(200, { 'content-type': 'text/html' })
      .end(`<head><meta property="og:title" content="${title}"><meta property="og:description" content="About ${title}"><meta property="og:site_name" content="Test Pages"></head>`);
  });
  await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`;
  server = await startTestServer({ env: { LINK_PREVIEWS_ALLOW: '127.0.0.1', MESSAGE_RATE_LIMIT: '1000/1' } });
});
afterAll(async () => {
  await server.close();
  pages.closeAllConnections();
  pages.close();
});

it("previews a message's links for everyone in the channel, once per page, and only where it should", async () => {
  const { owner, general } = await makeGuild(server);
  const live = await server.connect(owner.client.token!);
  const updates = collect(live.gateway, 'MESSAGE_UPDATE');
  const send = (content: string, flags?: number) => owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content, ...(flags !== undefined && { flags }) } });
  const previewOf = async (message: Message) =>
    (await updates.until(`the preview of ${message.id}`, (items) => items.some((u) => u.id === message.id && u.embeds.length > 0))).find((u) => u.id === message.id && u.embeds.length > 0)!;

  const first = await send(`have you read ${base}/Parley%20news yet?`);
  expect(first.embeds).toEqual([]);
  expect((await previewOf(first)).embeds).toEqual([{ type: 'link', url: `${base}/Parley%20news`, title: 'Parley news', description: 'About Parley news', provider: { name: 'Test Pages' } }]);
  const [stored] = await owner.client.request(routes.messages.list, { params: { channel_id: general.id }, query: { limit: 1 } });
  expect(stored!.embeds[0]?.title).toBe('Parley news');

  // The same link again: from the cache, the page is not fetched twice.
  const again = await send(`${base}/Parley%20news`);
  expect((await previewOf(again)).embeds[0]?.title).toBe('Parley news');
  expect(requested.filter((r) => r === '/Parley%20news')).toHaveLength(1);

  // Links <in angle brackets>, a message sent with SUPPRESS_EMBEDS, and private targets get none;
  // the next message's preview (same channel, in order) shows they were passed over.
  const quiet = await send(`<${base}/Quiet>`);
  const suppressed = await send(`${base}/Suppressed`, MessageFlags.SUPPRESS_EMBEDS);
  const hostile = await send('http://169.254.169.254/latest/meta-data/ http://10.0.0.1/admin http://[::1]/');
  const marker = await send(`${base}/Marker`);
  await previewOf(marker);
  for (const passed of [quiet, suppressed, hostile]) expect(updates.items.some((u) => u.id === passed.id)).toBe(false);
  expect(requested).not.toContain('/Quiet');
  expect(requested).not.toContain('/Suppressed');

  // Its author turns the preview off later: it goes, for everyone.
  await owner.client.request(routes.messages.edit, { params: { channel_id: general.id, message_id: first.id }, body: { flags: MessageFlags.SUPPRESS_EMBEDS } });
  await updates.until('the preview taken away', (items) => items.some((u) => u.id === first.id && u.embeds.length === 0));
  // An edit to other links previews those instead.
  await owner.client.request(routes.messages.edit, { params: { channel_id: general.id, message_id: marker.id }, body: { content: `now ${base}/Edited` } });
  await updates.until('the edited preview', (items) => items.some((u) => u.id === marker.id && u.embeds[0]?.title === 'Edited'));
});

it('stops when the instance turns previews off', async () => {
  const admin = await signUp(server);
  await sql`update users set admin = 1 where id = ${admin.userId}`.execute(server.db.database.db);
  const { owner, general } = await makeGuild(server);
  const live = await server.connect(owner.client.token!);
  const updates = collect(live.gateway, 'MESSAGE_UPDATE');
  const send = (content: string) => owner.client.request(routes.messages.create, { params: { channel_id: general.id as Snowflake }, body: { content } });
  await admin.client.request(routes.instance.updateSettings, { body: { link_previews: false } });
  const off = await send(`${base}/While%20off`);
  await admin.client.request(routes.instance.updateSettings, { body: { link_previews: true } });
  const on = await send(`${base}/Back%20on`);
  await updates.until('the preview once on again', (items) => items.some((u) => u.id === on.id && u.embeds.length > 0));
  expect(updates.items.some((u) => u.id === off.id)).toBe(false);
  expect(requested).not.toContain('/While%20off');
});
