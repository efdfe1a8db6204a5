import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from '@playwright/test';
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

test('a file too large to upload goes peer to peer: a damaged block is sent again, a dropped connection resumes, the bytes are identical and never stored by the server', async ({
  newPerson,
}) => {
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
