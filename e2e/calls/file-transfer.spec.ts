import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Page, chromium } from '@playwright/test';
import { PASSWORD, uniqueName } from '../helpers';
import { type Person, expect, serverWith, test } from '../people';

/**
 * Files sent peer to peer: offered from the composer when too large to upload, fetched by the
 * receiver straight from the sender's tab over a WebRTC data channel (with the ICE servers
 * calls use), checked block by block, resumed after a drop, streamed to disk (the receiver's
 * origin-private file system, then a normal download: headless Chromium has no save dialog),
 * and never stored by the server.
 */

const MiB = 1024 * 1024;

/** A file whose every 1 MiB block differs (misplaced blocks would show), and its SHA-256. */
function makeFile(name: string, bytes: number): { path: string; sha256: string } {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'parley-p2p-')), name);
  const hash = createHash('sha256');
  const block = Buffer.alloc(MiB);
  for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((i * 2654435761) >>> 0, i);
  const fd = fs.openSync(file, 'w');
  for (let offset = 0; offset < bytes; offset += MiB) {
    block.writeUInt32LE(offset / MiB, 0);
    const chunk = block.subarray(0, Math.min(MiB, bytes - offset));
    fs.writeSync(fd, chunk);
    hash.update(chunk);
  }
  fs.closeSync(fd);
  return { path: file, sha256: hash.digest('hex') };
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 4 * MiB })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The receiver has no save dialog here: the client writes to its private file system and then downloads. */
async function withoutSaveDialog(person: Person): Promise<void> {
  await person.page.context().addInitScript(() => delete (window as { showSaveFilePicker?: unknown }).showSaveFilePicker);
  await person.page.reload();
}

/** Offers a file from Ada's composer (too large to upload: the tray offers peer to peer). */
async function offer(sender: Page, channelUrl: string, file: string): Promise<void> {
  await sender.goto(channelUrl);
  await sender.getByTestId('file-input').setInputFiles(file);
  await sender.getByTestId('send-peer-to-peer').click();
  await expect(sender.getByTestId('file-offer-sharing')).toBeVisible();
}

test('a file too large to upload goes peer to peer: a damaged block is sent again, a dropped connection resumes, the bytes are identical and never stored by the server', async ({ newPerson }) => {
  const ada = await newPerson('Ada');
  const bob = await newPerson('Bob');
  const { guildId, generalId } = await serverWith(ada, [bob], 'Files');
  const channelUrl = `/channels/${guildId}/${generalId}`;
  const file = makeFile('lecture.bin', 40 * MiB);

  // Ada's tab damages one block on its way (the 20th binary message) and drops the connection
  // once, after 24 MiB: a test hook around the browser's own WebRTC classes, not part of the client.
  await ada.page.context().addInitScript(() => {
    const send = RTCDataChannel.prototype.send;
    const owners = new WeakMap<RTCDataChannel, RTCPeerConnection>();
    const createDataChannel = RTCPeerConnection.prototype.createDataChannel;
    RTCPeerConnection.prototype.createDataChannel = function (this: RTCPeerConnection, ...args: Parameters<RTCPeerConnection['createDataChannel']>) {
      const channel = createDataChannel.apply(this, args);
      owners.set(channel, this);
      return channel;
    };
    let binary = 0;
    RTCDataChannel.prototype.send = function (this: RTCDataChannel, data: never) {
      if (typeof data === 'string') return send.call(this, data);
      binary++;
      if (binary === 20) {
        const damaged = new Uint8Array(data as Uint8Array);
        damaged[100] = (damaged[100]! + 1) % 256;
        return send.call(this, damaged);
      }
      if (binary === 24 * 16) setTimeout(() => owners.get(this)?.close());
      return send.call(this, data);
    } as typeof send;
  });
  await withoutSaveDialog(bob);
  await offer(ada.page, channelUrl, file.path);

  await bob.page.goto(channelUrl);
  const card = bob.page.getByTestId('file-offer');
  await expect(card).toContainText('lecture.bin');
  await expect(card).toContainText('40 MB');
  await expect(card).toContainText('Peer to peer — sender must be online');
  const downloaded = bob.page.waitForEvent('download', { timeout: 60_000 });
  await card.getByRole('button', { name: 'Download' }).click();
  const download = await downloaded;
  expect(download.suggestedFilename()).toBe('lecture.bin');
  expect(await sha256Of(await download.path())).toBe(file.sha256);
  await expect(card.getByTestId('file-offer-status')).toHaveText('Downloaded and checked (1 damaged block sent again).');
  // Ada sees who received it.
  await expect(ada.page.getByTestId('file-offer-receiver')).toHaveText('Bob: received');

  // The server relayed signaling only: no file of that size anywhere in its data directory.
  const dataDir = process.env.E2E_CALLS_DATA_DIR ?? '.test-output/e2e-calls-data';
  const stored = fs.readdirSync(dataDir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile() && fs.statSync(path.join(entry.parentPath, entry.name)).size >= 40 * MiB);
  expect(stored.map((entry) => entry.name)).toEqual([]);
});

/** Resident memory of every process under this test worker (its Chromium: browser, renderers, GPU, network). */
function browserRss(): number {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // It ended while we looked.
    }
  }
  let total = 0;
  const pending = [...(children.get(process.pid) ?? [])];
  while (pending.length) {
    const pid = pending.pop()!;
    pending.push(...(children.get(pid) ?? []));
    try {
      const rss = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      total += rss ? Number(rss[1]) * 1024 : 0;
    } catch {
      // It ended while we looked.
    }
  }
  return total;
}

/**
 * A receiver in a browser profile on disk: in the journeys' usual (incognito-like) contexts
 * Chromium keeps the site's private file system in memory, so a download streamed into it would
 * grow the browser by the file's size. People's browsers keep it on disk, as this profile does.
 */
async function personOnDisk(owner: Person, channelId: string): Promise<{ page: Page; close(): Promise<void> }> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-p2p-profile-'));
  const { baseURL, launchOptions } = test.info().project.use;
  const context = await chromium.launchPersistentContext(profile, { ...launchOptions, baseURL, headless: true });
  const page = context.pages()[0] ?? (await context.newPage());
  const registered = await page.request.post('/api/v10/auth/register', { data: { username: uniqueName('bob'), password: PASSWORD } });
  expect(registered.ok()).toBe(true);
  const { token } = (await registered.json()) as { token: string };
  const invite = await owner.api.post<{ code: string }>(`/channels/${channelId}/invites`, {});
  expect((await page.request.post(`/api/v10/invites/${invite.code}`, { headers: { Authorization: token } })).ok()).toBe(true);
  await context.addInitScript((token) => {
    localStorage.setItem('parley.token', token);
    delete (window as { showSaveFilePicker?: unknown }).showSaveFilePicker;
  }, token);
  return {
    page,
    close: async () => {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

// Tagged @big: `npm run test:big`, not part of `npm test`. Chromium's data channel and the clients'
// checks are CPU-bound at ~3–5 MB/s on the 2-core CI machine (8–11 minutes); the bounds allow a busy one.
test('a 2 GiB file goes from one Chromium to another with memory flat on both sides', { tag: '@big' }, async ({ newPerson }) => {
  test.setTimeout(900_000);
  const ada = await newPerson('Ada');
  const { guildId, generalId } = await serverWith(ada, [], 'Big files');
  const bob = await personOnDisk(ada, generalId);
  const channelUrl = `/channels/${guildId}/${generalId}`;
  const file = makeFile('disk.img', 2048 * MiB);
  try {
    await offer(ada.page, channelUrl, file.path);
    await bob.page.goto(channelUrl);
    const card = bob.page.getByTestId('file-offer');
    await expect(card).toContainText('2 GB');
    const downloaded = bob.page.waitForEvent('download', { timeout: 880_000 });
    await card.getByRole('button', { name: 'Download' }).click();
    // Memory is measured from when bytes flow (the connection and its buffers exist by then).
    await expect(card.getByTestId('file-offer-status')).toContainText(/ MB of 2 GB/, { timeout: 30_000 });
    const started = Date.now();
    const baseline = browserRss();
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, browserRss())), 500);
    const download = await downloaded.finally(() => clearInterval(sampler));
    const seconds = (Date.now() - started) / 1000;
    test
      .info()
      .annotations.push({ type: 'throughput', description: `${(2048 / seconds).toFixed(1)} MB/s; both Chromiums' RSS ${Math.round(baseline / MiB)} MiB → peak ${Math.round(peak / MiB)} MiB` });
    // Flat: the whole file is 2,048 MiB; both browsers together grew by a small fraction of it.
    expect(peak - baseline).toBeLessThan(400 * MiB);
    const heap = await bob.page.evaluate(() => (performance as unknown as { memory: { usedJSHeapSize: number } }).memory.usedJSHeapSize);
    expect(heap).toBeLessThan(150 * MiB);
    expect(await sha256Of(await download.path())).toBe(file.sha256);
    await expect(card.getByTestId('file-offer-status')).toHaveText('Downloaded and checked.');
  } finally {
    await bob.close();
    fs.rmSync(path.dirname(file.path), { recursive: true, force: true });
  }
});
