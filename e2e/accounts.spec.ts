import { expect, test } from './fixtures';
import { PASSWORD, logInViaUi, signUpViaUi, uniqueName } from './helpers';

test('sign up, see the home screen, log out and log back in', async ({ page }) => {
  const username = await signUpViaUi(page, { displayName: 'Grace Hopper' });
  await expect(page.getByTestId('welcome-name')).toHaveText('Grace Hopper');
  await expect(page.getByText(`@${username}`)).toBeVisible();
  await expect(page.getByTestId('user-id')).toHaveText(/^\d{17,20}$/);

  await page.getByRole('link', { name: 'User settings' }).click();
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto('/app');
  await expect(page).toHaveURL(/\/login/);

  await logInViaUi(page, username.toUpperCase());
  await expect(page.getByTestId('welcome-name')).toHaveText('Grace Hopper');
});

test('registration errors are shown next to the field that caused them', async ({ page }) => {
  const taken = await signUpViaUi(page);
  await page.evaluate(() => localStorage.clear());
  await page.goto('/register');
  // Caught in the browser by the shared schema, before any request.
  await page.getByLabel('Username', { exact: false }).first().fill('a');
  await page.getByLabel('Password').fill('short');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByText('Must be at least 2 characters long')).toBeVisible();
  await expect(page.getByText('Must be at least 8 characters long')).toBeVisible();
  // Caught by the server.
  await page.getByLabel('Username', { exact: false }).first().fill(taken);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByText('Username is unavailable')).toBeVisible();
  await expect(page).toHaveURL(/\/register$/);
});

test('a wrong password is refused with a clear message', async ({ page }) => {
  const username = await signUpViaUi(page);
  await page.evaluate(() => localStorage.clear());
  await logInViaUi(page, username, 'not my password');
  await expect(page.getByText('Login or password is invalid.')).toBeVisible();
  await expect(page).toHaveURL(/\/login$/);
});

test('after too many wrong passwords the sign-in page says how long to wait; another device still signs in', async ({ page, browser }) => {
  const username = await signUpViaUi(page, { displayName: 'Mistyping Owner' });
  await page.evaluate(() => localStorage.clear());
  // This browser's own counter for the account (AUTH_RATE_LIMIT_ACCOUNT, 10 per 15 minutes here).
  await logInViaUi(page, username, 'wrong guess');
  await expect(page.getByText('Login or password is invalid.')).toBeVisible();
  for (let i = 1; i < 10; i++) {
    const answered = page.waitForResponse((response) => response.url().endsWith('/auth/login'));
    await page.getByLabel('Password').fill(`wrong guess ${i}`);
    await page.getByRole('button', { name: 'Log in' }).click();
    expect((await answered).status()).toBe(400);
  }
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByTestId('retry-wait')).toHaveText(/^Too many attempts\. Try again in 1[45] minutes\.$/);
  await expect(page).toHaveURL(/\/login$/);

  // Failures here don't hold back the owner's other devices.
  const elsewhere = await browser.newContext();
  try {
    const other = await elsewhere.newPage();
    await logInViaUi(other, username);
    await expect(other.getByTestId('welcome-name')).toHaveText('Mistyping Owner');
  } finally {
    await elsewhere.close();
  }
});

test('the sign-in page counts down the wait a 429 asks for', async ({ page }) => {
  await page.clock.install();
  await page.route('**/api/v10/auth/login', (route) =>
    route.fulfill({
      status: 429,
      headers: { 'retry-after': '240' },
      contentType: 'application/json',
      body: JSON.stringify({ code: 90001, message: 'You are being rate limited.', retry_after: 240, global: false }),
    }),
  );
  await logInViaUi(page, 'someone', 'any password');
  const wait = page.getByTestId('retry-wait');
  await expect(wait).toHaveText('Too many attempts. Try again in 4 minutes.');
  await page.clock.runFor(61_000);
  await expect(wait).toHaveText('Too many attempts. Try again in 3 minutes.');
  await page.clock.runFor(150_000);
  await expect(wait).toHaveText('Too many attempts. Try again in 29 seconds.');
  await page.clock.runFor(30_000);
  await expect(wait).toBeHidden();
  await expect(page.getByRole('alert')).toBeHidden();
});

test('continue as a guest, be marked as one, then upgrade keeping the same ID', async ({ page }) => {
  await page.goto('/login');
  await page.getByRole('button', { name: 'Continue as guest' }).click();
  await expect(page).toHaveURL(/\/channels\/@me$/);
  await expect(page.getByText('You are using a temporary guest identity')).toBeVisible();
  await expect(page.getByText('Guest', { exact: true }).first()).toBeVisible();
  const guestId = await page.getByTestId('user-id').textContent();
  const guestName = await page.getByTestId('welcome-name').textContent();

  await page.getByRole('button', { name: 'Keep my account' }).click();
  const dialog = page.getByRole('dialog', { name: 'Keep your account' });
  const username = uniqueName('kept');
  await dialog.getByLabel('Username', { exact: false }).first().fill(username);
  await dialog.getByLabel('Password').fill(PASSWORD);
  await dialog.getByRole('button', { name: 'Create account' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByText('You are using a temporary guest identity')).toBeHidden();
  await expect(page.getByTestId('user-id')).toHaveText(guestId!);
  await expect(page.getByTestId('welcome-name')).toHaveText(guestName!);

  // The upgraded account now signs in with its password, as the same user.
  await page.evaluate(() => localStorage.clear());
  await logInViaUi(page, username);
  await expect(page.getByTestId('user-id')).toHaveText(guestId!);
});

test('others find a guest by the ID they share, clearly marked as a guest', async ({ browser }) => {
  const guestContext = await browser.newContext();
  const memberContext = await browser.newContext();
  const guest = await guestContext.newPage();
  const member = await memberContext.newPage();

  await guest.goto('/login');
  await guest.getByRole('button', { name: 'Continue as guest' }).click();
  const guestId = (await guest.getByTestId('user-id').textContent())!;
  const guestName = (await guest.getByTestId('welcome-name').textContent())!;

  await signUpViaUi(member);
  await member.getByLabel('User ID').fill(guestId);
  await member.getByRole('button', { name: 'Look up' }).click();
  const card = member.getByTestId('found-user');
  await expect(card).toContainText(guestName);
  await expect(card.getByText('Guest', { exact: true })).toBeVisible();

  await member.getByLabel('User ID').fill('12345');
  await member.getByRole('button', { name: 'Look up' }).click();
  await expect(member.getByText('No one has that ID.')).toBeVisible();
  await member.getByLabel('User ID').fill('not an id');
  await member.getByRole('button', { name: 'Look up' }).click();
  await expect(member.getByText('Must be an ID')).toBeVisible();

  await guestContext.close();
  await memberContext.close();
});
