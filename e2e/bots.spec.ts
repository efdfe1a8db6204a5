import { routes } from '@parley/protocol';
import { RestClient } from '@parley/sdk';
import { expect, test } from './fixtures';
import { PASSWORD, signUpViaUi } from './helpers';

test('create a bot in settings and add it to a server through the authorize page', async ({ page, baseURL }) => {
  await signUpViaUi(page);
  const token = await page.evaluate(() => localStorage.getItem('parley.token'));
  const me = new RestClient({ baseUrl: baseURL!, token });
  const guild = await me.request(routes.guilds.create, { body: { name: 'Robot Garage' } });

  await page.goto('/settings/developer');
  await page.getByLabel('New application name').fill('Greeter');
  await page.getByRole('button', { name: 'Create application' }).click();
  const app = page.getByTestId('application').filter({ hasText: 'Greeter' });
  await app.getByRole('button', { name: 'Add a bot' }).click();
  const confirm = page.getByRole('dialog', { name: "Confirm it's you" });
  await confirm.getByLabel('Current password').fill('not my password');
  await confirm.getByRole('button', { name: 'Issue the token' }).click();
  await expect(confirm.getByText('Password does not match.')).toBeVisible();
  await confirm.getByLabel('Current password').fill(PASSWORD);
  await confirm.getByRole('button', { name: 'Issue the token' }).click();
  await expect(confirm).toHaveCount(0);
  const botToken = (await app.getByTestId('bot-token').textContent())!;
  expect(botToken).toMatch(/^[\w-]+\.[\w-]+$/);

  await app.getByRole('link', { name: 'Add to a server' }).click();
  await expect(page).toHaveURL(/\/oauth2\/authorize\?client_id=\d+&scope=bot/);
  await expect(page.getByTestId('bot-name')).toHaveText('Greeter');
  await expect(page.getByText('Send messages')).toBeVisible();
  await page.getByLabel('Server').selectOption({ label: 'Robot Garage' });
  await page.getByRole('button', { name: 'Authorize' }).click();
  await expect(page.getByText('Added to Robot Garage.')).toBeVisible();

  // The token works as a bot, and the bot is in the server.
  const bot = new RestClient({ baseUrl: baseURL!, token: `Bot ${botToken}` });
  const botUser = await bot.request(routes.users.getMe);
  expect(botUser.bot).toBe(true);
  const member = await me.request(routes.guilds.getMember, { params: { guild_id: guild.id, user_id: botUser.id } });
  expect(member.user.username).toBe('greeter');
});
