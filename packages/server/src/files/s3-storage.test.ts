import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { API_PREFIX, type Message, type Snowflake, TUS_CONTENT_TYPE, encodeUploadMetadata, routes, uploadsPath } from '@parley/protocol';
import { ResumableUpload } from '@parley/sdk/uploads';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../config';
import { blobOf, makeGuild, makeImage, type Person } from '../testing/fixtures';
import { type TestS3, startTestS3 } from '../testing/s3';
import { startTestServer, type TestServer } from '../testing/server';
import { openFileStore } from './open-file-store';
import { parseS3Url } from './s3-url';

/**
 * The whole server with FILES_S3_URL set, as `npm start` builds it: every file a person sends
 * (attachments by form and by resumable upload, avatars) lands in the bucket and nowhere under
 * DATA_DIR, is served from there (byte ranges too), and goes when what holds it goes.
 */
let s3: TestS3;
let server: TestServer;
/** Where this server's files sit in the bucket. */
let prefix: string;
let owner: Person;
let general: { id: Snowflake };
beforeAll(async () => {
  s3 = await startTestS3();
  const url = s3.url();
  prefix = parseS3Url(url).keyPrefix;
  server = await startTestServer({ env: { FILES_S3_URL: url, MESSAGE_RATE_LIMIT: '1000/1' } });
  ({ owner, general } = await makeGuild(server));
});
afterAll(async () => {
  await server?.close();
  await s3?.close();
});

/** The bucket's objects for this server, without the prefix. */
const objects = async (under = '') => (await s3.objects(prefix + under)).map((key) => key.slice(prefix.length));
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function download(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(new URL(url, server.url), { headers });
  return { response, body: Buffer.from(await response.arrayBuffer()) };
}

function tus(method: string, url: string, headers: Record<string, string> = {}, body?: Buffer): Promise<Response> {
  return fetch(new URL(url.startsWith(API_PREFIX) ? url : `${API_PREFIX}${url}`, server.url), {
    method,
    headers: { 'tus-resumable': '1.0.0', authorization: owner.client.token!, ...headers },
    ...(body && { body: new Uint8Array(body) }),
  });
}

function sendWith(uploadIds: Snowflake[]): Promise<Message> {
  return owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'here', attachments: uploadIds.map((upload_id, id) => ({ id, upload_id })) } });
}

describe('files in an S3 bucket (FILES_S3_URL)', () => {
  it('attachments sent with a message are stored in the bucket, served with byte ranges, and deleted with the message', async () => {
    const photo = await makeImage('png', 400);
    const notes = Buffer.from('0123456789abcdefghij');
    const message = await owner.client.request(routes.messages.create, {
      params: { channel_id: general.id },
      body: { content: 'files' },
      files: [new File([new Uint8Array(photo)], 'photo.png', { type: 'image/png' }), new File([new Uint8Array(notes)], 'notes.txt', { type: 'text/plain' })],
    });
    const [image, text] = message.attachments;
    expect(await objects(`attachments/${general.id}/`)).toEqual(
      [`attachments/${general.id}/${image!.id}/file`, `attachments/${general.id}/${image!.id}/thumb.webp`, `attachments/${general.id}/${text!.id}/file`].sort(),
    );
    // Nothing of it on the server's own disk.
    expect(await fs.readdir(path.join(server.db.dataDir, 'files')).catch(() => [])).toEqual([]);

    const whole = await download(image!.url);
    expect(whole.response.status).toBe(200);
    expect(sha(whole.body)).toBe(sha(photo));
    const part = await download(text!.url, { range: 'bytes=10-14' });
    expect(part.response.status).toBe(206);
    expect(part.response.headers.get('content-range')).toBe(`bytes 10-14/${notes.length}`);
    expect(part.body.toString()).toBe('abcde');
    const suffix = await download(text!.url, { range: 'bytes=-3' });
    expect(suffix.body.toString()).toBe('hij');
    const thumbnail = await download(`${image!.url}&thumbnail=1`);
    expect(await sharp(thumbnail.body).metadata()).toMatchObject({ format: 'webp' });

    await owner.client.request(routes.messages.delete, { params: { channel_id: general.id, message_id: message.id } });
    expect(await objects(`attachments/${general.id}/${image!.id}/`)).toEqual([]);
    expect(await objects(`attachments/${general.id}/${text!.id}/`)).toEqual([]);
  });

  it('a resumable upload gathers in the bucket as it arrives, becomes one file when finished, and goes with its message', async () => {
    const bytes = randomBytes(300_000);
    const created = await tus('POST', uploadsPath(general.id), {
      'upload-length': String(bytes.length),
      'upload-metadata': encodeUploadMetadata({ filename: 'data.bin', filetype: 'application/octet-stream' }),
    });
    expect(created.status).toBe(201);
    const { id, url } = (await created.json()) as { id: Snowflake; url: string };
    const folder = `attachments/${general.id}/${id}/`;

    expect((await tus('PATCH', url, { 'content-type': TUS_CONTENT_TYPE, 'upload-offset': '0' }, bytes.subarray(0, 100_000))).status).toBe(204);
    expect(Number((await tus('HEAD', url)).headers.get('upload-offset'))).toBe(100_000);
    // Unfinished: what arrived is in the bucket, as the parts of the upload (S3 has no append).
    expect(await objects(folder)).toEqual([`${folder}upload.part~parts/00000000`]);
    const wrong = await tus('PATCH', url, { 'content-type': TUS_CONTENT_TYPE, 'upload-offset': '5' }, bytes.subarray(5, 10));
    expect(wrong.status).toBe(409);

    expect((await tus('PATCH', url, { 'content-type': TUS_CONTENT_TYPE, 'upload-offset': '100000' }, bytes.subarray(100_000))).status).toBe(204);
    expect(await objects(folder)).toEqual([`${folder}file`]);

    const message = await sendWith([id]);
    const [attachment] = message.attachments;
    expect(attachment).toMatchObject({ filename: 'data.bin', size: bytes.length });
    expect(sha((await download(attachment!.url)).body)).toBe(sha(bytes));
    const range = await download(attachment!.url, { range: 'bytes=99990-100009' });
    expect(range.response.status).toBe(206);
    expect(range.body).toEqual(bytes.subarray(99_990, 100_010));

    await owner.client.request(routes.messages.delete, { params: { channel_id: general.id, message_id: message.id } });
    expect(await objects(folder)).toEqual([]);
  });

  it("the SDK's resumable upload of a larger file, in chunks, arrives whole", async () => {
    const bytes = randomBytes(3 * 1024 * 1024 + 17);
    const upload = new ResumableUpload(owner.client, general.id, new File([new Uint8Array(bytes)], 'archive.zip', { type: 'application/zip' }), { chunkBytes: 1024 * 1024 });
    const id = await upload.done();
    const [attachment] = (await sendWith([id])).attachments;
    expect(sha((await download(attachment!.url)).body)).toBe(sha(bytes));
    expect(await objects(`attachments/${general.id}/${id}/`)).toEqual([`attachments/${general.id}/${id}/file`]);
  });

  it('a cancelled upload leaves nothing in the bucket', async () => {
    const created = await tus('POST', uploadsPath(general.id), { 'upload-length': '1000', 'upload-metadata': encodeUploadMetadata({ filename: 'gone.bin' }) });
    const { id, url } = (await created.json()) as { id: Snowflake; url: string };
    await tus('PATCH', url, { 'content-type': TUS_CONTENT_TYPE, 'upload-offset': '0' }, randomBytes(400));
    expect(await objects(`attachments/${general.id}/${id}/`)).toHaveLength(1);
    expect((await tus('DELETE', url)).status).toBe(204);
    expect(await objects(`attachments/${general.id}/${id}/`)).toEqual([]);
  });

  it('avatars are stored in and served from the bucket; a replaced one is deleted', async () => {
    const first = await owner.client.request(routes.users.uploadAvatar, { body: blobOf(await makeImage('png', 300), 'image/png') });
    expect(await objects(`avatars/${owner.userId}/`)).toEqual([`avatars/${owner.userId}/${first.avatar}.webp`]);
    const served = await fetch(`${server.url}/cdn/avatars/${owner.userId}/${first.avatar}.png`);
    expect(served.status).toBe(200);
    expect(await sharp(Buffer.from(await served.arrayBuffer())).metadata()).toMatchObject({ format: 'webp', width: 256 });
    const second = await owner.client.request(routes.users.uploadAvatar, { body: blobOf(await makeImage('jpeg', 300), 'image/jpeg') });
    expect(await objects(`avatars/${owner.userId}/`)).toEqual([`avatars/${owner.userId}/${second.avatar}.webp`]);
    await owner.client.request(routes.users.updateMe, { body: { avatar: null } });
    expect(await objects(`avatars/${owner.userId}/`)).toEqual([]);
  });

  it('a bucket that is missing or refuses the credentials stops the start with a clear message', async () => {
    const { port } = new URL(s3.url().replace('s3:', 'http:'));
    const missing = parseConfig({ FILES_S3_URL: `s3://S3RVER:S3RVER@127.0.0.1:${port}/no-such-bucket?tls=false` });
    await expect(openFileStore(missing.dataDir, missing.filesS3)).rejects.toThrow('FILES_S3_URL: bucket "no-such-bucket" at http://127.0.0.1');
    const stranger = parseConfig({ FILES_S3_URL: `s3://NOBODY:nothing@127.0.0.1:${port}/parley-test?tls=false` });
    await expect(openFileStore(stranger.dataDir, stranger.filesS3)).rejects.toThrow(/FILES_S3_URL: bucket "parley-test" .* access denied/);
  });
});
