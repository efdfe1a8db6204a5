import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { API_PREFIX, type Attachment, ChannelType, Limits, routes } from '@parley/protocol';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, makeImage, signUp } from '../../testing/fixtures';
import { createGuild, joinGuild } from '../../testing/guilds';
import { startTestServer, type TestServer } from '../../testing/server';

/** Moves the server's clock forward (link expiry) without touching the machine's. */
let clockOffset = 0;
const clock = { now: () => Date.now() + clockOffset };

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ clock, env: { MESSAGE_RATE_LIMIT: '1000/1' } });
});
afterAll(() => server.close());

/** Every file under the server's attachment store, as paths relative to it. */
async function storedFiles(target: TestServer = server): Promise<string[]> {
  const root = path.join(target.db.dataDir, 'files', 'attachments');
  const entries = await fs.readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.relative(root, path.join(e.parentPath, e.name)));
}

async function download(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(new URL(url, server.url), { headers });
  return { response, body: Buffer.from(await response.arrayBuffer()) };
}

/** A person with their own server, its #general, and a signed-in SDK client. */
async function owner() {
  const person = await signUp(server);
  const { guild, general } = await createGuild(person.client);
  return { ...person, guild, general };
}

/** A chunked multipart request to send a message whose file part never ends: the client keeps writing until answered (at most 64 MiB). */
function streamOversizedUpload(target: TestServer, token: string, channelId: string): Promise<{ status: number; body: string; sent: number; connection: string | undefined }> {
  const boundary = 'parley-test-boundary';
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const request = http.request(
      new URL(`${target.url}${API_PREFIX}/channels/${channelId}/messages`),
      { method: 'POST', headers: { authorization: token, 'content-type': `multipart/form-data; boundary=${boundary}` } },
      (response) => {
        answered = true;
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode!, body, sent, connection: response.headers.connection }));
      },
    );
    request.on('error', (error) => (answered ? undefined : reject(error)));
    request.write(`--${boundary}\r\nContent-Disposition: form-data; name="files[0]"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`);
    const chunk = Buffer.alloc(64 * 1024, 1);
    const pump = () => {
      while (!answered && sent < 64 * 1024 * 1024) {
        sent += chunk.length;
        if (!request.write(chunk)) return void request.once('drain', pump);
      }
      if (!answered) request.end(`\r\n--${boundary}--\r\n`);
    };
    pump();
  });
}

/** A hand-written multipart body, for requests no well-behaved client would send. */
function multipartBody(parts: { name: string; filename?: string; type?: string; data: string | Buffer }[], boundary = 'b0undary'): Buffer {
  const chunks = parts.flatMap((p) => [
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"${p.filename !== undefined ? `; filename="${p.filename}"` : ''}\r\n${p.type ? `Content-Type: ${p.type}\r\n` : ''}\r\n`,
    ),
    Buffer.isBuffer(p.data) ? p.data : Buffer.from(p.data),
    Buffer.from('\r\n'),
  ]);
  return Buffer.concat([...chunks, Buffer.from(`--${boundary}--\r\n`)]);
}

/** Posts a raw body to the send-message route over a real connection. */
async function postMultipart(token: string, channelId: string, payload: Buffer | string, contentType = 'multipart/form-data; boundary=b0undary') {
  const body = typeof payload === 'string' ? payload : new Uint8Array(payload);
  const response = await fetch(`${server.url}${API_PREFIX}/channels/${channelId}/messages`, { method: 'POST', headers: { authorization: token, 'content-type': contentType }, body });
  return { status: response.status, body: (await response.json()) as { code: number; message: string; errors?: Record<string, unknown> } };
}

describe('sending files with a message', () => {
  it('stores an image and a text file, describes them in the message and in MESSAGE_CREATE, and serves them', async () => {
    const me = await owner();
    const live = await server.connect(me.client.token!);
    const photo = await sharp({ create: { width: 800, height: 600, channels: 3, background: { r: 10, g: 120, b: 200 } } })
      .png()
      .toBuffer();
    const created = live.gateway.once('MESSAGE_CREATE', (m) => m.nonce === 'with-files');
    const message = await me.client.request(routes.messages.create, {
      params: { channel_id: me.general.id },
      body: { content: 'holiday pictures', nonce: 'with-files' },
      files: [new File([photo], 'beach.png', { type: 'image/png' }), new File(['packing list\n'], 'notes.txt', { type: 'text/plain' })],
    });

    expect(message.content).toBe('holiday pictures');
    const [image, text] = message.attachments as [Attachment, Attachment];
    expect(image).toMatchObject({ filename: 'beach.png', size: photo.length, content_type: 'image/png', width: 800, height: 600 });
    expect(image.url).toMatch(new RegExp(`^/attachments/${me.general.id}/${image.id}/beach\\.png\\?ex=[0-9a-f]+&is=[0-9a-f]+&hm=[0-9a-f]{64}$`));
    expect(image.thumbnail_url).toBe(`${image.url}&thumbnail=1`);
    expect(text).toMatchObject({ filename: 'notes.txt', size: 13, content_type: 'text/plain', width: null, height: null });
    expect(text.thumbnail_url).toBeUndefined();
    // Everyone in the channel hears of the files with the message, and history keeps them.
    expect((await created).attachments).toEqual(message.attachments);
    const [stored] = await me.client.request(routes.messages.list, { params: { channel_id: me.general.id }, query: { limit: 1 } });
    expect(stored!.attachments).toEqual(message.attachments);

    const original = await download(image.url);
    expect(original.response.status).toBe(200);
    expect(original.body.equals(photo)).toBe(true);
    expect(original.response.headers.get('content-type')).toBe('image/png');
    expect(original.response.headers.get('content-disposition')).toBe(`inline; filename="beach.png"; filename*=UTF-8''beach.png`);
    expect(original.response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(original.response.headers.get('content-security-policy')).toContain('sandbox');

    const thumbnail = await download(image.thumbnail_url!);
    expect(thumbnail.response.headers.get('content-type')).toBe('image/webp');
    const preview = await sharp(thumbnail.body).metadata();
    expect([preview.format, preview.width, preview.height]).toEqual(['webp', 400, 300]);

    const notes = await download(text.url);
    expect(notes.body.toString()).toBe('packing list\n');
    expect(notes.response.headers.get('content-disposition')).toBe(`attachment; filename="notes.txt"; filename*=UTF-8''notes.txt`);
  });

  it('sends files without text, reads image sizes as displayed, and answers byte ranges', async () => {
    const me = await owner();
    // 40×20 pixels, with an EXIF orientation that turns it upright: shown 20 wide, 40 high.
    const rotated = await sharp({ create: { width: 40, height: 20, channels: 3, background: 'red' } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const message = await me.client.request(routes.messages.create, {
      params: { channel_id: me.general.id },
      files: [new File([rotated], 'phone.jpg', { type: 'image/jpeg' }), new File(['0123456789'], 'digits.bin')],
    });
    expect(message.content).toBe('');
    expect(message.attachments[0]).toMatchObject({ content_type: 'image/jpeg', width: 20, height: 40 });

    const digits = message.attachments[1]!;
    expect(digits.content_type).toBe('application/octet-stream');
    const part = await download(digits.url, { range: 'bytes=2-5' });
    expect(part.response.status).toBe(206);
    expect(part.response.headers.get('content-range')).toBe('bytes 2-5/10');
    expect(part.body.toString()).toBe('2345');
    expect((await download(digits.url, { range: 'bytes=-3' })).body.toString()).toBe('789');
    const beyond = await download(digits.url, { range: 'bytes=10-' });
    expect(beyond.response.status).toBe(416);
    expect(beyond.response.headers.get('content-range')).toBe('bytes */10');

    // A text file is sent as stored even to a client that takes compression (API answers are
    // compressed): its length stays known for progress bars, its ranges refer to the file.
    const [log] = (await me.client.request(routes.messages.create, { params: { channel_id: me.general.id }, files: [new File(['line of a log\n'.repeat(400)], 'server.log')] })).attachments;
    const whole = await download(log!.url, { 'accept-encoding': 'br, gzip' });
    expect(whole.response.headers.get('content-encoding')).toBeNull();
    expect(whole.response.headers.get('content-length')).toBe(String(14 * 400));
    const tail = await download(log!.url, { 'accept-encoding': 'br, gzip', range: 'bytes=-14' });
    expect([tail.response.status, tail.response.headers.get('content-encoding'), tail.body.toString()]).toEqual([206, null, 'line of a log\n']);
  });

  it('the SDK sends files with progress and cancelling (send): done reports complete, a cancelled send stores nothing', async () => {
    const me = await owner();
    const progress: number[] = [];
    const message = await me.client.send(
      routes.messages.create,
      { params: { channel_id: me.general.id }, body: { content: 'with progress' }, files: [new File(['abc'], 'abc.txt')] },
      { onProgress: (sent, total) => progress.push(sent / total) },
    );
    expect(message.attachments.map((a) => a.filename)).toEqual(['abc.txt']);
    expect(progress.at(-1)).toBe(1);

    const before = await storedFiles();
    const controller = new AbortController();
    controller.abort();
    const cancelled = await me.client
      .send(routes.messages.create, { params: { channel_id: me.general.id }, files: [new File(['never'], 'never.txt')] }, { signal: controller.signal })
      .catch((error: unknown) => error);
    expect(cancelled).toMatchObject({ name: 'AbortError' });
    expect(await storedFiles()).toEqual(before);
  });

  it('never lets an uploaded page or script render: HTML, SVG and files claiming to be images are downloads', async () => {
    const me = await owner();
    const message = await me.client.request(routes.messages.create, {
      params: { channel_id: me.general.id },
      files: [
        new File(['<script>alert(1)</script>'], 'page.html', { type: 'text/html' }),
        new File(['<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'], 'logo.svg', { type: 'image/svg+xml' }),
        new File(['<html><script>alert(1)</script></html>'], 'cat.png', { type: 'image/png' }),
        new File(['alert(1)'], 'app.js', { type: 'text/javascript; charset=utf-8' }),
      ],
    });
    expect(message.attachments.map((a) => [a.content_type, a.width, a.thumbnail_url])).toEqual([
      ['text/html', null, undefined],
      ['image/svg+xml', null, undefined],
      ['application/octet-stream', null, undefined],
      ['text/javascript', null, undefined],
    ]);
    for (const attachment of message.attachments) {
      const { response } = await download(attachment.url);
      expect(response.headers.get('content-type')).toBe(attachment.content_type);
      expect(response.headers.get('content-disposition')).toMatch(/^attachment; /);
      expect(response.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it('cleans up file names: no directories, no control or direction characters, at most 255 characters with the extension kept', async () => {
    const me = await owner();
    const long = `${'a'.repeat(300)}.tar.gz`;
    const message = await me.client.request(routes.messages.create, {
      params: { channel_id: me.general.id },
      files: [
        new File(['x'], '../../etc/passwd'),
        new File(['x'], 'C:\\Users\\me\\report.pdf'),
        new File(['x'], 'invoice\u202Etxt.exe'),
        new File(['x'], long),
        new File(['x'], 'résumé — 2024 ✓.pdf'),
        new File(['x'], ' .. '),
      ],
    });
    const names = message.attachments.map((a) => a.filename);
    expect(names.slice(0, 3)).toEqual(['passwd', 'report.pdf', 'invoicetxt.exe']);
    expect(Array.from(names[3]!)).toHaveLength(Limits.filenameMax);
    expect(names[3]).toMatch(/^a+\.gz$/);
    expect(names.slice(4)).toEqual(['résumé — 2024 ✓.pdf', 'file']);
    // Unusual names survive the round trip through the link and the download header.
    const { response } = await download(message.attachments[4]!.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="r_sum_ _ 2024 _.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%E2%80%94%202024%20%E2%9C%93.pdf`);
    expect((await download(message.attachments[3]!.url)).response.status).toBe(200);
  });

  it('deletes the files with the message', async () => {
    const me = await owner();
    const message = await me.client.request(routes.messages.create, { params: { channel_id: me.general.id }, files: [new File([new Uint8Array(await makeImage('png'))], 'dot.png')] });
    const prefix = `${me.general.id}/${message.attachments[0]!.id}/`;
    expect((await storedFiles()).filter((f) => f.startsWith(prefix)).sort()).toEqual([`${prefix}file`, `${prefix}thumb.webp`]);
    await me.client.request(routes.messages.delete, { params: { channel_id: me.general.id, message_id: message.id } });
    expect((await storedFiles()).filter((f) => f.startsWith(prefix))).toEqual([]);
    expect((await download(message.attachments[0]!.url)).response.status).toBe(404);
  });
});

describe('who may download', () => {
  it('refuses links whose signature is missing, altered, moved to another file or expired', async () => {
    const me = await owner();
    const message = await me.client.request(routes.messages.create, {
      params: { channel_id: me.general.id },
      files: [new File(['first'], 'a.txt'), new File(['second'], 'b.txt')],
    });
    const [a, b] = message.attachments as [Attachment, Attachment];
    expect((await download(a.url)).response.status).toBe(200);
    const url = new URL(a.url, server.url);
    const tamper = (change: (params: URLSearchParams) => void) => {
      const copy = new URL(url);
      change(copy.searchParams);
      return copy.toString();
    };
    const refused = [
      `${url.origin}${url.pathname}`,
      tamper((p) => p.set('hm', 'f'.repeat(64))),
      tamper((p) => p.set('hm', p.get('hm')!.slice(0, 63))),
      tamper((p) => p.set('ex', (Number.parseInt(p.get('ex')!, 16) + 86_400).toString(16))),
      tamper((p) => p.set('is', '0')),
      tamper((p) => p.delete('ex')),
      // A's signature on B's path.
      `${url.origin}/attachments/${me.general.id}/${b.id}/b.txt${url.search}`,
    ];
    for (const link of refused) {
      const { response, body } = await download(link);
      expect(response.status, link).toBe(403);
      expect(JSON.parse(body.toString())).toMatchObject({ code: 50001 });
    }
    // A genuine signature with another file name is no file at all.
    expect((await download(`${url.origin}/attachments/${me.general.id}/${a.id}/other.txt${url.search}`)).response.status).toBe(404);

    clockOffset = 25 * 60 * 60 * 1000;
    try {
      expect((await download(a.url)).response.status).toBe(403);
      // Loading the message again gives a fresh link.
      const again = await me.client.request(routes.messages.get, { params: { channel_id: me.general.id, message_id: message.id } });
      expect(again.attachments[0]!.url).not.toBe(a.url);
      expect((await download(again.attachments[0]!.url)).response.status).toBe(200);
    } finally {
      clockOffset = 0;
    }
  });

  it('gives links only to people who can read the channel: a private channel’s files stay with its members', async () => {
    const me = await owner();
    const friend = await signUp(server);
    await joinGuild(me.client, friend.client, me.general);
    const secret = await me.client.request(routes.channels.create, { params: { guild_id: me.guild.id }, body: { name: 'secret', private: true } });
    const hidden = await me.client.request(routes.messages.create, { params: { channel_id: secret.id }, files: [new File(['plans'], 'plans.txt')] });
    const shared = await me.client.request(routes.messages.create, { params: { channel_id: me.general.id }, files: [new File(['hello'], 'hello.txt')] });
    const hiddenFile = hidden.attachments[0]!;

    // The friend reads #general (and downloads from it) but gets nothing of #secret.
    const friendView = await friend.client.request(routes.messages.get, { params: { channel_id: me.general.id, message_id: shared.id } });
    expect((await download(friendView.attachments[0]!.url)).response.status).toBe(200);
    expect((await failure(friend.client.request(routes.messages.list, { params: { channel_id: secret.id } }))).code).toBe(50001);
    expect((await failure(friend.client.request(routes.messages.get, { params: { channel_id: secret.id, message_id: hidden.id } }))).code).toBe(50001);
    // Guessing the path, or borrowing the signature of a file they may see, opens nothing.
    const theirs = new URL(friendView.attachments[0]!.url, server.url);
    for (const guess of [`/attachments/${secret.id}/${hiddenFile.id}/plans.txt`, `/attachments/${secret.id}/${hiddenFile.id}/plans.txt${theirs.search}`]) {
      const { response } = await download(guess, { authorization: friend.client.token! });
      expect(response.status).toBe(403);
    }
    // Nor can they put files into it.
    const upload = await failure(friend.client.request(routes.messages.create, { params: { channel_id: secret.id }, files: [new File(['x'], 'x.txt')] }));
    expect(upload.code).toBe(50001);
    expect((await storedFiles()).filter((f) => f.startsWith(`${secret.id}/`))).toEqual([`${secret.id}/${hiddenFile.id}/file`]);
  });

  it('works the same in DMs: both recipients get working links', async () => {
    const me = await signUp(server);
    const friend = await signUp(server);
    const dm = await me.client.request(routes.channels.openDm, { body: { recipient_id: friend.userId } });
    expect(dm.type).toBe(ChannelType.DM);
    const sent = await me.client.request(routes.messages.create, { params: { channel_id: dm.id }, files: [new File(['psst'], 'note.txt')] });
    const [received] = await friend.client.request(routes.messages.list, { params: { channel_id: dm.id } });
    expect(received!.attachments[0]!.id).toBe(sent.attachments[0]!.id);
    expect((await download(received!.attachments[0]!.url)).body.toString()).toBe('psst');
  });
});

describe('upload limits and bad multipart', () => {
  it('cuts off a file over ATTACHMENT_MAX_BYTES while it streams, before the client has finished sending, keeping nothing', async () => {
    const small = await startTestServer({ env: { ATTACHMENT_MAX_BYTES: String(1024 * 1024) } });
    try {
      const person = await signUp(small);
      const { general } = await createGuild(person.client);
      const result = await streamOversizedUpload(small, person.client.token!, general.id);
      expect(result.status).toBe(413);
      expect(JSON.parse(result.body)).toEqual({ code: 90009, message: 'Files may be at most 1 MiB' });
      expect(result.sent).toBeLessThan(64 * 1024 * 1024);
      // The rest of the body is not read: the server closes the connection instead.
      expect(result.connection).toBe('close');
      expect(await storedFiles(small)).toEqual([]);

      // A first file that fit is not kept either when a later one is refused, and no message is sent.
      const refused = await failure(
        person.client.request(routes.messages.create, {
          params: { channel_id: general.id },
          body: { content: 'two files' },
          files: [new File(['fits'], 'small.txt'), new File([new Uint8Array(1024 * 1024 + 1)], 'big.bin')],
        }),
      );
      expect(refused).toMatchObject({ status: 413, code: 90009 });
      expect(await storedFiles(small)).toEqual([]);
      expect(await person.client.request(routes.messages.list, { params: { channel_id: general.id } })).toEqual([]);
      // Exactly the limit is fine.
      const fits = await person.client.request(routes.messages.create, { params: { channel_id: general.id }, files: [new File([new Uint8Array(1024 * 1024)], 'max.bin')] });
      expect(fits.attachments[0]!.size).toBe(1024 * 1024);
    } finally {
      await small.close();
    }
  });

  it(`refuses more than ${Limits.attachmentsPerMessage} files, keeping none`, async () => {
    const me = await owner();
    const files = Array.from({ length: Limits.attachmentsPerMessage + 1 }, (_, i) => new File([`file ${i}`], `f${i}.txt`));
    const error = await failure(me.client.request(routes.messages.create, { params: { channel_id: me.general.id }, body: { content: 'many' }, files }));
    expect(error).toMatchObject({ status: 400, code: 50035 });
    expect(error.problems.map((p) => p.path.join('.'))).toEqual(['files']);
    expect((await storedFiles()).filter((f) => f.startsWith(`${me.general.id}/`))).toEqual([]);
    expect(await me.client.request(routes.messages.list, { params: { channel_id: me.general.id } })).toEqual([]);
    const ten = await me.client.request(routes.messages.create, { params: { channel_id: me.general.id }, files: files.slice(0, Limits.attachmentsPerMessage) });
    expect(ten.attachments).toHaveLength(Limits.attachmentsPerMessage);
  });

  it('answers malformed multipart and bad payload_json with a clear 400, keeping no file', async () => {
    const me = await owner();
    const token = me.client.token!;
    const channel = me.general.id;
    const file = { name: 'files[0]', filename: 'a.txt', type: 'text/plain', data: 'hello' };

    const noBoundary = await postMultipart(token, channel, 'whatever', 'multipart/form-data');
    expect(noBoundary.status).toBe(400);
    expect(noBoundary.body).toMatchObject({ code: 90400, message: expect.stringContaining('multipart/form-data') });

    // The body stops in the middle of the file: no closing boundary.
    const truncated = multipartBody([file]).subarray(0, 120);
    const cut = await postMultipart(token, channel, truncated);
    expect(cut.status).toBe(400);
    expect(cut.body).toMatchObject({ code: 90400, message: expect.stringContaining('Malformed multipart/form-data body') });
    // The same with the whole body in hand before parsing starts, when the parser gives up on the
    // file part before it is handed over (what a slow permission check can also lead to).
    const injected = await server.app.inject({
      method: 'POST',
      url: `${API_PREFIX}/channels/${channel}/messages`,
      headers: { authorization: token, 'content-type': 'multipart/form-data; boundary=b0undary' },
      payload: truncated,
    });
    expect(injected.statusCode).toBe(400);
    expect(injected.json()).toMatchObject({ code: 90400 });

    const badJson = await postMultipart(token, channel, multipartBody([file, { name: 'payload_json', data: '{"content": ' }]));
    expect(badJson).toMatchObject({ status: 400, body: { code: 50109 } });
    const badJsonTyped = await postMultipart(token, channel, multipartBody([file, { name: 'payload_json', type: 'application/json', data: '{nope' }]));
    expect(badJsonTyped).toMatchObject({ status: 400, body: { code: 50109 } });

    const strayField = await postMultipart(token, channel, multipartBody([{ name: 'content', data: 'hi' }, file]));
    expect(strayField).toMatchObject({ status: 400, body: { code: 90400, message: expect.stringContaining('unexpected field "content"') } });

    // payload_json is validated by the same schema as a JSON body, after the files arrived.
    const invalid = await postMultipart(token, channel, multipartBody([file, { name: 'payload_json', data: JSON.stringify({ content: 'x'.repeat(4001) }) }]));
    expect(invalid).toMatchObject({ status: 400, body: { code: 50035, errors: { content: expect.anything() } } });
    const huge = await postMultipart(token, channel, multipartBody([file, { name: 'payload_json', data: JSON.stringify({ content: 'x', nonce: 'y'.repeat(Limits.jsonBodyMaxBytes) }) }]));
    expect(huge).toMatchObject({ status: 413, body: { code: 40005 } });
    const notAnObject = await postMultipart(token, channel, multipartBody([file, { name: 'payload_json', data: '[1, 2]' }]));
    expect(notAnObject).toMatchObject({ status: 400, body: { code: 50035 } });

    expect((await storedFiles()).filter((f) => f.startsWith(`${channel}/`))).toEqual([]);
    expect(await me.client.request(routes.messages.list, { params: { channel_id: channel } })).toEqual([]);

    // A well-formed one from the same hand goes through, payload_json included.
    const good = await postMultipart(token, channel, multipartBody([file, { name: 'payload_json', type: 'application/json', data: '{"content":"ok"}' }]));
    expect(good.status).toBe(200);
    expect(good.body).toMatchObject({ content: 'ok', attachments: [{ filename: 'a.txt', size: 5 }] });
  });

  it('keeps multipart to the routes that take files, and JSON messages as they were', async () => {
    const me = await owner();
    const profile = await server.app.inject({
      method: 'PATCH',
      url: `${API_PREFIX}/users/@me`,
      headers: { authorization: me.client.token!, 'content-type': 'multipart/form-data; boundary=b0undary' },
      payload: multipartBody([{ name: 'payload_json', data: '{"bio":"hi"}' }]),
    });
    expect(profile.statusCode).toBe(415);
    const plain = await me.client.request(routes.messages.create, { params: { channel_id: me.general.id }, body: { content: 'just text' } });
    expect(plain).toMatchObject({ content: 'just text', attachments: [] });
    // Files need an account, checked before a byte of them is read.
    const anonymous = await failure(server.client().request(routes.messages.create, { params: { channel_id: me.general.id }, files: [new File(['x'], 'x.txt')] }));
    expect(anonymous.status).toBe(401);
  });
});
