import { expect, serverWith, test } from './people';

/**
 * Parts of the app load when first shown (ui/lazy.ts). One whose file cannot be fetched (the
 * server restarting, the network gone) is fetched again until it comes, and never takes the app
 * down: a server restart once left people on "Something went wrong" because the reaction picker
 * of a message was loading at that moment.
 */
test('a part of the app that cannot be fetched is fetched again once it can, and the app stays up', async ({ newPerson }) => {
  const ada = await newPerson('Ada');
  const { guildId, generalId } = await serverWith(ada, [], 'Flaky Network');
  let refused = 0;
  await ada.page.route('**/assets/ReactionPicker-*.js', (route) => {
    refused++;
    return route.abort('connectionreset');
  });
  await ada.page.goto(`/channels/${guildId}/${generalId}`);
  await ada.page.getByTestId('composer').fill('still here');
  await ada.page.getByTestId('composer').press('Enter');
  const message = ada.page.getByTestId('message').filter({ hasText: 'still here' });
  await expect(message).toBeVisible();

  // Refused again and again (once a second), the app still shows the conversation meanwhile.
  await expect.poll(() => refused).toBeGreaterThanOrEqual(2);
  await expect(ada.page.getByRole('alert').filter({ hasText: 'Something went wrong' })).toHaveCount(0);
  await expect(message).toBeVisible();

  // The network is back: the picker comes, and works.
  await ada.page.unroute('**/assets/ReactionPicker-*.js');
  await message.hover();
  await message.getByRole('button', { name: 'Add reaction', exact: true }).click();
  await ada.page.getByTestId('reaction-picker').getByRole('menuitem', { name: 'React with 🎉' }).click();
  await expect(message.getByTestId('reaction')).toHaveText(/🎉\s*1/);
});

test('a screen whose file cannot be fetched opens once it can, and the screen before stays meanwhile', async ({ newPerson }) => {
  const ada = await newPerson('Ada');
  let refused = 0;
  await ada.page.route('**/assets/SettingsView-*.js', (route) => {
    refused++;
    return route.abort('connectionreset');
  });
  await ada.page.getByRole('link', { name: 'User settings' }).click();
  await expect.poll(() => refused).toBeGreaterThanOrEqual(2);
  await expect(ada.page.getByRole('alert').filter({ hasText: 'Something went wrong' })).toHaveCount(0);
  await expect(ada.page.getByTestId('welcome-name')).toHaveText('Ada');

  await ada.page.unroute('**/assets/SettingsView-*.js');
  await expect(ada.page).toHaveURL(/\/settings/);
  await expect(ada.page.getByRole('button', { name: 'Log out' })).toBeVisible();
});
