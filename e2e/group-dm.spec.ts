import { expectAccessible } from './axe';
import { type Person, expect, serverWith, test } from './people';

/*
 * Group DMs made from the DM list's "New group DM" dialog, as in Discord: people you know are
 * picked (chips, a count against the limit), optionally end-to-end encrypted.
 */

// Three browsers each (through MLS in one): the bound of the e2ee journeys, not the default one,
// so a loaded machine does not fail them.
test.describe.configure({ timeout: 120_000 });

/** Opens the dialog from the DM list's + button. */
async function openDialog(person: Person) {
  await person.page.getByRole('button', { name: 'New group DM' }).click();
  const dialog = person.page.getByRole('dialog', { name: 'New group DM' });
  await expect(dialog.getByTestId('group-dm-count')).toHaveText('1 of 10 people, you included');
  return dialog;
}

/** The id of the conversation a page has open. */
const openChannelId = (person: Person) => new URL(person.page.url()).pathname.split('/').pop()!;

test('a group DM made from the DM list: all three see it, its members and messages live', async ({ newPerson }) => {
  const ada = await newPerson('Ada');
  const bob = await newPerson('Bob');
  const cleo = await newPerson('Cleo');
  await serverWith(ada, [bob, cleo], 'Book Club');

  // Picked by keyboard: a search and Enter take the first match; a chip's × removes it.
  const dialog = await openDialog(ada);
  await expectAccessible(ada.page, 'the new group DM dialog');
  const search = dialog.getByRole('searchbox', { name: 'Search people' });
  await search.fill('bob');
  await search.press('Enter');
  await expect(dialog.getByTestId('group-dm-chip')).toHaveText([/Bob/]);
  await expect(search).toHaveValue('');
  await dialog.getByRole('checkbox', { name: /Cleo/ }).check();
  await expect(dialog.getByTestId('group-dm-count')).toHaveText('3 of 10 people, you included');
  await expectAccessible(ada.page, 'the new group DM dialog with people chosen');
  await dialog.getByRole('button', { name: 'Remove Cleo' }).click();
  await expect(search).toBeFocused();
  await expect(dialog.getByRole('checkbox', { name: /Cleo/ })).not.toBeChecked();
  // Escape closes it, focus goes back to the button, and it opens afresh.
  await ada.page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(ada.page.getByRole('button', { name: 'New group DM' })).toBeFocused();
  await ada.page.keyboard.press('Enter');
  await expect(dialog.getByTestId('group-dm-chip')).toHaveCount(0);

  await dialog.getByRole('checkbox', { name: /Bob/ }).check();
  await dialog.getByRole('checkbox', { name: /Cleo/ }).check();
  await dialog.getByRole('button', { name: 'Create group DM' }).click();
  await expect(ada.page).toHaveURL(/\/channels\/@me\/\d+$/);
  const groupId = openChannelId(ada);
  await expect(ada.page.getByTestId('channel-title')).toHaveText(/^(Bob, Cleo|Cleo, Bob)$/);

  // Each of them has it in their list, with the others' names and the member count, live.
  for (const [person, others] of [
    [ada, /Bob.*Cleo|Cleo.*Bob/],
    [bob, /Ada.*Cleo|Cleo.*Ada/],
    [cleo, /Ada.*Bob|Bob.*Ada/],
  ] as const) {
    const row = person.page.getByTestId('dm-link').filter({ hasText: others });
    await expect(row.getByTestId('dm-member-count')).toHaveText('3 members');
    await expect(row.getByTestId('dm-e2ee-lock')).toHaveCount(0);
  }
  for (const person of [bob, cleo]) {
    await person.page.getByTestId('dm-link').filter({ hasText: 'Ada' }).click();
    await expect(person.page).toHaveURL(new RegExp(`/channels/@me/${groupId}$`));
    // The member list: everyone, the owner marked.
    const members = person.page.getByTestId('member-list');
    await expect(members.getByTestId('member-group')).toHaveText('Members — 3');
    await expect(members.getByTestId('member')).toHaveCount(3);
    await expect(members.getByTestId('member').filter({ hasText: 'Ada' })).toContainText('group owner');
  }
  await expectAccessible(bob.page, 'a group DM');

  await ada.page.getByTestId('composer').fill('Chapter 3 for Thursday?');
  await ada.page.getByTestId('composer').press('Enter');
  for (const person of [bob, cleo]) await expect(person.page.getByTestId('message-text').filter({ hasText: 'Chapter 3 for Thursday?' })).toBeVisible();
  await cleo.page.getByTestId('composer').fill('Works for me');
  await cleo.page.getByTestId('composer').press('Enter');
  for (const person of [ada, bob]) await expect(person.page.getByTestId('message-text').filter({ hasText: 'Works for me' })).toBeVisible();

  // What the server refuses is said in the dialog: Cleo blocked Ada, so Ada cannot add her.
  const blocked = await cleo.page.request.put(`/api/v10/users/@me/relationships/${ada.id}`, {
    headers: { Authorization: (await cleo.page.evaluate(() => localStorage.getItem('parley.token')))! },
    data: { type: 2 },
  });
  expect(blocked.ok()).toBe(true);
  await openDialog(ada);
  await dialog.getByRole('checkbox', { name: /Cleo/ }).check();
  await dialog.getByRole('button', { name: 'Create group DM' }).click();
  await expect(dialog.getByRole('alert')).toHaveText('Cannot send messages to this user');
  await expect(dialog).toBeVisible();
});

test('an encrypted group DM made with the toggle: Bob and Cleo read it, the server holds only ciphertext', async ({ newPerson }) => {
  // Ada in the dark theme: the dialog is checked with axe in both.
  const ada = await newPerson('Ada', { colorScheme: 'dark' });
  const bob = await newPerson('Bob');
  const cleo = await newPerson('Cleo');
  await serverWith(ada, [bob, cleo], 'Cipher Circle');
  // Each browser is a device, published once the page says so: only then can the group include it.
  for (const person of [ada, bob, cleo]) await expect(person.page.locator('html[data-e2ee="ready"]')).toHaveCount(1);

  const dialog = await openDialog(ada);
  await dialog.getByRole('checkbox', { name: /Bob/ }).check();
  await dialog.getByRole('checkbox', { name: /Cleo/ }).check();
  await dialog.getByTestId('e2ee-toggle').check();
  await expectAccessible(ada.page, 'the new group DM dialog, dark theme');
  await dialog.getByRole('button', { name: 'Create group DM' }).click();
  await expect(ada.page.getByTestId('e2ee-lock')).toBeVisible();
  const groupId = openChannelId(ada);
  await expect(ada.page.getByTestId('dm-link').filter({ hasText: 'Bob' }).getByTestId('dm-e2ee-lock')).toBeVisible();

  await ada.page.getByTestId('composer').fill('the key is under the third stone');
  await ada.page.getByTestId('composer').press('Enter');
  await expect(ada.page.getByTestId('message-text').filter({ hasText: 'third stone' })).toBeVisible();
  for (const person of [bob, cleo]) {
    await person.page.getByTestId('dm-link').filter({ hasText: 'Ada' }).click();
    await expect(person.page.getByTestId('e2ee-lock')).toBeVisible();
    await expect(person.page.getByTestId('message-text').filter({ hasText: 'the key is under the third stone' })).toBeVisible();
  }

  // The server has who and when, never what.
  const stored = await ada.api.get<{ content: string; encrypted?: { ciphertext: string } }[]>(`/channels/${groupId}/messages`);
  expect(stored).toHaveLength(1);
  expect(stored[0]!.content).toBe('');
  expect(stored[0]!.encrypted?.ciphertext).toBeTruthy();
  expect(JSON.stringify(stored)).not.toContain('third stone');
});
