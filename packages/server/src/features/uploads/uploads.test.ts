import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { API_PREFIX, type Message, type Snowflake, TUS_CONTENT_TYPE, UploadLimits, encodeUploadMetadata, routes, sealedFileSize, uploadPath, uploadsPath } from '@parley/protocol';
import { ResumableUpload } from '@parley/sdk/uploads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, makeGuild, makeImage, type Person } from '../../testing/fixtures';
import { startTestServer, type TestServer } from '../../testing/server';

/** Moves the server's clock forward (expiry) without touching the machine's. */
let clockOffset = 0;
const clock = { now: () => Date.now() + clockOffset };

const MAX_BYTES = 2 * 1024 * 1024;
let server: TestServer;
let owner: Person;
let other: Person;
let general: { id: Snowflake };
beforeAll(async () => {
  server = await startTestServer({ clock, env: { MESSAGE_RATE_LIMIT: '1000/1', ATTACHMENT_MAX_BYTES: String(MAX_BYTES) } });
  const made = await makeGuild(server, { members: 1 });
  owner = made.owner;
  other = made.members[0]!;
  general = made.general;
});
afterAll(() => server.close());

const tokenOf = (person: Person) => person.client.token!;

/** A tus request as any client would send it. */
function tus(method: string, url: string, token: string | null, headers: Record<string, string> = {}, body?: Buffer): Promise<Response> {
  return fetch(new URL(url.startsWith(API_PREFIX) ? url : `${API_PREFIX}${url}`, server.url), {
    method,
    headers: { 'tus-resumable': '1.0.0', ...(token && { authorization: token }), ...headers },
    ...(body && { body: new Uint8Array(body) }),
  });
}

async function create(
  person: Person,
  length: number,
  metadata: Record<string, string> = { filename: 'data.bin', filetype: 'application/octet-stream' },
  channelId: string = general.id,
): Promise<{ id: Snowflake; url: string }> {
  const response = await tus('POST', uploadsPath(channelId), tokenOf(person), { 'upload-length': String(length), 'upload-metadata': encodeUploadMetadata(metadata) });
  expect(response.status, await response.clone().text()).toBe(201);
  const body = (await response.json()) as { id: Snowflake; url: string };
  expect(response.headers.get('location')).toBe(body.url);
  expect(response.headers.get('tus-resumable')).toBe('1.0.0');
  return body;
}

function patch(person: Person, url: string, offset: number, bytes: Buffer): Promise<Response> {
  return tus('PATCH', url, tokenOf(person), { 'content-type': TUS_CONTENT_TYPE, 'upload-offset': String(offset) }, bytes);
}

async function offsetOf(person: Person, url: string): Promise<number | null> {
  const response = await tus('HEAD', url, tokenOf(person));
  if (response.status === 404) return null;
  expect(response.status).toBe(200);
  expect(response.headers.get('cache-control')).toBe('no-store');
  return Number(response.headers.get('upload-offset'));
}

async function errorOf(response: Response): Promise<{ status: number; code: number; message: string }> {
  const body = (await response.json()) as { code: number; message: string };
  return { status: response.status, ...body };
}

const partPath = (channelId: string, id: string) => path.join(server.db.dataDir, 'files', 'attachments', channelId, id, 'upload.part');
const folderOf = (channelId: string, id: string) => path.join(server.db.dataDir, 'files', 'attachments', channelId, id);
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function sendWith(person: Person, uploadIds: Snowflake[], extra: Record<string, unknown> = {}): Promise<Message> {
  return person.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'here', attachments: uploadIds.map((upload_id, id) => ({ id, upload_id })), ...extra } });
}

async function download(url: string): Promise<Buffer> {
  const response = await fetch(new URL(url, server.url));
  expect(response.status).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}

describe('tus core, creation and termination', () => {
  it('announces itself on OPTIONS', async () => {
    const response = await fetch(new URL(`${API_PREFIX}${uploadsPath(general.id)}`, server.url), { method: 'OPTIONS' });
    expect(response.status).toBe(204);
    expect(response.headers.get('tus-version')).toBe('1.0.0');
    expect(response.headers.get('tus-extension')).toBe('creation,termination,expiration');
    expect(response.headers.get('tus-max-size')).toBe(String(MAX_BYTES));
  });

  it('creates, appends in pieces, tells the offset, and a message makes it an attachment with the exact bytes', async () => {
    const bytes = randomBytes(300_000);
    const { id, url } = await create(owner, bytes.length, { filename: 'notes.txt', filetype: 'text/plain' });
    expect(await offsetOf(owner, url)).toBe(0);
    const first = await patch(owner, url, 0, bytes.subarray(0, 100_000));
    expect(first.status).toBe(204);
    expect(first.headers.get('upload-offset')).toBe('100000');
    expect(first.headers.get('upload-expires')).toMatch(/GMT$/);
    expect(await offsetOf(owner, url)).toBe(100_000);
    // Not finished: a message cannot carry it yet.
    expect((await failure(sendWith(owner, [id]))).code).toBe(90182);
    expect((await patch(owner, url, 100_000, bytes.subarray(100_000))).status).toBe(204);
    expect(await offsetOf(owner, url)).toBe(bytes.length);

    const message = await sendWith(owner, [id], { nonce: 'upload-1', enforce_nonce: true });
    expect(message.attachments).toHaveLength(1);
    const [attachment] = message.attachments;
    expect(attachment).toMatchObject({ id, filename: 'notes.txt', size: bytes.length, content_type: 'text/plain' });
    expect(sha(await download(attachment!.url))).toBe(sha(bytes));
    // Sent: no longer an upload to append to, cancel, or send again; a repeat of the same send gets the same message.
    expect(await offsetOf(owner, url)).toBeNull();
    expect((await tus('DELETE', url, tokenOf(owner))).status).toBe(404);
    expect((await sendWith(owner, [id], { nonce: 'upload-1', enforce_nonce: true })).id).toBe(message.id);
    expect((await failure(sendWith(owner, [id]))).code).toBe(90180);
    expect(await fs.readdir(folderOf(general.id, id))).toEqual(['file']);
  });

  it('two sends racing with one upload: one message carries it and owns it, the others are refused', async () => {
    const bytes = randomBytes(1000);
    const { id, url } = await create(owner, bytes.length);
    expect((await patch(owner, url, 0, bytes)).status).toBe(204);
    const results = await Promise.allSettled([sendWith(owner, [id]), sendWith(owner, [id]), sendWith(owner, [id])]);
    const sent = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    expect(sent).toHaveLength(1);
    for (const result of results) if (result.status === 'rejected') expect(await failure(Promise.reject(result.reason))).toMatchObject({ status: 404, code: 90180 });
    const upload = await server.db.database.db.selectFrom('uploads').select('message_id').where('id', '=', id).executeTakeFirstOrThrow();
    expect(upload.message_id).toBe(sent[0]!.id);
    expect(sha(await download(sent[0]!.attachments[0]!.url))).toBe(sha(bytes));
  });

  it('measures images and makes their preview, as for files sent with a message', async () => {
    const png = await makeImage('png', 120);
    const { id, url } = await create(owner, png.length, { filename: 'dot.png', filetype: 'image/png' });
    expect((await patch(owner, url, 0, png)).status).toBe(204);
    const [attachment] = (await sendWith(owner, [id])).attachments;
    expect(attachment).toMatchObject({ content_type: 'image/png', width: 120, height: 120 });
    expect(attachment!.thumbnail_url).toBeDefined();
  });

  it('resumes after a connection cut mid-PATCH: what arrived stays, and continuing yields the exact bytes', async () => {
    const bytes = randomBytes(1024 * 1024);
    const { id, url } = await create(owner, bytes.length);
    const sentFirst = 400 * 1024;
    // One PATCH that declares the whole file, cut after 400 KiB have reached the server's disk.
    const request = http.request(new URL(`${server.url}${url}`), {
      method: 'PATCH',
      headers: { authorization: tokenOf(owner), 'tus-resumable': '1.0.0', 'content-type': TUS_CONTENT_TYPE, 'upload-offset': '0', 'content-length': String(bytes.length) },
    });
    request.on('error', () => undefined);
    request.write(bytes.subarray(0, sentFirst));
    for (let i = 0; i < 200; i++) {
      const size = await fs.stat(partPath(general.id, id)).then(
        (s) => s.size,
        () => 0,
      );
      if (size >= sentFirst) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    request.destroy();
    // The server notices the cut, keeps what it stored, and says so.
    let offset = 0;
    for (let i = 0; i < 200 && offset === 0; i++) {
      offset = (await offsetOf(owner, url))!;
      if (offset === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(offset).toBe(sentFirst);
    // Continuing at a wrong offset is refused with where to continue from.
    const wrong = await patch(owner, url, 1000, bytes.subarray(1000));
    expect(await errorOf(wrong)).toMatchObject({ status: 409, code: 90181 });
    expect((await patch(owner, url, offset, bytes.subarray(offset))).status).toBe(204);
    const [attachment] = (await sendWith(owner, [id])).attachments;
    expect(sha(await download(attachment!.url))).toBe(sha(bytes));
  });

  it('a newer PATCH for the same upload ends one still hanging on a dead connection', async () => {
    const bytes = randomBytes(200_000);
    const { url } = await create(owner, bytes.length);
    const stalled = http.request(new URL(`${server.url}${url}`), {
      method: 'PATCH',
      headers: { authorization: tokenOf(owner), 'tus-resumable': '1.0.0', 'content-type': TUS_CONTENT_TYPE, 'upload-offset': '0', 'content-length': String(bytes.length) },
    });
    stalled.on('error', () => undefined);
    stalled.write(bytes.subarray(0, 50_000));
    await new Promise((resolve) => setTimeout(resolve, 100));
    // The client gave up on it (it still looks open to the server) and asks where things stand.
    const offset = (await offsetOf(owner, url))!;
    const response = await patch(owner, url, offset, bytes.subarray(offset));
    // The first one is ended and its bytes counted: this one started at an offset that has moved on, or went through.
    if (response.status === 409) {
      const now = (await offsetOf(owner, url))!;
      expect((await patch(owner, url, now, bytes.subarray(now))).status).toBe(204);
    } else expect(response.status).toBe(204);
    expect(await offsetOf(owner, url)).toBe(bytes.length);
    stalled.destroy();
  });

  it('cancels: DELETE removes the upload and what it received', async () => {
    const { id, url } = await create(owner, 5000);
    await patch(owner, url, 0, randomBytes(2000));
    expect((await tus('DELETE', url, tokenOf(owner))).status).toBe(204);
    expect(await offsetOf(owner, url)).toBeNull();
    await expect(fs.stat(folderOf(general.id, id))).rejects.toThrow();
  });
});

describe('the SDK upload client', () => {
  it('uploads a file in chunks against the real server, and the message carries it', async () => {
    const bytes = randomBytes(700_000);
    const progress: number[] = [];
    const upload = new ResumableUpload(owner.client, general.id, new File([new Uint8Array(bytes)], 'report.pdf', { type: 'application/pdf' }), {
      chunkBytes: 256 * 1024,
      onProgress: (p) => progress.push(p.sent),
    });
    const id = await upload.done();
    expect(progress.at(-1)).toBe(bytes.length);
    const [attachment] = (await sendWith(owner, [id])).attachments;
    expect(attachment).toMatchObject({ filename: 'report.pdf', content_type: 'application/pdf', size: bytes.length });
    expect(sha(await download(attachment!.url))).toBe(sha(bytes));
  });
});

describe('limits', () => {
  it('refuses a file over the instance limit before a byte is sent', async () => {
    const response = await tus('POST', uploadsPath(general.id), tokenOf(owner), { 'upload-length': String(MAX_BYTES + 1) });
    expect(await errorOf(response)).toMatchObject({ status: 413, code: 90009, message: 'Files may be at most 2 MiB' });
  });

  it('takes nothing past the declared length: refused up front when declared, cut off while streaming otherwise', async () => {
    const { url } = await create(owner, 1000);
    expect(await errorOf(await patch(owner, url, 0, randomBytes(1001)))).toMatchObject({ status: 413, code: 40005 });
    expect(await offsetOf(owner, url)).toBe(0);
    // Chunked (no Content-Length): the server counts as it goes and stops at the end.
    const streamed = await new Promise<number>((resolve, reject) => {
      const request = http.request(new URL(`${server.url}${url}`), {
        method: 'PATCH',
        headers: { authorization: tokenOf(owner), 'tus-resumable': '1.0.0', 'content-type': TUS_CONTENT_TYPE, 'upload-offset': '0', 'transfer-encoding': 'chunked' },
      });
      request.on('response', (response) => {
        response.resume();
        resolve(response.statusCode!);
      });
      request.on('error', reject);
      const chunk = randomBytes(600);
      request.write(chunk);
      request.write(chunk);
      request.end(chunk);
    });
    expect(streamed).toBe(413);
    expect(await offsetOf(owner, url)).toBe(1000);
  });

  it('holds each person to a number of unfinished uploads and a total of their bytes', async () => {
    const { owner: person, general: channel } = await makeGuild(server);
    const channelId = channel.id;
    const made: string[] = [];
    for (let i = 0; i < UploadLimits.unfinishedBytesFactor; i++) made.push((await create(person, MAX_BYTES, undefined, channelId)).url);
    const overBytes = await tus('POST', uploadsPath(channelId), tokenOf(person), { 'upload-length': '10' });
    expect(await errorOf(overBytes)).toMatchObject({ status: 400, code: 90183 });
    for (const url of made) expect((await tus('DELETE', url, tokenOf(person))).status).toBe(204);
    for (let i = 0; i < UploadLimits.maxUnfinished; i++) await create(person, 10, undefined, channelId);
    const overCount = await tus('POST', uploadsPath(channelId), tokenOf(person), { 'upload-length': '10' });
    expect(await errorOf(overCount)).toMatchObject({ status: 400, code: 90183 });
  });

  it('in an encrypted conversation takes only files with a sealed size, keeping neither name nor type', async () => {
    const { owner: person, general: channel } = await makeGuild(server);
    await server.db.database.db.updateTable('channels').set({ e2ee: 1 }).where('id', '=', channel.id).execute();
    const plain = await tus('POST', uploadsPath(channel.id), tokenOf(person), { 'upload-length': '1000' });
    expect(await errorOf(plain)).toMatchObject({ status: 400, code: 90075 });
    const size = sealedFileSize(1000);
    const created = await tus('POST', uploadsPath(channel.id), tokenOf(person), { 'upload-length': String(size), 'upload-metadata': encodeUploadMetadata({ filename: 'secret.pdf' }) });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const row = await server.db.database.db
      .selectFrom('uploads')
      .selectAll()
      .where('id', '=', id as Snowflake)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ filename: 'encrypted.bin', content_type: 'application/octet-stream', sealed: 1 });
  });
});

describe('who may', () => {
  it('another person cannot see, append to, cancel or send my upload', async () => {
    const bytes = randomBytes(100);
    const { id, url } = await create(owner, bytes.length);
    expect(await offsetOf(other, url)).toBeNull();
    expect(await errorOf(await patch(other, url, 0, bytes))).toMatchObject({ status: 404, code: 90180 });
    expect((await tus('DELETE', url, tokenOf(other))).status).toBe(404);
    expect(await offsetOf(owner, url)).toBe(0);
    expect((await patch(owner, url, 0, bytes)).status).toBe(204);
    expect((await failure(sendWith(other, [id]))).code).toBe(90180);
    // Nor can it be sent to another channel than the one it was made for.
    const elsewhere = (await makeGuild(server)).general;
    await expect(owner.client.request(routes.messages.create, { params: { channel_id: elsewhere.id }, body: { attachments: [{ upload_id: id }] } })).rejects.toThrow();
  });

  it('needs a signed-in person who may attach files in the channel', async () => {
    expect((await tus('POST', uploadsPath(general.id), null, { 'upload-length': '10' })).status).toBe(401);
    const stranger = (await makeGuild(server)).owner;
    expect(await errorOf(await tus('POST', uploadsPath(general.id), tokenOf(stranger), { 'upload-length': '10' }))).toMatchObject({ status: 404, code: 10003 });
  });
});

describe('bad requests get a clear 4xx', () => {
  it('names the header at fault', async () => {
    const post = (headers: Record<string, string>) => tus('POST', uploadsPath(general.id), tokenOf(owner), headers);
    const noVersion = await fetch(new URL(`${API_PREFIX}${uploadsPath(general.id)}`, server.url), { method: 'POST', headers: { authorization: tokenOf(owner), 'upload-length': '10' } });
    expect(await errorOf(noVersion)).toMatchObject({ status: 412, code: 90184 });
    expect(noVersion.headers.get('tus-version')).toBe('1.0.0');
    expect(await errorOf(await post({}))).toMatchObject({ status: 400, code: 90400, message: 'The upload-length header is required' });
    expect(await errorOf(await post({ 'upload-length': '-5' }))).toMatchObject({ status: 400, code: 90400 });
    expect(await errorOf(await post({ 'upload-length': '0' }))).toMatchObject({ status: 400, message: 'Empty files cannot be uploaded' });
    expect(await errorOf(await post({ 'upload-length': '10', 'upload-metadata': 'filename not*base64' }))).toMatchObject({ status: 400, code: 90400 });
    expect(await errorOf(await post({ 'upload-defer-length': '1' }))).toMatchObject({ status: 400, code: 90400 });

    const { url } = await create(owner, 10);
    const wrongType = await tus('PATCH', url, tokenOf(owner), { 'content-type': 'application/octet-stream', 'upload-offset': '0' }, randomBytes(10));
    expect(wrongType.status).toBe(415);
    const noOffset = await tus('PATCH', url, tokenOf(owner), { 'content-type': TUS_CONTENT_TYPE }, randomBytes(10));
    expect(await errorOf(noOffset)).toMatchObject({ status: 400, message: 'The upload-offset header is required' });
    const badOffset = await tus('PATCH', url, tokenOf(owner), { 'content-type': TUS_CONTENT_TYPE, 'upload-offset': 'ten' }, randomBytes(10));
    expect(await errorOf(badOffset)).toMatchObject({ status: 400, code: 90400 });
    expect((await tus('HEAD', `${API_PREFIX}${uploadPath(general.id, 'nope')}`, tokenOf(owner))).status).toBe(404);
  });
});

describe('expiry', () => {
  it('deletes unfinished and unsent uploads after a day without activity, with their bytes', async () => {
    const { id, url } = await create(owner, 5000);
    await patch(owner, url, 0, randomBytes(1000));
    const done = await create(owner, 10);
    await patch(owner, done.url, 0, randomBytes(10));
    clockOffset += UploadLimits.idleExpiryMs + 1000;
    try {
      expect(await offsetOf(owner, url)).toBeNull();
      expect(await server.app.sweepUploads()).toBeGreaterThanOrEqual(2);
      await expect(fs.stat(folderOf(general.id, id))).rejects.toThrow();
      await expect(fs.stat(folderOf(general.id, done.id))).rejects.toThrow();
      const left = await server.db.database.db.selectFrom('uploads').select('id').where('id', 'in', [id, done.id]).execute();
      expect(left).toEqual([]);
    } finally {
      clockOffset -= UploadLimits.idleExpiryMs + 1000;
    }
  });
});
