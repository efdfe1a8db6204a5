import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { harness } from './harness';

/** The terminal client in a real terminal (tmux, 80×24) against the real server, as a user drives it. */
const h = harness('chat', 28500 + Math.floor(Math.random() * 50));
const password = 'correct horse battery';

type Channel = { id: string; type: number; name?: string };
type Message = { id: string; content: string };
let alice: { token: string };
let bob: { token: string };
let aliceId: string;
let bobId: string;
let guildId: string;
let general: Channel;
let other: Channel;

const messagesIn = async (channelId: string, limit = 10) => (await h.api<Message[]>('GET', `/channels/${channelId}/messages?limit=${limit}`, bob.token)).map((m) => m.content);

beforeAll(async () => {
  await h.startServer();
  alice = await h.api<{ token: string }>('POST', '/auth/register', null, { username: 'alice', password });
  bob = await h.api<{ token: string }>('POST', '/auth/register', null, { username: 'bob', password });
  aliceId = (await h.api<{ id: string }>('GET', '/users/@me', alice.token)).id;
  bobId = (await h.api<{ id: string }>('GET', '/users/@me', bob.token)).id;
  guildId = (await h.api<{ id: string }>('POST', '/guilds', alice.token, { name: 'Home' })).id;
  general = (await h.api<Channel[]>('GET', `/guilds/${guildId}/channels`, alice.token)).find((c) => c.type === 0)!;
  other = await h.api<Channel>('POST', `/guilds/${guildId}/channels`, alice.token, { name: 'second', type: 0 });
  const invite = await h.api<{ code: string }>('POST', `/channels/${general.id}/invites`, alice.token, {});
  await h.api('POST', `/invites/${invite.code}`, bob.token);
}, 60_000);

afterAll(() => h.close());

it('signs in, reads history, sends, sees live messages and edits, and renders hostile text inert', async () => {
  await h.api('POST', `/channels/${other.id}/messages`, alice.token, { content: 'older history here' });
  await h.api('POST', `/channels/${general.id}/messages`, bob.token, { content: 'x \u202eevil\u202c y \u2066iso\u2069 ok' });
  // The server refuses control characters (escapes are unit-tested in sanitize); a very long line must wrap.
  await h.api('POST', `/channels/${general.id}/messages`, bob.token, { content: `${'long'.repeat(120)} tail` });

  h.startClient('alice', password);
  const first = await h.waitFor('x evil y iso ok');
  for (const row of first.split('\n')) expect(row.length).toBeLessThanOrEqual(80);
  expect(first).toContain('longlong');
  expect(first).toContain('#general');
  // No bidi control and no escape sequence but the client's own styling reached the terminal.
  expect(h.screen(true)).not.toMatch(/[\u202a-\u202e\u2066-\u2069]|\u001b\]/);

  await h.waitFor('#second');
  h.type('/go #second', 'Enter');
  await h.waitFor('older history here');

  h.type('typed in the terminal', 'Enter');
  await expect.poll(() => messagesIn(other.id), { timeout: 15_000 }).toContain('typed in the terminal');

  const live = await h.api<{ id: string }>('POST', `/channels/${other.id}/messages`, bob.token, { content: 'bob says hi' });
  await h.waitFor('bob says hi');
  await h.api('PATCH', `/channels/${other.id}/messages/${live.id}`, bob.token, { content: 'bob says hello' });
  await h.waitFor('bob says hello');
  await h.api('POST', `/channels/${other.id}/typing`, bob.token);
  await h.waitFor('bob is typing…');

  // A mention in a channel not on screen shows as a count in the side list (the SDK's unread logic).
  await h.api('POST', `/channels/${general.id}/messages`, bob.token, { content: `<@${aliceId}> look at this` });
  await h.waitFor('#general @1');
}, 90_000);

it('edits the last message with ↑, completes @ and #, reveals spoilers, pages up through any depth, and fits a resized terminal', async () => {
  // Edit the last message: ↑ puts it in the composer, Enter saves it.
  h.type('frist try', 'Enter');
  // Stored (so sent, and the composer empty again), not merely typed.
  await expect.poll(() => messagesIn(other.id, 1), { timeout: 15_000 }).toEqual(['frist try']);
  h.type('', 'Up');
  await h.waitFor('edit> frist try');
  h.type('', ...Array<string>(9).fill('BSpace'));
  h.type('first try, fixed', 'Enter');
  await expect.poll(() => messagesIn(other.id, 1), { timeout: 15_000 }).toEqual(['first try, fixed']);
  await h.waitFor('(edited)');

  // @ and # complete with Tab; the names become the mentions the server records.
  h.type('ping @bo', 'Tab');
  await h.waitFor('> ping @bob');
  h.type('in #gen', 'Tab');
  await h.waitFor('> ping @bob in #general');
  h.type('', 'Enter');
  await expect.poll(() => messagesIn(other.id, 1), { timeout: 15_000 }).toEqual([`ping <@${bobId}> in <#${general.id}>`]);
  await h.waitFor('ping @bob in #general');

  // Spoilers stay hidden until Ctrl+S.
  await h.api('POST', `/channels/${other.id}/messages`, bob.token, { content: 'the butler ||did it in the library||' });
  const hidden = await h.waitFor('the butler █');
  expect(hidden).not.toContain('did it in the library');
  h.type('', 'C-s');
  await h.waitFor('the butler did it in the library');
  h.type('', 'C-s');

  // 150 messages above: PageUp pages back to the first one, fetching older pages as it goes.
  const deep = await h.api<Channel>('POST', `/guilds/${guildId}/channels`, alice.token, { name: 'deep', type: 0 });
  for (let i = 1; i <= 150; i++) await h.api('POST', `/channels/${deep.id}/messages`, bob.token, { content: `deep message ${String(i).padStart(3, '0')}` });
  h.type('/go #deep', 'Enter');
  await h.waitFor('deep message 150');
  // At the top of what is loaded a press only starts the fetch: the screen moves on the next press
  // after the page arrived, so each press waits (a bounded while) for the screen to move.
  let top = '';
  for (let presses = 0; presses < 120 && !top.includes('deep message 001'); presses++) {
    const before = h.screen();
    h.type('', 'PageUp');
    top = await h.waitFor((shown) => shown !== before && shown.includes('scrolled up'), 1_000).catch(() => h.screen());
  }
  expect(top).toContain('deep message 001');
  for (let presses = 0; presses < 60 && !h.screen().includes('deep message 150'); presses++) h.type('', 'PageDown');
  await h.waitFor((shown) => shown.includes('deep message 150') && !shown.includes('scrolled up'));

  // A bigger and a smaller terminal: the status line stays on the last row, nothing spills over.
  for (const [columns, rows] of [
    [120, 40],
    [80, 24],
  ] as const) {
    h.resize(columns, rows);
    const shown = await h.waitFor((s) => {
      const lines = s.replace(/\n$/, '').split('\n');
      return lines.length === rows && (lines.at(-1) ?? '').includes('Enter send');
    });
    expect(shown).toContain('deep message 150');
    for (const line of shown.split('\n')) expect(line.length).toBeLessThanOrEqual(columns);
  }
}, 120_000);

it('shows replies, threads and files; downloads a file; /nick, /search and /jump, /leave', async () => {
  h.type('/go #second', 'Enter');
  const asked = await h.api<{ id: string }>('POST', `/channels/${other.id}/messages`, alice.token, { content: 'who has the slides?' });
  await h.api('POST', `/channels/${other.id}/messages`, bob.token, { content: 'me!', message_reference: { message_id: asked.id } });
  await h.waitFor('╭ alice: who has the slides?');

  // A file: listed with its size and the command that saves it; saved next to nothing it replaces.
  const form = new FormData();
  form.append('payload_json', JSON.stringify({ content: 'here they are' }));
  form.append('files[0]', new Blob(['slide one\nslide two\n'], { type: 'text/plain' }), 'slides.txt');
  await h.api('POST', `/channels/${other.id}/messages`, bob.token, form);
  await h.waitFor('[file] slides.txt');
  h.type(`/download slides.txt ${h.dir}/`, 'Enter');
  await h.waitFor('Saved');
  expect(readFileSync(join(h.dir, 'slides.txt'), 'utf8')).toBe('slide one\nslide two\n');
  h.type('', 'Escape');

  // A thread started from a message: shown under it, opened with /thread.
  const thread = await h.api<{ id: string }>('POST', `/channels/${other.id}/messages/${asked.id}/threads`, bob.token, { name: 'slides-talk' });
  await h.api('POST', `/channels/${thread.id}/messages`, bob.token, { content: 'inside the thread' });
  await h.waitFor('[thread] slides-talk');
  h.type('/thread', 'Enter');
  await h.waitFor('inside the thread');
  h.type('/go #second', 'Enter');
  await h.waitFor('here they are');

  h.type('/nick Ally', 'Enter');
  await expect.poll(async () => (await h.api<{ nick: string | null }>('GET', `/guilds/${guildId}/members/${aliceId}`, bob.token)).nick, { timeout: 15_000 }).toBe('Ally');
  h.type('', 'Escape');

  // Search, then open a result in its channel, scrolled to it.
  h.type('/search older', 'Enter');
  await h.waitFor('1 found for older');
  h.type('/jump 1', 'Enter');
  await h.waitFor((s) => s.includes('older history here') && !s.includes('found for'));

  // In a large server (over 50 members) people are not all known to the client: Tab asks the server, then completes.
  const big = await h.api<{ id: string }>('POST', '/guilds', bob.token, { name: 'Big' });
  const bigChannel = (await h.api<Channel[]>('GET', `/guilds/${big.id}/channels`, bob.token)).find((c) => c.type === 0)!;
  const bigInvite = await h.api<{ code: string }>('POST', `/channels/${bigChannel.id}/invites`, bob.token, {});
  const crowd = [...Array.from({ length: 55 }, (_, i) => `member${String(i).padStart(2, '0')}`), 'zelda'];
  for (const username of crowd) {
    const { token } = await h.api<{ token: string }>('POST', '/auth/register', null, { username, password });
    await h.api('POST', `/invites/${bigInvite.code}`, token);
  }
  h.type(`/join ${bigInvite.code}`, 'Enter');
  await h.waitFor('Big');
  h.type('/go big', 'Enter');
  h.type('hello @zel', 'Tab');
  await h.waitFor('press Tab again');
  await h.until(() => {
    h.type('', 'Tab');
    return h.screen().includes('> hello @zelda');
  }, '@zelda completed');
  h.type('', 'Escape');

  // /leave asks first; the second time the server is gone from the side list.
  const club = await h.api<{ id: string }>('POST', '/guilds', bob.token, { name: 'Club' });
  const clubChannel = (await h.api<Channel[]>('GET', `/guilds/${club.id}/channels`, bob.token)).find((c) => c.type === 0)!;
  const invite = await h.api<{ code: string }>('POST', `/channels/${clubChannel.id}/invites`, bob.token, {});
  h.type(`/join ${h.base}/invite/${invite.code}`, 'Enter');
  await h.waitFor('Joined Club');
  h.type('/go club', 'Enter');
  await h.api('POST', `/channels/${clubChannel.id}/messages`, bob.token, { content: 'welcome to the club' });
  await h.waitFor('welcome to the club');
  h.type('/leave', 'Enter');
  const asking = await h.waitFor('Leave Club? Type /leave again to confirm');
  // A notice that wraps does not squeeze the side list: its border stays in its column.
  for (const line of asking.split('\n').filter((l) => l.includes('│'))) expect(line.indexOf('│')).toBe(23);
  h.type('/leave', 'Enter');
  await h.waitFor('You left Club');
  await h.until(async () => !(await h.api<{ id: string }[]>('GET', '/users/@me/guilds', alice.token)).some((g) => g.id === club.id), 'alice out of Club');
  h.type('', 'Escape');
  await h.waitFor((s) => !s.includes('Club'));
}, 90_000);

it('asks for username, password and the two-factor code when run with no options, and remembers the session', async () => {
  const carol = await h.api<{ token: string }>('POST', '/auth/register', null, { username: 'carol', password });
  const secret = new Secret({ size: 20 }).base32;
  const code = TOTP.generate({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 });
  const { backup_codes } = await h.api<{ backup_codes: { code: string }[] }>('POST', '/users/@me/mfa/totp/enable', carol.token, { secret, code, password });
  // A configuration folder of carol's own (alice's saved session is in the default one).
  const config = join(h.dir, 'carol');

  h.run(`--server ${h.base}`, config);
  await h.waitFor('Username (empty: continue as a guest):');
  h.type('carol', 'Enter');
  await h.waitFor('Password:');
  h.type(password, 'Enter');
  await h.waitFor('Two-factor code');
  // Typed passwords are never echoed.
  expect(h.screen()).not.toContain(password);
  h.type(backup_codes[0]!.code, 'Enter');
  await h.waitFor('Enter send');

  // The session was saved: the next run needs no questions.
  h.run('', config);
  await h.waitFor('Enter send');
  expect(h.screen()).not.toContain('Username');

  // A channel where carol may read but not write: the composer says so (the SDK's offers).
  const news = await h.api<Channel>('POST', `/guilds/${guildId}/channels`, alice.token, {
    name: 'news',
    type: 0,
    permission_overwrites: [{ id: guildId, type: 0, allow: '0', deny: String(1 << 11) }],
  });
  await h.api('POST', `/channels/${news.id}/messages`, alice.token, { content: 'read this, all of you' });
  const invite = await h.api<{ code: string }>('POST', `/channels/${general.id}/invites`, alice.token, {});
  h.type(`/join ${invite.code}`, 'Enter');
  await h.waitFor('#news');
  h.type('/go #news', 'Enter');
  await h.waitFor('read this, all of you');
  await h.waitFor('(read only: commands only) >');
  h.type('can I write?', 'Enter');
  await h.waitFor('You cannot send messages here.');
}, 60_000);
