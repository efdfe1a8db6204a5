import { expect, type Person, serverWith, test } from './people';
import { expectAccessible } from './axe';
import { PASSWORD, uniqueName } from './helpers';

/** Clicking a person anywhere in a server opens their profile card. */

/** PATCH /users/@me as this person (the spec helpers only GET, POST and PUT). */
async function updateMe(person: Person, body: Record<string, unknown>): Promise<void> {
  const token = await person.page.evaluate(() => localStorage.getItem('parley.token'));
  const response = await person.page.request.fetch('/api/v10/users/@me', { method: 'PATCH', headers: { Authorization: token! }, data: body });
  expect(response.ok(), await response.text()).toBe(true);
}

test('a profile card from the member list, a message author, an avatar and a mention: Escape closes it, focus comes back', async ({ newPerson }) => {
  // Many steps and an axe run: more than the default time on a busy machine.
  test.slow();
  const ada = await newPerson('Ada');
  const grace = await newPerson('Grace');
  await updateMe(grace, { bio: 'Compilers, mostly.\nAlso sailing.', custom_status: 'Debugging' });
  const { guildId, generalId } = await serverWith(ada, [grace], 'Profiles');
  await grace.api.post(`/channels/${generalId}/messages`, { content: 'Hello from Grace' });
  await ada.api.post(`/channels/${generalId}/messages`, { content: `Welcome <@${grace.id}>!` });
  const page = ada.page;
  await page.goto(`/channels/${guildId}/${generalId}`);

  // The member list.
  const memberButton = page.getByTestId('member-list').getByTestId('member').filter({ hasText: 'Grace' }).getByRole('button');
  await memberButton.click();
  const graceCard = page.getByRole('dialog', { name: 'Profile of Grace' });
  await expect(graceCard).toBeVisible();
  await expect(graceCard.getByTestId('profile-name')).toHaveText('Grace');
  await expect(graceCard.getByTestId('profile-username')).toHaveText(`@${grace.username}`);
  await expect(graceCard.getByTestId('profile-bio')).toHaveText('Compilers, mostly.\nAlso sailing.');
  await expect(graceCard).toContainText('Debugging');
  await expect(graceCard.getByRole('img', { name: 'Online' })).toBeVisible();
  await expect(graceCard.getByText('Guest', { exact: true })).toHaveCount(0);
  await expect(graceCard.getByRole('button', { name: 'Message', exact: true })).toBeVisible();
  await expect(graceCard.getByRole('button', { name: 'Copy ID' })).toBeVisible();
  await expect(graceCard.getByRole('button', { name: 'Block' })).toBeVisible();
  // Focus is in the card; Escape closes it and gives focus back to what opened it.
  await expect.poll(() => page.evaluate(() => document.activeElement?.closest('[role="dialog"]')?.getAttribute('aria-label'))).toBe('Profile of Grace');
  await expectAccessible(page, 'a profile card');
  await page.keyboard.press('Escape');
  await expect(graceCard).toBeHidden();
  await expect(memberButton).toBeFocused();

  // The author's name in the conversation (clicking it again closes the card).
  const message = page.getByTestId('message').filter({ hasText: 'Hello from Grace' });
  await message.getByTestId('message-author').click();
  await expect(graceCard).toBeVisible();
  await message.getByTestId('message-author').click();
  await expect(graceCard).toBeHidden();

  // The avatar; a click elsewhere closes it.
  await message.getByTestId('message-avatar').click();
  await expect(graceCard).toBeVisible();
  await page.getByTestId('channel-title').click();
  await expect(graceCard).toBeHidden();

  // A mention, by mouse and by keyboard.
  const mention = page.getByTestId('message').filter({ hasText: 'Welcome' }).locator('.mention');
  await mention.click();
  await expect(graceCard).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(mention).toBeFocused();
  await expect(graceCard).toBeHidden();
  await page.keyboard.press('Enter');
  await expect(graceCard).toBeVisible();
  await page.keyboard.press('Escape');

  // Ada's own card: no Message or Block.
  await page.getByTestId('message').filter({ hasText: 'Welcome' }).getByTestId('message-author').click();
  const own = page.getByRole('dialog', { name: 'Profile of Ada' });
  await expect(own.getByTestId('profile-username')).toHaveText(`@${ada.username}`);
  await expect(own.getByRole('button', { name: 'Copy ID' })).toBeVisible();
  await expect(own.getByRole('button', { name: 'Message' })).toHaveCount(0);
  await expect(own.getByRole('button', { name: 'Block' })).toHaveCount(0);
});

test('from the card: copy the ID, message them, block a guest (marked as one)', async ({ newPerson }) => {
  const ada = await newPerson('Ada');
  const grace = await newPerson('Grace');
  const { guildId, generalId } = await serverWith(ada, [grace], 'Actions');
  // A guest joins through the same invite.
  const guestResponse = await ada.page.request.post('/api/v10/auth/guest', { data: { global_name: 'Wandering Gus' } });
  const guest = (await guestResponse.json()) as { token: string; user: { id: string } };
  const invite = await ada.api.post<{ code: string }>(`/channels/${generalId}/invites`, {});
  expect((await ada.page.request.post(`/api/v10/invites/${invite.code}`, { headers: { Authorization: guest.token } })).ok()).toBe(true);
  await ada.page.request.post(`/api/v10/channels/${generalId}/messages`, { headers: { Authorization: guest.token }, data: { content: 'hi, just passing by' } });

  const page = ada.page;
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.goto(`/channels/${guildId}/${generalId}`);

  // Copy ID puts Grace's ID on the clipboard.
  await page.getByTestId('member-list').getByTestId('member').filter({ hasText: 'Grace' }).getByRole('button').click();
  const graceCard = page.getByRole('dialog', { name: 'Profile of Grace' });
  await graceCard.getByRole('button', { name: 'Copy ID' }).click();
  await expect(graceCard.getByRole('button', { name: 'Copied!' })).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(grace.id);

  // Message opens (or creates) the DM with her.
  await graceCard.getByRole('button', { name: 'Message', exact: true }).click();
  await expect(page).toHaveURL(/\/channels\/@me\/\d+$/);
  await expect(page.getByTestId('channel-title')).toHaveText('Grace');
  await expect(graceCard).toBeHidden();

  // Back in the server: the guest's card says so; Block, then Unblock.
  await page.goto(`/channels/${guildId}/${generalId}`);
  await page.getByTestId('message').filter({ hasText: 'just passing by' }).getByTestId('message-author').click();
  const gusCard = page.getByRole('dialog', { name: 'Profile of Wandering Gus' });
  await expect(gusCard.getByText('Guest', { exact: true })).toBeVisible();
  await gusCard.getByRole('button', { name: 'Block' }).click();
  await expect(gusCard.getByRole('button', { name: 'Unblock' })).toBeVisible();
  await expect(gusCard.getByTestId('profile-blocked')).toBeVisible();
  const blocked = await ada.api.get<{ id: string; type: number }[]>('/users/@me/relationships');
  expect(blocked).toEqual([expect.objectContaining({ id: guest.user.id, type: 2 })]);
  // The guest can no longer open a DM with Ada.
  const refused = await ada.page.request.post('/api/v10/users/@me/channels', { headers: { Authorization: guest.token }, data: { recipient_id: ada.id } });
  expect(refused.ok()).toBe(false);
  // Reopened, the card remembers; Unblock undoes it.
  await page.keyboard.press('Escape');
  await page.getByTestId('message').filter({ hasText: 'just passing by' }).getByTestId('message-author').click();
  await gusCard.getByRole('button', { name: 'Unblock' }).click();
  await expect(gusCard.getByRole('button', { name: 'Block' })).toBeVisible();
  expect(await ada.api.get('/users/@me/relationships')).toEqual([]);
});

test('a guest who keeps their account loses the Guest badge on their old messages at once, for them and for others', async ({ newPerson, browser }) => {
  const ada = await newPerson('Ada');
  const { guildId, generalId } = await serverWith(ada, [], 'Upgrades');
  const invite = await ada.api.post<{ code: string }>(`/channels/${generalId}/invites`, {});

  const context = await browser.newContext();
  try {
    const gus = await context.newPage();
    await gus.goto('/login');
    await gus.getByRole('button', { name: 'Continue as guest' }).click();
    await expect(gus).toHaveURL(/\/channels\/@me$/);
    await gus.goto(`/invite/${invite.code}`);
    await gus.getByRole('button', { name: /^Join/ }).click();
    await expect(gus.getByTestId('channel-title')).toHaveText('general');
    await gus.getByTestId('composer').fill('posted as a guest');
    await gus.getByTestId('composer').press('Enter');

    await ada.page.goto(`/channels/${guildId}/${generalId}`);
    const onAda = ada.page.getByTestId('message').filter({ hasText: 'posted as a guest' });
    const onGus = gus.getByTestId('message').filter({ hasText: 'posted as a guest' });
    await expect(onAda.getByText('Guest', { exact: true })).toBeVisible();
    await expect(onGus.getByText('Guest', { exact: true })).toBeVisible();
    const member = ada.page
      .getByTestId('member-list')
      .getByTestId('member')
      .filter({ hasText: await onAda.getByTestId('message-author').innerText() });
    await expect(member.getByText('Guest', { exact: true })).toBeVisible();

    // Gus keeps the account from the home screen, then comes back to the server.
    await gus.goto('/channels/@me');
    await gus.getByRole('button', { name: 'Keep my account' }).click();
    const dialog = gus.getByRole('dialog', { name: 'Keep your account' });
    await dialog.getByLabel('Username', { exact: false }).first().fill(uniqueName('gus'));
    await dialog.getByLabel('Password').fill(PASSWORD);
    await dialog.getByRole('button', { name: 'Create account' }).click();
    await expect(dialog).toBeHidden();

    // Ada sees it without reloading: message and member list.
    await expect(onAda.getByTestId('message-author')).toBeVisible();
    await expect(onAda.getByText('Guest', { exact: true })).toHaveCount(0);
    await expect(member.getByText('Guest', { exact: true })).toHaveCount(0);
    // So does Gus, on his own old message.
    await gus.getByRole('link', { name: 'Upgrades' }).click();
    await expect(onGus.getByTestId('message-author')).toBeVisible();
    await expect(onGus.getByText('Guest', { exact: true })).toHaveCount(0);
  } finally {
    await context.close();
  }
});
