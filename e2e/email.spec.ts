import { expect, test } from './fixtures';
import { PASSWORD, logInViaUi, uniqueName } from './helpers';

/** A mail as e2e/mail-catcher.ts hands it over. */
interface Mail {
  to: string[];
  subject: string;
  text: string;
}

/** The next mail to `to` whose subject matches: waits for it to arrive (the catcher's long poll). */
async function nextMail(to: string, subject: string): Promise<Mail> {
  const response = await fetch(`${process.env.E2E_MAIL_URL}/next?${new URLSearchParams({ to, subject })}`);
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as Mail;
}

/** The link in a mail, as a path on this server (the link's origin is PUBLIC_URL, the same server). */
function linkIn(mail: Mail, page: 'verify-email' | 'reset-password'): string {
  const match = new RegExp(`https?://[^/\\s]+(/${page}#token=[A-Za-z0-9_-]{43})`).exec(mail.text);
  expect(match, mail.text).not.toBeNull();
  return match![1]!;
}

test('sign up with an e-mail address and confirm it from the mail', async ({ page }) => {
  const username = uniqueName('mailer');
  const email = `${username}@e2e.test`;
  await page.goto('/register');
  await page.getByLabel('Username', { exact: false }).first().fill(username);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/channels\/@me$/);

  await page.goto('/settings/account');
  await expect(page.getByTestId('email-status')).toContainText(`${email} — not confirmed`);

  const mail = await nextMail(email, 'Confirm your e-mail address');
  await page.goto(linkIn(mail, 'verify-email'));
  await expect(page.getByTestId('email-confirmed')).toBeVisible();
  await page.getByRole('link', { name: 'Continue to Parley' }).click();
  await page.goto('/settings/account');
  await expect(page.getByTestId('email-status')).toContainText(`${email} — confirmed`);

  // The same link a second time says so.
  await page.goto(linkIn(mail, 'verify-email'));
  await expect(page.getByText('This link is invalid or has expired. Ask for a new one.')).toBeVisible();
});

test('reset a forgotten password from the mail: the old one stops working, every device is signed out', async ({ page, browser }) => {
  const username = uniqueName('forgetful');
  const email = `${username}@e2e.test`;
  // Signed in on another device meanwhile.
  const other = await browser.newPage();
  await other.goto('/register');
  await other.getByLabel('Username', { exact: false }).first().fill(username);
  await other.getByLabel('E-mail').fill(email);
  await other.getByLabel('Password').fill(PASSWORD);
  await other.getByRole('button', { name: 'Create account' }).click();
  await expect(other).toHaveURL(/\/channels\/@me$/);

  await page.goto('/login');
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await expect(page).toHaveURL(/\/forgot-password$/);
  await page.getByLabel('Username or e-mail').fill(email);
  await page.getByRole('button', { name: 'Send me a link' }).click();
  await expect(page.getByTestId('reset-sent')).toContainText('It works once, for 30 minutes.');

  const mail = await nextMail(email, 'Reset your password');
  expect(mail.text).toContain(username.toLowerCase());
  await page.goto(linkIn(mail, 'reset-password'));
  await page.getByRole('textbox', { name: 'New password' }).fill('short');
  await page.getByRole('button', { name: 'Change my password' }).click();
  await expect(page.getByText('Must be at least 8 characters long')).toBeVisible();
  await page.getByRole('textbox', { name: 'New password' }).fill('a much better password');
  await page.getByRole('button', { name: 'Change my password' }).click();
  await expect(page.getByTestId('password-reset')).toBeVisible();

  // The other device is thrown out to the sign-in page.
  await expect(other).toHaveURL(/\/login/);

  await logInViaUi(page, username, PASSWORD);
  await expect(page.getByText('Login or password is invalid.')).toBeVisible();
  await logInViaUi(page, email, 'a much better password');
  await expect(page).toHaveURL(/\/channels\/@me$/);

  // On record in Devices, and mailed.
  await page.goto('/settings/sessions');
  await expect(page.getByTestId('security-event').first()).toContainText('Signed in');
  await expect(page.getByTestId('security-event').filter({ hasText: 'Password reset from a mailed link' })).toHaveCount(1);
  expect((await nextMail(email, 'Security notice')).text).toContain('Your password was reset from a mailed link');
});

test('a new address waits for its confirmation; the old one is told', async ({ page }) => {
  const username = uniqueName('mover');
  const oldAddress = `${username}@old.e2e.test`;
  const newAddress = `${username}@new.e2e.test`;
  await page.goto('/register');
  await page.getByLabel('Username', { exact: false }).first().fill(username);
  await page.getByLabel('E-mail').fill(oldAddress);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/channels\/@me$/);

  await page.goto('/settings/account');
  const emailForm = page.locator('form').filter({ has: page.getByRole('heading', { name: 'E-mail' }) });
  await emailForm.getByLabel('E-mail').fill(newAddress);
  await emailForm.getByLabel('Current password').fill(PASSWORD);
  await emailForm.getByRole('button', { name: 'Save e-mail' }).click();
  await expect(page.getByTestId('pending-email')).toContainText(`Waiting for you to confirm ${newAddress}`);
  await expect(page.getByTestId('email-status')).toContainText(oldAddress);

  expect((await nextMail(oldAddress, 'being changed')).text).toContain(newAddress);
  await page.goto(linkIn(await nextMail(newAddress, 'Confirm'), 'verify-email'));
  await expect(page.getByTestId('email-confirmed')).toBeVisible();
  await page.goto('/settings/account');
  await expect(page.getByTestId('email-status')).toContainText(`${newAddress} — confirmed`);
  await expect(page.getByTestId('pending-email')).toHaveCount(0);
});
