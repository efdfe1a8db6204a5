import { expect, test } from './fixtures';
import { logInViaUi, signUpViaUi } from './helpers';

test('see both devices and sign the other one out', async ({ browser }) => {
  const laptop = await browser.newContext();
  const phone = await browser.newContext();
  const laptopPage = await laptop.newPage();
  const phonePage = await phone.newPage();

  const username = await signUpViaUi(laptopPage);
  await logInViaUi(phonePage, username);
  await expect(phonePage).toHaveURL(/\/channels\/@me$/);

  await laptopPage.goto('/settings/sessions');
  const sessions = laptopPage.getByTestId('session');
  await expect(sessions).toHaveCount(2);
  await expect(laptopPage.getByText('This device')).toHaveCount(1);
  const other = sessions.filter({ hasNot: laptopPage.getByText('This device') });
  await other.getByRole('button', { name: /Sign out/ }).click();
  await expect(sessions).toHaveCount(1);

  // The phone is sent to the sign-in page at once (its gateway closed with 4004), and its token is dead.
  await expect(phonePage).toHaveURL(/\/login/);
  await phonePage.goto('/channels/@me');
  await expect(phonePage).toHaveURL(/\/login/);

  await laptop.close();
  await phone.close();
});
