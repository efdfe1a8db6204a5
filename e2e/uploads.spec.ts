import { createHash } from 'node:crypto';
import type { Page, Route } from '@playwright/test';
import { expect, test } from './fixtures';
import { createServer, person } from './servers';

/**
 * Resumable uploads in the browser (docs/uploads.md): a file of a few MiB goes ahead of its
 * message in chunks; the network drops mid-upload (the browser goes offline) and the upload
 * picks up where the server stopped once it is back; pause and cancel are there; the file
 * that arrives is byte for byte the one chosen.
 */

const MiB = 1024 * 1024;

/** Deterministic bytes that no compression or pattern could fake. */
function bytes(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

async function choose(page: Page, name: string, buffer: Buffer): Promise<void> {
  await page.getByTestId('file-input').setInputFiles({ name, mimeType: 'application/octet-stream', buffer });
}

/** Every PATCH the page sends to an upload, with the offset it starts at. */
function patchOffsets(page: Page): number[] {
  const offsets: number[] = [];
  page.on('request', (request) => {
    if (request.method() === 'PATCH' && /\/uploads\/\d+$/.test(request.url())) offsets.push(Number(request.headers()['upload-offset']));
  });
  return offsets;
}

test('a few-MiB upload survives the network dropping mid-way, resumes where it stopped, and arrives intact', async ({ browser }) => {
  const ada = await person(browser, 'Ada');
  await createServer(ada, 'Uploads');
  const offsets = patchOffsets(ada);
  const heads: string[] = [];
  ada.on('request', (request) => void (request.method() === 'HEAD' && heads.push(request.url())));

  // The second chunk is held at the door while the laptop "closes" (offline), then dropped.
  let held: Route | null = null;
  let patches = 0;
  await ada.route('**/api/v10/channels/*/uploads/*', async (route) => {
    if (route.request().method() === 'PATCH' && ++patches === 2) {
      held = route;
      return;
    }
    await route.continue();
  });
  const file = bytes(9 * MiB, 7);
  await choose(ada, 'recording.bin', file);
  await ada.getByTestId('composer').fill('The lecture recording');
  await ada.getByTestId('composer').press('Enter');

  const pending = ada.getByTestId('pending-message');
  const progress = pending.getByTestId('upload-progress');
  await expect(progress.getByRole('progressbar', { name: 'Uploading 9 MB' })).toBeVisible();
  await expect(progress.getByRole('button', { name: 'Pause upload' })).toBeVisible();
  await expect(progress.getByRole('button', { name: 'Cancel upload' })).toBeVisible();
  await expect.poll(() => held !== null).toBe(true);
  await expect(pending.getByTestId('upload-detail')).toContainText('4 MB of 9 MB');

  await ada.context().setOffline(true);
  await held!.abort('internetdisconnected');
  // Still on its way (waiting for the network), not failed.
  await ada.waitForTimeout(1500);
  await expect(pending).not.toContainText('Not sent');
  await expect(progress).toBeVisible();
  await ada.context().setOffline(false);

  // Back online: it asks where the upload stands and goes on from there, not from the start.
  const message = ada.getByTestId('message').filter({ hasText: 'The lecture recording' });
  await expect(message.getByTestId('attachment-file')).toContainText('recording.bin', { timeout: 30_000 });
  await expect(pending).toHaveCount(0);
  expect(heads.length).toBeGreaterThanOrEqual(1);
  expect(offsets[0]).toBe(0);
  expect(offsets[1]).toBe(4 * MiB);
  expect(offsets.at(-1)).toBe(8 * MiB);
  expect(offsets.filter((o) => o === 0)).toHaveLength(1);

  // The file downloads with exactly the bytes chosen.
  const href = await message.getByTestId('attachment-file').getAttribute('href');
  const download = await ada.request.get(href!);
  expect(download.status()).toBe(200);
  expect(sha(await download.body())).toBe(sha(file));
});

test('an upload can be paused and resumed, and cancelled', async ({ browser }) => {
  const ada = await person(browser, 'Ada');
  await createServer(ada, 'Pauses');

  // Every chunk waits at the door until let through, so the upload can be caught in flight.
  let gate: () => void = () => undefined;
  let open = new Promise<void>((resolve) => (gate = resolve));
  await ada.route('**/api/v10/channels/*/uploads/*', async (route) => {
    if (route.request().method() === 'PATCH') await open;
    await route.continue().catch(() => undefined);
  });
  const file = bytes(5 * MiB, 11);
  await choose(ada, 'dataset.bin', file);
  await ada.getByTestId('composer').fill('The dataset');
  await ada.getByTestId('composer').press('Enter');
  const pending = ada.getByTestId('pending-message');
  const progress = pending.getByTestId('upload-progress');

  await progress.getByRole('button', { name: 'Pause upload' }).click();
  await expect(progress.getByRole('button', { name: 'Resume upload' })).toBeVisible();
  await expect(pending.getByTestId('upload-detail')).toContainText('paused');
  gate();
  await progress.getByRole('button', { name: 'Resume upload' }).click();
  const message = ada.getByTestId('message').filter({ hasText: 'The dataset' });
  await expect(message.getByTestId('attachment-file')).toContainText('dataset.bin', { timeout: 30_000 });
  const download = await ada.request.get((await message.getByTestId('attachment-file').getAttribute('href'))!);
  expect(sha(await download.body())).toBe(sha(file));

  // Cancelled: the message stays, not sent, to retry or discard.
  open = new Promise<void>((resolve) => (gate = resolve));
  await choose(ada, 'other.bin', bytes(2 * MiB, 3));
  await ada.getByTestId('composer').fill('Never mind');
  await ada.getByTestId('composer').press('Enter');
  await pending.getByTestId('upload-progress').getByRole('button', { name: 'Cancel upload' }).click();
  await expect(pending).toContainText('Not sent: Upload cancelled.');
  gate();
  await pending.getByRole('button', { name: 'Discard' }).click();
  await expect(pending).toHaveCount(0);
});
