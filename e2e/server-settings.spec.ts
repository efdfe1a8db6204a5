import path from 'node:path';
import { expect, test } from './fixtures';
import { createServer, inviteLink, join, person, send } from './servers';

const ICON = path.resolve('packages/web/public/icons/icon-192.png');

test('rename a server, give it an icon, and delete it after typing its name', async ({ browser }) => {
  const owner = await person(browser, 'Owner');
  const guildId = await createServer(owner, 'Chess Club');
  const member = await person(browser, 'Member');
  await join(member, await inviteLink(owner));

  await owner.getByRole('button', { name: /server menu/ }).click();
  await owner.getByRole('menuitem', { name: 'Server settings' }).click();
  await expect(owner).toHaveURL(new RegExp(`/servers/${guildId}/settings/overview$`));
  await expect(owner.getByRole('heading', { name: 'Overview' })).toBeVisible();

  // A name the server refuses is explained next to the field, and nothing is saved.
  await owner.getByLabel('Server name').fill('x');
  await owner.getByRole('button', { name: 'Save changes' }).click();
  await expect(owner.getByText('Must be at least 2 characters long')).toBeVisible();

  await owner.getByLabel('Server name').fill('Chess & Go Club');
  await owner.getByTestId('icon-input').setInputFiles(ICON);
  await expect(owner.getByTestId('icon-preview')).toHaveAttribute('src', /^data:image\/png;base64,/);
  await owner.getByRole('button', { name: 'Save changes' }).click();
  await expect(owner.getByText('Changes saved.')).toBeVisible();
  await expect(owner.getByTestId('icon-preview')).toHaveAttribute('src', new RegExp(`^/cdn/icons/${guildId}/[0-9a-f]+\\.webp$`));

  // The member sees both at once.
  await expect(member.getByTestId('guild-name')).toHaveText('Chess & Go Club');
  await expect(member.getByRole('link', { name: 'Chess & Go Club' }).locator('img')).toHaveAttribute('src', new RegExp(`/cdn/icons/${guildId}/`));

  // Escape leaves settings for the server.
  await owner.keyboard.press('Escape');
  await expect(owner).toHaveURL(new RegExp(`/channels/${guildId}/`));
  await owner.goto(`/servers/${guildId}/settings/overview`);

  // Deleting needs the exact name.
  await owner.getByRole('button', { name: 'Delete server' }).click();
  const dialog = owner.getByRole('dialog');
  await dialog.getByLabel(/Type .* to confirm/).fill('Chess Club');
  await dialog.getByTestId('confirm-delete-server').click();
  await expect(dialog.getByRole('alert')).toContainText('exactly as shown');
  await dialog.getByLabel(/Type .* to confirm/).fill('Chess & Go Club');
  await dialog.getByTestId('confirm-delete-server').click();
  await expect(owner).toHaveURL(/\/channels\/@me$/);
  // The member looking at it is told it was deleted; the owner who deleted it is told nothing.
  await expect(member.getByTestId('departure-title')).toHaveText('Chess & Go Club was deleted.');
  await expect(owner.getByTestId('departure-notice')).toHaveCount(0);
  await expect(member.getByRole('link', { name: 'Chess & Go Club' })).toHaveCount(0);
});

test('members do not get server settings', async ({ browser }) => {
  const owner = await person(browser, 'Owner');
  const guildId = await createServer(owner, 'Private Club');
  const member = await person(browser, 'Member');
  await join(member, await inviteLink(owner));
  await member.getByRole('button', { name: /server menu/ }).click();
  await expect(member.getByRole('menuitem', { name: 'Server settings' })).toHaveCount(0);
  await member.keyboard.press('Escape');
  await member.goto(`/servers/${guildId}/settings`);
  await expect(member.getByRole('heading', { name: 'No access' })).toBeVisible();
});

test('create, rename, reorder (dragging and keys) and delete channels and categories; everyone sees it live', async ({ browser }) => {
  const owner = await person(browser, 'Owner');
  const guildId = await createServer(owner, 'Workshop');
  const member = await person(browser, 'Member');
  await join(member, await inviteLink(owner));
  const sidebar = member.getByRole('navigation', { name: 'Channels' }).getByTestId('channel-link');

  await owner.goto(`/servers/${guildId}/settings/channels`);
  const names = owner.getByTestId('settings-channel-name');
  const groups = owner.getByTestId('settings-group');

  // A category, and two text channels in it.
  await owner.getByRole('button', { name: 'Create category' }).click();
  await owner.getByRole('dialog').getByLabel('Category name').fill('Projects');
  await owner.getByRole('dialog').getByRole('button', { name: 'Create category' }).click();
  await expect(groups.filter({ hasText: 'Projects' })).toBeVisible();
  for (const name of ['Alpha Build', 'beta']) {
    await owner.getByRole('button', { name: 'Create a channel in Projects' }).click();
    const dialog = owner.getByRole('dialog');
    await dialog.getByLabel('Channel name').fill(name);
    if (name === 'Alpha Build') await expect(dialog.getByText('Shown as #alpha-build')).toBeVisible();
    await dialog.getByRole('button', { name: 'Create channel' }).click();
    await expect(dialog).toBeHidden();
  }
  const projects = groups.filter({ hasText: 'Projects' });
  await expect(projects.getByTestId('settings-channel-name')).toHaveText(['alpha-build', 'beta']);
  await expect(sidebar.filter({ hasText: 'alpha-build' })).toBeVisible();
  // New categories go last; this one goes between text and voice.
  await owner.getByRole('button', { name: 'Move category Projects up' }).click();
  await expect(owner.getByTestId('settings-category-name')).toHaveText(['No category', 'Text Channels', 'Projects', 'Voice Channels']);

  // Keyboard: move beta up (the focus stays on the button, so pressing again keeps going).
  await owner.getByRole('button', { name: 'Move #beta up' }).focus();
  await owner.keyboard.press('Enter');
  await expect(projects.getByTestId('settings-channel-name')).toHaveText(['beta', 'alpha-build']);
  await expect(owner.getByRole('button', { name: 'Move #beta up' })).toBeFocused();
  await expect(owner.getByRole('status').filter({ hasText: '#beta is now 1 of 2 in Projects' })).toBeAttached();
  // Past the top of its category it moves into the one above.
  await owner.keyboard.press('Enter');
  await expect(projects.getByTestId('settings-channel-name')).toHaveText(['alpha-build']);
  await expect(groups.filter({ hasText: 'Text Channels' }).getByTestId('settings-channel-name')).toHaveText(['general', 'beta']);
  await expect(member.getByRole('navigation', { name: 'Channels' })).toContainText(/#general\s*#beta/);

  // Drag: alpha-build to just above general.
  await owner
    .getByTestId('settings-channel')
    .filter({ hasText: 'alpha-build' })
    .dragTo(owner.getByTestId('settings-channel').filter({ hasText: '#general' }), { targetPosition: { x: 40, y: 4 } });
  await expect(groups.filter({ hasText: 'Text Channels' }).getByTestId('settings-channel-name')).toHaveText(['alpha-build', 'general', 'beta']);
  // Categories move too: Projects above Text Channels.
  await owner.getByRole('button', { name: 'Move category Projects up' }).click();
  await expect(owner.getByTestId('settings-category-name')).toHaveText(['No category', 'Projects', 'Text Channels', 'Voice Channels']);
  // It survives a reload: the server has it.
  await owner.reload();
  await expect(groups.filter({ hasText: 'Text Channels' }).getByTestId('settings-channel-name')).toHaveText(['alpha-build', 'general', 'beta']);
  await expect(owner.getByTestId('settings-category-name')).toHaveText(['No category', 'Projects', 'Text Channels', 'Voice Channels']);

  // Rename, topic and slow mode in the channel's settings.
  await names.filter({ hasText: 'beta' }).click();
  await owner.getByLabel('Channel name').fill('Beta Launch');
  await owner.getByLabel('Topic').fill('Shipping on Friday');
  await owner.getByLabel('Slow mode').selectOption({ label: '10 seconds' });
  await owner.getByLabel('Category').selectOption({ label: 'Projects' });
  await owner.getByRole('button', { name: 'Save changes' }).click();
  await expect(owner.getByText('Changes saved.')).toBeVisible();
  await expect(owner.getByRole('heading', { level: 1 })).toContainText('beta-launch');
  await expect(sidebar.filter({ hasText: 'beta-launch' })).toBeVisible();
  await sidebar.filter({ hasText: 'beta-launch' }).click();
  await expect(member.getByText('Shipping on Friday')).toBeVisible();

  // Delete a channel from its settings, and the category from the list (its channels stay, without one).
  await owner.getByRole('link', { name: '← All channels' }).click();
  await names.filter({ hasText: 'alpha-build' }).click();
  await owner.getByRole('button', { name: 'Delete channel' }).click();
  await owner.getByRole('dialog').getByRole('button', { name: 'Delete channel' }).click();
  await expect(owner).toHaveURL(new RegExp(`/servers/${guildId}/settings/channels$`));
  await expect(names.filter({ hasText: 'alpha-build' })).toHaveCount(0);
  await expect(sidebar.filter({ hasText: 'alpha-build' })).toHaveCount(0);
  await owner.getByRole('button', { name: 'Delete category Projects' }).click();
  await expect(owner.getByRole('dialog')).toContainText('Its channels stay, without a category.');
  await owner.getByRole('dialog').getByRole('button', { name: 'Delete category' }).click();
  await expect(owner.getByTestId('settings-category-name')).toHaveText(['No category', 'Text Channels', 'Voice Channels']);
  await expect(groups.first().getByTestId('settings-channel-name')).toHaveText(['beta-launch']);
  await expect(member.getByRole('navigation', { name: 'Channels' })).not.toContainText('Projects');
  await send(member, 'still here');
});

test('a private channel: others see its name with a lock, not its messages, until a member adds them', async ({ browser }) => {
  const owner = await person(browser, 'Owner');
  const guildId = await createServer(owner, 'Studio');
  const member = await person(browser, 'Member Mia');
  await join(member, await inviteLink(owner));

  await owner.goto(`/servers/${guildId}/settings/channels`);
  await owner.getByRole('button', { name: 'Create channel' }).click();
  const dialog = owner.getByRole('dialog');
  await dialog.getByLabel('Channel name').fill('backstage');
  await dialog.getByTestId('private-toggle').check();
  await dialog.getByRole('button', { name: 'Create channel' }).click();
  // A private channel opens at once (not its settings), its creator its only member.
  await expect(owner.getByTestId('channel-title')).toHaveText('backstage');
  await expect(owner.getByTestId('member-list').getByTestId('member')).toHaveText([/Owner/]);
  await send(owner, 'the secret plan');
  await expect(owner.getByTestId('message-text').filter({ hasText: 'the secret plan' })).toBeVisible();

  const locked = member.getByTestId('channel-link').filter({ hasText: 'backstage' });
  await expect(locked).toContainText('🔒');
  await expect(locked).toContainText('private, not a member');
  await locked.click();
  await expect(member.getByTestId('private-locked')).toBeVisible();
  await expect(member.getByText('the secret plan')).toHaveCount(0);

  await owner.goto(`/servers/${guildId}/settings/channels`);
  await owner.getByTestId('settings-channel-name').filter({ hasText: 'backstage' }).click();
  await expect(owner.getByTestId('channel-member')).toHaveText([/Owner.*\(you\)/]);
  await owner.getByLabel('Add people').fill('mia');
  await owner.getByRole('button', { name: 'Add Member Mia' }).click();
  await expect(owner.getByTestId('channel-member')).toHaveCount(2);

  // Mia reads it now, without reloading.
  await expect(member.getByTestId('message-text').filter({ hasText: 'the secret plan' })).toBeVisible();
  await send(member, 'count me in');
  await expect(owner.getByTestId('channel-member').filter({ hasText: 'Member Mia' })).toBeVisible();

  // Removed again, she is back to the lock.
  await owner.getByRole('button', { name: 'Remove Member Mia' }).click();
  await expect(owner.getByTestId('channel-member')).toHaveCount(1);
  await expect(member.getByTestId('private-locked')).toBeVisible();
});

test('invites: listed with uses and expiry, and revoked', async ({ browser }) => {
  const owner = await person(browser, 'Owner');
  const guildId = await createServer(owner, 'Book Club');
  const link = await inviteLink(owner);
  const code = link.split('/').pop()!;
  const friend = await person(browser, 'Friend');
  await join(friend, link);

  await owner.goto(`/servers/${guildId}/settings/invites`);
  const row = owner.getByTestId('invite-row').filter({ hasText: code });
  await expect(row).toContainText('Owner');
  await expect(row).toContainText('#general');
  await expect(row.getByTestId('invite-uses')).toHaveText('1');
  await expect(row).toContainText(/in (23|24) hours|tomorrow/);

  await owner.getByRole('button', { name: 'Create invite' }).click();
  await expect(owner.getByTestId('invite-link')).toHaveValue(/\/invite\/[A-Za-z0-9]+$/);
  await owner.keyboard.press('Escape');
  await expect(owner.getByTestId('invite-row')).toHaveCount(2);

  await row.getByRole('button', { name: `Revoke ${code}` }).click();
  await expect(row).toHaveCount(0);
  await expect(owner.getByTestId('invite-row')).toHaveCount(1);
  const latecomer = await person(browser, 'Latecomer');
  await latecomer.goto(link);
  await expect(latecomer.getByText('This invite is invalid, has expired, or has been used up.')).toBeVisible();
});
