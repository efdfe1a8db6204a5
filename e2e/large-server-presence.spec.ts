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
