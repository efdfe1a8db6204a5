import WebSocket from 'ws';
import { expect, serverWith, test } from './people';

/**
 * A server above the large threshold (50 members): the gateway sends only the presences a client
 * follows (op 14). The member list follows its online list, so it still shows who is online and
 * people coming and going, live.
 */
test('the member list of a large server shows who is online, and people going offline and online live', async ({ newPerson }) => {
  test.setTimeout(120_000);
  const owner = await newPerson('Owner');
  const grace = await newPerson('Grace');
  const { guildId, generalId } = await serverWith(owner, [grace], 'Big Hall');
  // 50 more members (guests who never connect): 52 in all, a large server.
  const invite = await owner.api.post<{ code: string }>(`/channels/${generalId}/invites`, { max_uses: 0 });
  for (let i = 0; i < 50; i++) {
    const guest = await owner.page.request.post('/api/v10/auth/guest', { data: {} });
    expect(guest.ok()).toBe(true);
    const { token } = (await guest.json()) as { token: string };
    expect((await owner.page.request.post(`/api/v10/invites/${invite.code}`, { headers: { Authorization: token }, data: {} })).ok()).toBe(true);
  }

  // Reloaded after the server grew: the owner's session sees it as large.
  await owner.page.goto(`/channels/${guildId}/${generalId}`);
  const list = owner.page.getByTestId('member-list');
  const graceRow = list.getByTestId('member').filter({ hasText: 'Grace' });
  await expect(list.getByTestId('member')).toHaveCount(52);
  await expect(graceRow.getByRole('img', { name: 'Online' })).toBeVisible();
  await expect(list.getByTestId('member-group')).toHaveText(['Online — 2', 'Offline — 50']);

  // Grace closes Parley: she goes offline in the list, live.
  const graceContext = grace.page.context();
  await grace.page.close();
  await expect(graceRow.getByRole('img', { name: 'Offline' })).toBeVisible();
  await expect(list.getByTestId('member-group')).toHaveText(['Online — 1', 'Offline — 51']);

  // And comes back.
  const again = await graceContext.newPage();
  await again.goto('/channels/@me');
  await expect(graceRow.getByRole('img', { name: 'Online' })).toBeVisible();
  await expect(list.getByTestId('member-group')).toHaveText(['Online — 2', 'Offline — 50']);
});

/** A guest who joins through `code` and stays connected to the gateway (READY received) until closed. */
async function onlineGuest(baseURL: string, code: string): Promise<WebSocket> {
  const guest = (await (await fetch(`${baseURL}/api/v10/auth/guest`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json()) as { token: string };
  const joined = await fetch(`${baseURL}/api/v10/invites/${code}`, { method: 'POST', headers: { authorization: guest.token, 'content-type': 'application/json' }, body: '{}' });
  expect(joined.ok).toBe(true);
  const socket = new WebSocket(`${baseURL.replace('http', 'ws')}/gateway?v=10&encoding=json`);
  await new Promise<void>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { op: number; t?: string };
      if (frame.op === 10) socket.send(JSON.stringify({ op: 2, d: { token: guest.token, properties: { os: 'test', browser: 'test', device: 'test' } } }));
      if (frame.t === 'READY') resolve();
    });
  });
  return socket;
}

test('a large server with more people online than the online list: the headings count everyone, and rows scrolled to show their presence', async ({ newPerson, baseURL }) => {
  test.setTimeout(180_000);
  const owner = await newPerson('Owner');
  const { guildId, generalId } = await serverWith(owner, [], 'Packed Hall');
  const invite = await owner.api.post<{ code: string }>(`/channels/${generalId}/invites`, { max_uses: 0 });
  // 105 guests online beside the owner: 106, more than the 100 a member list follows as its online list.
  const guests: WebSocket[] = [];
  for (let i = 0; i < 105; i++) guests.push(await onlineGuest(baseURL!, invite.code));
  try {
    await owner.page.goto(`/channels/${guildId}/${generalId}`);
    const list = owner.page.getByTestId('member-list');
    await expect(list.getByTestId('member')).toHaveCount(106);
    // The server counts everyone online, not only the 100 followed.
    await expect(list.getByTestId('member-group').first()).toHaveText('Online — 106');
    // The six not in the online list are listed last until seen: scrolled to, they show as online.
    const last = list.getByTestId('member').last();
    await last.scrollIntoViewIfNeeded();
    await expect(last.getByRole('img', { name: 'Online' })).toBeVisible();
    await expect(list.getByTestId('member-group')).toHaveText(['Online — 106']);
  } finally {
    for (const socket of guests) socket.close();
  }
});
