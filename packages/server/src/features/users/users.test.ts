import { randomBytes } from 'node:crypto';
import { sessionOf } from '@parley/sdk';
import http from 'node:http';
import { routes } from '@parley/protocol';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobOf, failure, makeGuild, makeImage, signUp, uniqueName } from '../../testing/fixtures';
import { startTestServer, type TestServer } from '../../testing/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

async function fetchAvatar(userId: string, hash: string) {
  const response = await fetch(`${server.url}/cdn/avatars/${userId}/${hash}.webp`);
  return { response, body: Buffer.from(await response.arrayBuffer()) };
}

describe('profile', () => {
  it('edits display name, bio, custom status and username', async () => {
    const { client, password } = await signUp(server);
    const username = uniqueName('renamed');
    const me = await client.request(routes.users.updateMe, {
      body: { global_name: '  Ada L.  ', bio: 'Counting machines', custom_status: 'in the lab', username: username.toUpperCase(), password },
    });
    expect(me).toMatchObject({ global_name: 'Ada L.', bio: 'Counting machines', custom_status: 'in the lab', username });
    const cleared = await client.request(routes.users.updateMe, { body: { global_name: null, custom_status: '' } });
    expect(cleared).toMatchObject({ global_name: null, custom_status: null, bio: 'Counting machines' });
  });

  it('refuses a taken username and an oversized bio, changing nothing', async () => {
    const taken = await signUp(server);
    const { client } = await signUp(server);
    const before = await client.request(routes.users.getMe);
    const e1 = await failure(client.request(routes.users.updateMe, { body: { username: taken.username, bio: 'new bio', password: taken.password } }));
    expect(e1.problems[0]).toMatchObject({ path: ['username'], code: 'USERNAME_ALREADY_TAKEN' });
    const e2 = await failure(client.request(routes.users.updateMe, { body: { bio: 'x'.repeat(191), global_name: 'Changed' } }));
    expect(e2.problems[0]).toMatchObject({ path: ['bio'], code: 'BASE_TYPE_MAX_LENGTH' });
    expect(await client.request(routes.users.getMe)).toEqual(before);
  });

  it('refuses control characters (NUL included) in every text field, on both engines', async () => {
    const { client } = await signUp(server);
    const before = await client.request(routes.users.getMe);
    for (const body of [{ bio: 'a\u0000b' }, { global_name: 'tab\tname' }, { custom_status: 'two\nlines' }, { bio: 'bell\u0007' }]) {
      const e = await failure(client.request(routes.users.updateMe, { body }));
      expect(e.status).toBe(400);
      expect(e.problems[0]?.path).toEqual(Object.keys(body));
    }
    expect((await client.request(routes.users.updateMe, { body: { bio: 'two\nlines\tand a tab' } })).bio).toBe('two\nlines\tand a tab');
    expect((await client.request(routes.users.getMe)).global_name).toBe(before.global_name);
  });

  it('needs the current password to change the username, and counts wrong guesses', async () => {
    const limited = await startTestServer({ env: { AUTH_RATE_LIMIT_ACCOUNT: '2/900' } });
    try {
      const { client, username, password } = await signUp(limited);
      const missing = await failure(client.request(routes.users.updateMe, { body: { username: uniqueName() } }));
      expect(missing.problems[0]).toMatchObject({ path: ['password'], code: 'PASSWORD_REQUIRED' });
      for (const guess of ['guess one', 'guess two']) {
        const wrong = await failure(client.request(routes.users.updateMe, { body: { username: uniqueName(), password: guess } }));
        expect(wrong.problems[0]?.code).toBe('PASSWORD_DOES_NOT_MATCH');
      }
      // Locked now, even with the right password, and for logins too.
      expect((await failure(client.request(routes.users.updateMe, { body: { username: uniqueName(), password } }))).status).toBe(429);
      expect((await failure(limited.client().request(routes.auth.login, { body: { login: username, password } }))).status).toBe(429);
      expect((await client.request(routes.users.getMe)).username).toBe(username);
    } finally {
      await limited.close();
    }
  });

  it('needs the current password to change the e-mail address', async () => {
    const { client, password } = await signUp(server);
    const missing = await failure(client.request(routes.users.updateMe, { body: { email: 'new@example.org' } }));
    expect(missing.problems[0]).toMatchObject({ path: ['password'], code: 'PASSWORD_REQUIRED' });
    const wrong = await failure(client.request(routes.users.updateMe, { body: { email: 'new@example.org', password: 'wrong password' } }));
    expect(wrong.problems[0]).toMatchObject({ path: ['password'], code: 'PASSWORD_DOES_NOT_MATCH' });
    const email = `${uniqueName()}@example.org`;
    expect((await client.request(routes.users.updateMe, { body: { email, password } })).email).toBe(email);
  });
});

describe('guests', () => {
  it('take a username, e-mail or password only by upgrading', async () => {
    const { token } = await server.client().request(routes.auth.guest);
    const guest = server.client(token);
    for (const body of [{ username: uniqueName() }, { email: `${uniqueName()}@example.org` }, { new_password: 'some password' }]) {
      const e = await failure(guest.request(routes.users.updateMe, { body }));
      expect(e.problems[0]).toMatchObject({ path: Object.keys(body), code: 'BASE_TYPE_INVALID' });
    }
    expect((await guest.request(routes.users.updateMe, { body: { global_name: 'Still Me', bio: 'hello' } })).global_name).toBe('Still Me');
  });
});

describe('profile changes reach others live', () => {
  it('tells your sessions (USER_UPDATE) and your servers (GUILD_MEMBER_UPDATE): a guest’s badge goes when they upgrade', async () => {
    const { owner, general } = await makeGuild(server);
    const { token, user } = await server.client().request(routes.auth.guest, { body: { global_name: 'Visitor' } });
    const guest = server.client(token);
    const invite = await owner.client.request(routes.invites.create, { params: { channel_id: general.id }, body: {} });
    await guest.request(routes.invites.accept, { params: { code: invite.code } });
    const [ownerLive, guestLive] = [await server.connect(owner.client.token!), await server.connect(token)];

    const seenByOwner = ownerLive.gateway.once('GUILD_MEMBER_UPDATE', (m) => m.user.id === user.id);
    const seenBySelf = guestLive.gateway.once('USER_UPDATE');
    await guest.request(routes.auth.upgrade, { body: { username: uniqueName('settled'), password: 'now a real account' } });
    expect((await seenByOwner).user).toMatchObject({ id: user.id, guest: false });
    expect(await seenBySelf).toMatchObject({ id: user.id, guest: false });
    expect(ownerLive.cache.members.get(general.guild_id!)?.get(user.id)?.user.guest).toBe(false);

    const renamed = ownerLive.gateway.once('GUILD_MEMBER_UPDATE', (m) => m.user.global_name === 'Settled In');
    await guest.request(routes.users.updateMe, { body: { global_name: 'Settled In' } });
    await renamed;
  });
});

describe('one-time passwords', () => {
  it('allow nothing but choosing a new password, not even profile edits', async () => {
    const { client, username } = await signUp(server);
    await server.db.database.db.updateTable('users').set({ password_change_required: 1 }).where('username', '=', username).execute();
    for (const body of [{ bio: 'sneaky' }, { avatar: null }, { password: 'correct horse battery', new_password: 'new password!', bio: 'also this' }]) {
      expect((await failure(client.request(routes.users.updateMe, { body }))).code).toBe(90004);
    }
    expect((await failure(client.request(routes.auth.listSessions))).code).toBe(90004);
    const me = await client.request(routes.users.updateMe, { body: { password: 'correct horse battery', new_password: 'new password!' } });
    expect(me).toMatchObject({ password_change_required: false, bio: '' });
  });
});

describe('password change', () => {
  it('signs out every other session and keeps this one', async () => {
    const { client, username, password } = await signUp(server);
    const laptop = server.client(sessionOf(await server.client().request(routes.auth.login, { body: { login: username, password } })).token);
    await client.request(routes.users.updateMe, { body: { password, new_password: 'a brand new secret' } });
    expect((await failure(laptop.request(routes.users.getMe))).status).toBe(401);
    expect((await client.request(routes.users.getMe)).username).toBe(username);
    expect(await client.request(routes.auth.listSessions)).toHaveLength(1);
    await failure(server.client().request(routes.auth.login, { body: { login: username, password } }));
    await server.client().request(routes.auth.login, { body: { login: username, password: 'a brand new secret' } });
  });
});

describe('avatars', () => {
  it.each(['png', 'jpeg', 'webp', 'gif'] as const)('accepts %s and stores a 256×256 WebP', async (format) => {
    const { client, userId } = await signUp(server);
    const image = await makeImage(format, 600);
    const me = await client.request(routes.users.uploadAvatar, { body: blobOf(image, `image/${format}`) });
    expect(me.avatar).toMatch(/^[0-9a-f]{32}$/);
    const { response, body } = await fetchAvatar(userId, me.avatar!);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/webp');
    expect(await sharp(body).metadata()).toMatchObject({ format: 'webp', width: 256, height: 256 });
  });

  it('accepts a data URI in PATCH /users/@me (Discord style) and removes the old file', async () => {
    const { client, userId } = await signUp(server);
    const first = await client.request(routes.users.uploadAvatar, { body: blobOf(await makeImage('png'), 'image/png') });
    const dataUri = `data:image/jpeg;base64,${(await makeImage('jpeg', 300)).toString('base64')}`;
    const second = await client.request(routes.users.updateMe, { body: { avatar: dataUri } });
    expect(second.avatar).not.toBe(first.avatar);
    expect((await fetchAvatar(userId, second.avatar!)).response.status).toBe(200);
    expect((await fetchAvatar(userId, first.avatar!)).response.status).toBe(404);
    const removed = await client.request(routes.users.updateMe, { body: { avatar: null } });
    expect(removed.avatar).toBeNull();
    expect((await fetchAvatar(userId, second.avatar!)).response.status).toBe(404);
  });

  it('keeps an animated GIF animated', async () => {
    const { client } = await signUp(server);
    const frame = (colour: string) =>
      sharp({ create: { width: 32, height: 32, channels: 3, background: colour } })
        .png()
        .toBuffer();
    const gif = await sharp([await frame('#f00'), await frame('#00f')], { join: { animated: true } })
      .gif({ loop: 0, delay: [100, 100] })
      .toBuffer();
    expect((await sharp(gif, { animated: true }).metadata()).pages).toBe(2);
    const me = await client.request(routes.users.uploadAvatar, { body: blobOf(gif, 'image/gif') });
    expect(me.avatar).toMatch(/^a_[0-9a-f]{32}$/);
    const { body } = await fetchAvatar(me.id, me.avatar!);
    expect(await sharp(body, { animated: true }).metadata()).toMatchObject({ format: 'webp', pages: 2, width: 256 });
  });

  it('refuses animations with too many frames (each frame costs CPU)', async () => {
    const { client } = await signUp(server);
    // Random noise per frame: the GIF encoder merges frames that look alike.
    const frames = await Promise.all(
      Array.from({ length: 101 }, () =>
        sharp(randomBytes(8 * 8 * 3), { raw: { width: 8, height: 8, channels: 3 } })
          .png()
          .toBuffer(),
      ),
    );
    const gif = await sharp(frames, { join: { animated: true } })
      .gif()
      .toBuffer();
    expect((await sharp(gif, { animated: true }).metadata()).pages).toBe(101);
    const e = await failure(client.request(routes.users.uploadAvatar, { body: blobOf(gif, 'image/gif') }));
    expect(e).toMatchObject({ status: 400, code: 50046 });
    expect(e.message).toContain('100 frames');
  });

  it('refuses files that are not images, whatever type they claim, changing nothing', async () => {
    const { client } = await signUp(server);
    const before = await client.request(routes.users.uploadAvatar, { body: blobOf(await makeImage('png'), 'image/png') });
    const fake = await failure(client.request(routes.users.uploadAvatar, { body: blobOf('<svg onload=alert(1)>', 'image/png') }));
    expect(fake).toMatchObject({ status: 400, code: 50046 });
    const tiffBytes = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } })
      .tiff()
      .toBuffer();
    const tiff = await failure(client.request(routes.users.uploadAvatar, { body: blobOf(tiffBytes, 'image/png') }));
    expect(tiff.code).toBe(50046);
    const wrongType = await failure(client.request(routes.users.uploadAvatar, { body: blobOf(await makeImage('png'), 'text/plain') }));
    expect(wrongType.status).toBe(415);
    const badUri = await failure(client.request(routes.users.updateMe, { body: { avatar: 'data:image/png;base64,AAAA' } }));
    expect(badUri.code).toBe(50046);
    expect((await client.request(routes.users.getMe)).avatar).toBe(before.avatar);
  });

  it('refuses an image over 5 MiB', async () => {
    const { client } = await signUp(server);
    const big = Buffer.concat([await makeImage('png'), Buffer.alloc(5 * 1024 * 1024)]);
    const e = await failure(client.request(routes.users.uploadAvatar, { body: blobOf(big, 'image/png') }));
    expect(e).toMatchObject({ status: 413, code: 40005 });
  });

  it('cuts off an oversized upload while it streams, before the client has finished sending', async () => {
    const { client } = await signUp(server);
    const url = new URL(`${server.url}/api/v10/users/@me/avatar`);
    // Chunked (no Content-Length), so only counting bytes as they arrive can catch it. The
    // client keeps writing until the server answers, bounded at 64 MiB.
    const result = await new Promise<{ status: number; sent: number }>((resolve, reject) => {
      let sent = 0;
      let answered = false;
      const request = http.request(url, { method: 'PUT', headers: { authorization: client.token!, 'content-type': 'image/png' } }, (response) => {
        answered = true;
        response.resume();
        resolve({ status: response.statusCode!, sent });
      });
      request.on('error', (error) => (answered ? undefined : reject(error)));
      const chunk = Buffer.alloc(64 * 1024, 1);
      const pump = () => {
        while (!answered && sent < 64 * 1024 * 1024) {
          sent += chunk.length;
          if (!request.write(chunk)) return void request.once('drain', pump);
        }
        if (!answered) request.end();
      };
      pump();
    });
    expect(result.status).toBe(413);
    expect(result.sent).toBeLessThan(64 * 1024 * 1024);
  });
});
