import { expect, serverWith, test } from './people';
import { send } from './servers';
import { expectAccessible } from './axe';

/** Making channels from the sidebar, who a private channel's member panel lists, and a channel's webhooks. */

test('create channels from the sidebar: "+" beside a category, "Create channel" in the server menu; members get neither', async ({ newPerson }) => {
  const owner = await newPerson('Owner');
  const member = await newPerson('Member');
  const { guildId, generalId } = await serverWith(owner, [member], 'Workbench');
  const page = owner.page;
  await page.goto(`/channels/${guildId}/${generalId}`);
  await member.page.goto(`/channels/${guildId}/${generalId}`);
  const nav = page.getByRole('navigation', { name: 'Channels' });

  // "+" on a category: the dialog has that category chosen; the new channel opens at once.
  await nav.getByRole('button', { name: 'Create a channel in Text Channels' }).click();
  const dialog = page.getByRole('dialog', { name: 'Create a channel' });
  await expect(dialog.getByLabel('Category')).toHaveValue(/\d+/);
  await expect(dialog.getByLabel('Category').locator('option:checked')).toHaveText('Text Channels');
  await expect(dialog).not.toContainText('later release');
  await dialog.getByLabel('Channel name').fill('Road Map');
  await dialog.getByRole('button', { name: 'Create channel' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId('channel-title')).toHaveText('road-map');
  await expect(page).toHaveURL(new RegExp(`/channels/${guildId}/\\d+$`));
  await expect(member.page.getByTestId('channel-link').filter({ hasText: 'road-map' })).toHaveCount(1);

  // The server menu: a private channel lands in the channel (not its settings), its creator its only member.
  await page.getByRole('button', { name: /server menu/ }).click();
  await page.getByRole('menuitem', { name: 'Create channel' }).click();
  await expect(dialog.getByLabel('Category').locator('option:checked')).toHaveText('No category');
  await dialog.getByLabel('Channel name').fill('inner-circle');
  await dialog.getByTestId('private-toggle').check();
  await dialog.getByRole('button', { name: 'Create channel' }).click();
  await expect(page.getByTestId('channel-title')).toHaveText('inner-circle');
  await expect(page).toHaveURL(new RegExp(`/channels/${guildId}/\\d+$`));
  await send(page, 'just me so far');
  await expect(page.getByTestId('message-text').filter({ hasText: 'just me so far' })).toBeVisible();

  // A voice channel from "+": created in that category, nothing else opens.
  await nav.getByRole('button', { name: 'Create a channel in Voice Channels' }).click();
  await dialog.getByLabel('Voice').check();
  await expect(dialog).toContainText('Talk, share your camera or your screen');
  await dialog.getByLabel('Channel name').fill('Standup');
  await dialog.getByRole('button', { name: 'Create channel' }).click();
  await expect(dialog).toBeHidden();
  await expect(nav.getByTestId('voice-channel-link').filter({ hasText: 'Standup' })).toBeVisible();
  await expect(page.getByTestId('channel-title')).toHaveText('inner-circle');

  // Members without Manage Channels see no way to create one.
  await expect(member.page.getByTestId('channel-link').filter({ hasText: 'inner-circle' })).toHaveCount(1);
  await expect(member.page.getByTestId('category-create-channel')).toHaveCount(0);
  await member.page.getByRole('button', { name: /server menu/ }).click();
  await expect(member.page.getByRole('menuitem', { name: 'Invite people' })).toBeVisible();
  await expect(member.page.getByRole('menuitem', { name: 'Create channel' })).toHaveCount(0);
  await member.page.keyboard.press('Escape');
});

test("a private channel's member panel lists its members only, kept current as people are added", async ({ newPerson }) => {
  const owner = await newPerson('Olive');
  const insider = await newPerson('Ingrid');
  const outsider = await newPerson('Oscar');
  const { guildId, generalId } = await serverWith(owner, [insider, outsider], 'Members Only');
  const secret = await owner.api.post<{ id: string }>(`/guilds/${guildId}/channels`, { name: 'secret', private: true });
  await owner.api.put(`/channels/${secret.id}/members/${insider.id}`);

  // #general lists everyone.
  const page = owner.page;
  await page.goto(`/channels/${guildId}/${generalId}`);
  const members = page.getByTestId('member-list').getByTestId('member');
  await expect(members).toHaveCount(3);

  // #secret lists its two members.
  await page.getByTestId('channel-link').filter({ hasText: 'secret' }).click();
  await expect(page.getByTestId('channel-title')).toHaveText('secret');
  await expect(members).toHaveCount(2);
  await expect(members.filter({ hasText: 'Olive' })).toHaveCount(1);
  await expect(members.filter({ hasText: 'Ingrid' })).toHaveCount(1);
  await expect(members.filter({ hasText: 'Oscar' })).toHaveCount(0);

  // Ingrid sees the same two.
  await insider.page.goto(`/channels/${guildId}/${secret.id}`);
  await expect(insider.page.getByTestId('member-list').getByTestId('member')).toHaveCount(2);

  // Oscar, outside it, gets the lock and no list of who is inside.
  await outsider.page.goto(`/channels/${guildId}/${secret.id}`);
  await expect(outsider.page.getByTestId('private-locked')).toBeVisible();
  await expect(outsider.page.getByTestId('member-list')).toHaveCount(0);

  // Added, Oscar appears in the panel at once; back in #general all three are listed again.
  await owner.api.put(`/channels/${secret.id}/members/${outsider.id}`);
  await expect(members.filter({ hasText: 'Oscar' })).toHaveCount(1);
  await expect(outsider.page.getByTestId('member-list').getByTestId('member')).toHaveCount(3);
  await page.getByTestId('channel-link').filter({ hasText: 'general' }).click();
  await expect(members).toHaveCount(3);
});

test("a webhook: made in the channel's settings, its URL shown once; what it posts shows live with its embed; deleted, its URL stops", async ({ newPerson }) => {
  const owner = await newPerson('Owner');
  const { guildId, generalId } = await serverWith(owner, [], 'Hooked');
  const page = owner.page;
  await page.goto(`/servers/${guildId}/settings/channels/${generalId}`);
  const integrations = page.getByTestId('channel-integrations');
  await expect(integrations.getByTestId('no-webhooks')).toBeVisible();
  await integrations.getByLabel('Webhook name').fill('Deploys');
  await integrations.getByRole('button', { name: 'New webhook' }).click();
  await expect(integrations).toContainText('Copy it now: it is shown once');
  const url = await integrations.getByTestId('webhook-url').inputValue();
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v10\/webhooks\/\d+\/[\w-]{60,}$/);
  await expect(integrations.getByTestId('webhook-row')).toHaveText([/Deploys.*Created by Owner/]);

  // In the channel, what another app posts to the URL arrives live: its name, the BOT tag, the embed card.
  await page.getByRole('button', { name: 'Close server settings' }).click();
  await expect(page.getByTestId('channel-title')).toHaveText('general');
  const embed = { title: 'v1.2 released', description: 'Now with **webhooks**', color: 0x57f287, fields: [{ name: 'Status', value: 'Deployed', inline: true }] };
  const post = (body: unknown) => fetch(`${url}?wait=true`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  expect((await post({ content: 'Release notes', username: 'Release Bot', embeds: [embed] })).status).toBe(200);
  const message = page.getByTestId('message').filter({ hasText: 'Release notes' });
  await expect(message.getByTestId('message-author')).toHaveText('Release Bot');
  await expect(message.getByText('BOT', { exact: true })).toBeVisible();
  const card = message.getByTestId('message-embed');
  await expect(card).toHaveAccessibleName('Embed: v1.2 released');
  await expect(card.getByTestId('embed-title')).toHaveText('v1.2 released');
  await expect(card.getByTestId('embed-description').locator('strong')).toHaveText('webhooks');
  await expect(card.getByTestId('embed-field')).toHaveText(/Status\s*Deployed/);
  await expect(card).toHaveCSS('border-left-color', 'rgb(87, 242, 135)');

  // Deleted from the settings (after a confirmation), its URL answers 404 at once.
  await page.goBack();
  await expect(integrations.getByTestId('webhook-row')).toHaveCount(1);
  await expect(integrations.getByTestId('webhook-url')).toHaveCount(0);
  await integrations.getByRole('button', { name: 'Delete webhook Deploys' }).click();
  await page.getByRole('dialog', { name: 'Delete webhook Deploys?' }).getByRole('button', { name: 'Delete webhook' }).click();
  await expect(integrations.getByTestId('no-webhooks')).toBeVisible();
  expect((await post({ content: 'too late' })).status).toBe(404);
});

test("a server's custom emoji: added in server settings, picked from the autocomplete, drawn as its image for everyone, and a reaction from the picker", async ({ newPerson }) => {
  const ada = await newPerson('Ada');
  const bob = await newPerson('Bob');
  const { guildId, generalId } = await serverWith(ada, [bob], 'Emoji Club');
  // A 4 × 4 PNG.
  const png = 'iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAIAAAAmkwkpAAAACXBIWXMAAAPoAAAD6AG1e1JrAAAAEElEQVQImWM4oREFRwzEcQAfchShB3HQnwAAAABJRU5ErkJggg==';
  await bob.page.goto(`/channels/${guildId}/${generalId}`);

  // Ada adds it in server settings → Emoji (named after the file), then renames it in its row.
  await ada.page.goto(`/servers/${guildId}/settings/emoji`);
  await ada.page.getByLabel(/^Image/).setInputFiles({ name: 'wave!.png', mimeType: 'image/png', buffer: Buffer.from(png, 'base64') });
  await expect(ada.page.getByLabel('Name')).toHaveValue('wave');
  await ada.page.getByRole('button', { name: 'Add emoji' }).click();
  await ada.page.getByRole('button', { name: 'Rename :wave:' }).click();
  await ada.page.getByLabel('New name for :wave:').fill('x');
  await ada.page.getByRole('button', { name: 'Save' }).click();
  await expect(ada.page.getByText('Must be at least 2 characters long')).toBeVisible();
  await ada.page.getByLabel('New name for :wave:').fill('parley_wave');
  await ada.page.getByRole('button', { name: 'Save' }).click();
  await expect(ada.page.getByRole('list', { name: 'Custom emoji' }).getByRole('img', { name: ':parley_wave:' })).toBeVisible();
  await expect(ada.page.getByTestId('server-emoji')).toContainText('Added by Ada');
  await expectAccessible(ada.page, 'server emoji settings');

  // She picks it from the `:` autocomplete (the server's own come first); sent, it is the emoji.
  await ada.page.goto(`/channels/${guildId}/${generalId}`);
  const composer = ada.page.getByTestId('composer');
  await composer.pressSequentially('hello :parley_w');
  await expect(ada.page.getByRole('listbox', { name: 'Emoji' }).getByRole('option').first()).toContainText(':parley_wave:');
  await composer.press('Enter');
  await composer.pressSequentially('everyone');
  await expect(composer).toHaveValue('hello :parley_wave: everyone');
  await composer.press('Enter');
  const drawn = bob.page.getByTestId('message').filter({ hasText: 'everyone' }).getByRole('img', { name: ':parley_wave:' });
  await expect(drawn).toBeVisible();
  await expect.poll(() => drawn.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
  const [emoji] = await ada.api.get<{ id: string }[]>(`/guilds/${guildId}/emojis`);
  const [sent] = await ada.api.get<{ id: string; content: string }[]>(`/channels/${generalId}/messages?limit=1`);
  expect(sent!.content).toBe(`hello <:parley_wave:${emoji!.id}> everyone`);

  // Bob reacts with it from the picker's "This server" group; Ada sees it drawn, and adds hers by clicking it.
  const bobsMessage = bob.page.getByTestId('message').filter({ hasText: 'everyone' });
  await bobsMessage.hover();
  await bobsMessage.getByRole('button', { name: 'Add reaction' }).click();
  await bob.page.getByRole('group', { name: 'This server' }).getByRole('menuitem', { name: ':parley_wave:' }).click();
  const reaction = ada.page.getByTestId('message').filter({ hasText: 'everyone' }).getByTestId('reaction');
  await expect(reaction).toHaveAttribute('aria-label', ':parley_wave: 1');
  await expect(reaction.locator('img.custom-emoji')).toBeVisible();
  await reaction.click();
  await expect(reaction).toHaveAttribute('aria-label', ':parley_wave: 2');
});
