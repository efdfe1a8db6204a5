import type { Message, Snowflake } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { Emitter } from './emitter';
import type { GatewayEvents } from './gateway';
import { Outbox } from './outbox';
import { RestClient } from './rest';
import { RateMeter, ResumableUpload } from './uploads';

const channel = '10' as Snowflake;

/**
 * A tus server in memory, behind a fake fetch: it keeps what a PATCH delivered even when the
 * "connection" drops midway (`dropAfter`), and can hang a PATCH until it is aborted (`hang`).
 */
function fakeServer() {
  const uploads = new Map<string, { length: number; bytes: number[] }>();
  const log: string[] = [];
  const state = { dropAfter: null as number | null, failuresAfterDrop: 0, failures: 0, hang: false, nextId: 100, messages: [] as unknown[] };
  const fetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(String(input));
    const method = init.method ?? 'GET';
    const headers = new Headers(init.headers);
    log.push(`${method} ${url.pathname}`);
    expect(headers.get('authorization')).toBe('token');
    // Creating an upload always works here: the failures are those of the requests after it.
    if (state.failures > 0 && !(method === 'POST' && url.pathname.endsWith('/uploads'))) {
      state.failures--;
      throw new TypeError('fetch failed');
    }
    const match = /\/uploads\/(\d+)$/.exec(url.pathname);
    const upload = match ? uploads.get(match[1]!) : undefined;
    if (method === 'POST' && url.pathname.endsWith('/uploads')) {
      expect(headers.get('tus-resumable')).toBe('1.0.0');
      const id = String(state.nextId++);
      uploads.set(id, { length: Number(headers.get('upload-length')), bytes: [] });
      return new Response(null, { status: 201, headers: { location: `/api/v10/channels/${channel}/uploads/${id}` } });
    }
    if (method === 'POST' && url.pathname.endsWith('/messages')) {
      const body = JSON.parse(String(init.body)) as { nonce: string; attachments: { id: number; upload_id: string }[] };
      state.messages.push(body);
      return Response.json({ id: '900', channel_id: channel, nonce: body.nonce, attachments: body.attachments.map((a) => ({ id: a.upload_id })) });
    }
    if (!upload) return Response.json({ code: 90180, message: 'Unknown upload' }, { status: 404 });
    if (method === 'HEAD') return new Response(null, { status: 200, headers: { 'upload-offset': String(upload.bytes.length) } });
    if (method === 'DELETE') {
      uploads.delete(match![1]!);
      return new Response(null, { status: 204 });
    }
    // PATCH
    expect(headers.get('content-type')).toBe('application/offset+octet-stream');
    if (Number(headers.get('upload-offset')) !== upload.bytes.length) return Response.json({ code: 90181, message: 'offset' }, { status: 409 });
    if (state.hang) {
      await new Promise((_resolve, reject) => init.signal!.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
    }
    const chunk = new Uint8Array(await (init.body as Blob).arrayBuffer());
    if (state.dropAfter !== null) {
      upload.bytes.push(...chunk.subarray(0, state.dropAfter));
      state.dropAfter = null;
      state.failures = state.failuresAfterDrop;
      throw new TypeError('fetch failed');
    }
    upload.bytes.push(...chunk);
    return new Response(null, { status: 204, headers: { 'upload-offset': String(upload.bytes.length) } });
  };
  const rest = new RestClient({ baseUrl: 'http://parley.test', token: 'token', fetch: fetch as typeof globalThis.fetch });
  return { uploads, log, state, rest };
}

const fileOf = (size: number, name = 'data.bin') => new File([Uint8Array.from({ length: size }, (_, i) => i % 251)], name, { type: 'application/octet-stream' });
const bytesOf = async (file: File) => [...new Uint8Array(await file.arrayBuffer())];
const fast = { retryDelayMs: () => 1 };
const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('ResumableUpload', () => {
  it('creates, sends in chunks and reports progress up to the whole file', async () => {
    const server = fakeServer();
    const file = fileOf(2500);
    const seen: number[] = [];
    const upload = new ResumableUpload(server.rest, channel, file, { chunkBytes: 1000, onProgress: (p) => seen.push(p.sent) });
    const id = await upload.done();
    expect(id).toBe('100');
    expect(server.log.filter((l) => l.startsWith('PATCH'))).toHaveLength(3);
    expect(server.uploads.get('100')!.bytes).toEqual(await bytesOf(file));
    expect(seen.at(-1)).toBe(2500);
    expect(seen).toContain(1000);
  });

  it('after a connection dropped mid-chunk, asks where the upload stands and continues with the exact bytes', async () => {
    const server = fakeServer();
    const file = fileOf(3000);
    server.state.dropAfter = 400;
    const upload = new ResumableUpload(server.rest, channel, file, { chunkBytes: 1000, ...fast });
    await upload.done();
    expect(server.log).toEqual([
      `POST /api/v10/channels/${channel}/uploads`,
      `PATCH /api/v10/channels/${channel}/uploads/100`,
      `HEAD /api/v10/channels/${channel}/uploads/100`,
      `PATCH /api/v10/channels/${channel}/uploads/100`,
      `PATCH /api/v10/channels/${channel}/uploads/100`,
      `PATCH /api/v10/channels/${channel}/uploads/100`,
    ]);
    expect(server.uploads.get('100')!.bytes).toEqual(await bytesOf(file));
  });

  it('gives up after a bounded number of failures in a row, and a new try continues from its URL', async () => {
    const server = fakeServer();
    const file = fileOf(1500);
    const first = new ResumableUpload(server.rest, channel, file, { chunkBytes: 1000, retries: 3, ...fast });
    // Created, then the network stays down: the PATCH and three tries (HEAD) fail.
    server.state.failures = 100;
    await expect(first.done()).rejects.toThrow('Could not reach the server');
    expect(100 - server.state.failures).toBe(4);
    server.state.failures = 0;
    const again = new ResumableUpload(server.rest, channel, file, { url: first.url, ...fast });
    expect(await again.done()).toBe('100');
    expect(server.log.filter((l) => l.startsWith('POST'))).toHaveLength(1);
    expect(server.uploads.get('100')!.bytes).toEqual(await bytesOf(file));
  });

  it('pauses (stopping the request in flight) and resumes from what the server kept', async () => {
    const server = fakeServer();
    const file = fileOf(1200);
    const upload = new ResumableUpload(server.rest, channel, file, { chunkBytes: 1000, ...fast });
    server.state.hang = true;
    const done = upload.done();
    await tick();
    upload.pause();
    expect(upload.isPaused).toBe(true);
    await tick();
    const requests = server.log.length;
    await tick();
    expect(server.log.length).toBe(requests);
    server.state.hang = false;
    upload.resume();
    expect(await done).toBe('100');
    expect(server.log).toContain(`HEAD /api/v10/channels/${channel}/uploads/100`);
    expect(server.uploads.get('100')!.bytes).toEqual(await bytesOf(file));
  });

  it('cancels: rejects with an AbortError and deletes the upload on the server', async () => {
    const server = fakeServer();
    const upload = new ResumableUpload(server.rest, channel, fileOf(1200), { chunkBytes: 1000 });
    server.state.hang = true;
    const done = upload.done();
    await tick();
    await upload.cancel();
    await expect(done).rejects.toMatchObject({ name: 'AbortError' });
    expect(server.log.at(-1)).toBe(`DELETE /api/v10/channels/${channel}/uploads/100`);
    expect(server.uploads.size).toBe(0);
  });

  it('a refusal is not retried', async () => {
    const server = fakeServer();
    const upload = new ResumableUpload(server.rest, channel, fileOf(10), { url: '/api/v10/channels/10/uploads/55', ...fast });
    await expect(upload.done()).rejects.toMatchObject({ status: 404 });
    expect(server.log).toHaveLength(1);
  });
});

describe('RateMeter', () => {
  it('tells the speed over the last seconds and the time left at it', () => {
    let now = 0;
    const meter = new RateMeter(() => now);
    expect(meter.update(0, 10_000)).toMatchObject({ bytesPerSecond: null, secondsLeft: null });
    now = 1000;
    expect(meter.update(1000, 10_000)).toEqual({ sent: 1000, total: 10_000, bytesPerSecond: 1000, secondsLeft: 9 });
    // A burst long ago is forgotten: only the window counts.
    now = 10_000;
    meter.update(1000, 10_000);
    now = 12_000;
    expect(meter.update(5000, 10_000)).toMatchObject({ bytesPerSecond: 2000, secondsLeft: 3 });
  });
});

describe('Outbox with resumable uploads', () => {
  it('uploads the files first, shows progress, pauses and resumes, then sends the message naming them', async () => {
    const server = fakeServer();
    const events = new Emitter<GatewayEvents>();
    const confirmed: Message[] = [];
    const outbox = new Outbox(server.rest, events, { onConfirmed: (m) => confirmed.push(m), resumableUploads: { chunkBytes: 500, ...fast } });
    const files = [fileOf(1200, 'a.bin'), fileOf(300, 'b.bin')];
    server.state.hang = true;
    const sending = outbox.send(channel, 'two files', { files });
    await tick();
    const pending = outbox.pending(channel)[0]!;
    expect(pending.upload).toMatchObject({ total: 1500, paused: false });
    outbox.pauseUpload(channel, pending.nonce);
    expect(outbox.pending(channel)[0]!.upload!.paused).toBe(true);
    server.state.hang = false;
    outbox.resumeUpload(channel, pending.nonce);
    await sending;
    expect(outbox.pending(channel)[0]?.error ?? null).toBeNull();
    expect(confirmed).toHaveLength(1);
    expect(server.state.messages).toEqual([
      expect.objectContaining({
        content: 'two files',
        attachments: [
          { id: 0, upload_id: '100' },
          { id: 1, upload_id: '101' },
        ],
      }),
    ]);
    expect(server.uploads.get('100')!.bytes).toEqual(await bytesOf(files[0]!));
    expect(server.uploads.get('101')!.bytes).toEqual(await bytesOf(files[1]!));
    expect(outbox.pending(channel)).toEqual([]);
  });

  it('a retry after a failed upload continues it instead of starting again', async () => {
    const server = fakeServer();
    const outbox = new Outbox(server.rest, new Emitter<GatewayEvents>(), { resumableUploads: { chunkBytes: 500, retries: 1, ...fast } });
    const file = fileOf(1000);
    // 300 bytes arrive, then the network is down longer than the upload keeps trying.
    server.state.dropAfter = 300;
    server.state.failuresAfterDrop = 50;
    await outbox.send(channel, '', { files: [file] });
    const pending = outbox.pending(channel)[0]!;
    expect(pending.state).toBe('failed');
    server.state.failures = 0;
    await outbox.retry(channel, pending.nonce);
    expect(outbox.pending(channel)).toEqual([]);
    expect(server.log.filter((l) => l.startsWith('POST') && l.endsWith('/uploads'))).toHaveLength(1);
    expect(server.log.filter((l) => l.startsWith('PATCH'))).toHaveLength(3);
    expect(server.uploads.get('100')!.bytes).toEqual(await bytesOf(file));
  });

  it('cancelling fails the message and deletes its uploads on the server', async () => {
    const server = fakeServer();
    const outbox = new Outbox(server.rest, new Emitter<GatewayEvents>(), { resumableUploads: { chunkBytes: 500 } });
    server.state.hang = true;
    const sending = outbox.send(channel, '', { files: [fileOf(1000)] });
    await tick();
    outbox.cancelUpload(outbox.pending(channel)[0]!.nonce);
    await sending;
    expect(outbox.pending(channel)[0]).toMatchObject({ state: 'failed', error: 'Upload cancelled.' });
    await tick();
    expect(server.uploads.size).toBe(0);
  });
});
