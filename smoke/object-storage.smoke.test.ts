import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestS3, startTestS3 } from '../packages/server/src/testing/s3';
import { call, jsonInit, register } from './client';
import { type RunningParley, startParley } from './npm-start';

/**
 * The real `npm start` with FILES_S3_URL, against an S3-compatible server on 127.0.0.1: a file
 * sent with a message is stored in the bucket (not under DATA_DIR), downloaded whole and by
 * range, and deleted with its message; a FILES_S3_URL that is wrong stops the start, saying why.
 */
let s3: TestS3;
let parley: RunningParley;
let bucketFolder: string;
beforeAll(async () => {
  s3 = await startTestS3();
  const url = s3.url();
  bucketFolder = new URL(url).pathname.split('/').slice(2).join('/');
  parley = await startParley({ env: { FILES_S3_URL: url } });
});
afterAll(async () => {
  await parley?.stop();
  await s3?.close();
});

describe('object storage', () => {
  it('a file sent with a message lives in the bucket, is served from it (ranges too), and goes with the message', async () => {
    const { token } = await register(parley.baseUrl, 's3');
    const auth = { authorization: token };
    const guild = (await call(parley.baseUrl, '/api/v10/guilds', jsonInit('POST', { name: 'Bucket' }, auth))).json as { id: string };
    const channels = (await call(parley.baseUrl, `/api/v10/guilds/${guild.id}/channels`, { headers: auth })).json as { id: string; type: number }[];
    const channel = channels.find((c) => c.type === 0)!;

    const form = new FormData();
    form.set('payload_json', JSON.stringify({ content: 'notes attached' }));
    form.set('files[0]', new Blob(['0123456789abcdefghij'], { type: 'text/plain' }), 'notes.txt');
    const sent = await call(parley.baseUrl, `/api/v10/channels/${channel.id}/messages`, { method: 'POST', headers: auth, body: form });
    expect(sent.status, sent.text).toBe(200);
    const message = sent.json as { id: string; attachments: { id: string; url: string }[] };
    const [attachment] = message.attachments;
    expect(await s3.objects(`${bucketFolder}/attachments/${channel.id}/`)).toEqual([`${bucketFolder}/attachments/${channel.id}/${attachment!.id}/file`]);

    const url = new URL(attachment!.url, parley.baseUrl).toString();
    expect((await call(url, '')).text).toBe('0123456789abcdefghij');
    const range = await call(url, '', { headers: { range: 'bytes=10-14' } });
    expect(range.status).toBe(206);
    expect(range.text).toBe('abcde');

    const deleted = await call(parley.baseUrl, `/api/v10/channels/${channel.id}/messages/${message.id}`, { method: 'DELETE', headers: auth });
    expect(deleted.status).toBe(204);
    expect(await s3.objects(`${bucketFolder}/attachments/${channel.id}/`)).toEqual([]);
  });

  it('a wrong FILES_S3_URL stops the start with a message naming the setting', async () => {
    const refused = await startParley({ env: { FILES_S3_URL: 's3://KEY:hunter2@127.0.0.1/Not_A_Bucket' } }).then(
      (started) => started.stop().then(() => new Error('started')),
      (error: Error) => error,
    );
    expect(refused.message).toMatch(/FILES_S3_URL: Needs a bucket name/);
    expect(refused.message).not.toContain('hunter2');
  });
});
