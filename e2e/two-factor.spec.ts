import { type Page } from '@playwright/test';
import { createHmac } from 'node:crypto';
import { expectAccessible } from './axe';
import { expect, test } from './fixtures';
import { PASSWORD, logInViaUi, signUpViaUi } from './helpers';
import { createServer } from './servers';

/*
 * Two-factor authentication in the browser: an authenticator app (codes computed here, from
 * the key the page shows), recovery codes when the phone is lost, and passkeys made by
 * Chromium's virtual authenticator (CDP WebAuthn).
 */

/** RFC 4648 base32, as authenticator apps read the key. */
function fromBase32(text: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const char of text) bits += alphabet.indexOf(char).toString(2).padStart(5, '0');
  return Buffer.from(bits.match(/.{8}/g)!.map((byte) => parseInt(byte, 2)));
}

/**
 * The code an authenticator app shows for `secret`, `stepsAhead` 30-second steps from now:
 * RFC 6238 written out here (HMAC-SHA1, dynamic truncation), independent of the server's library.
 */
function appCode(secret: string, stepsAhead = 0): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30_000) + stepsAhead));
  const hmac = createHmac('sha1', fromBase32(secret)).update(counter).digest();
  const offset = hmac[hmac.length - 1]! & 0xf;
  return String((hmac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

/** Turns on TOTP from Settings → My account; returns the key and the recovery codes shown once. */
async function enableFromSettings(page: Page, checkAccessibility = false): Promise<{ secret: string; codes: string[] }> {
  await page.goto('/settings/account');
  await page.getByRole('button', { name: 'Enable two-factor authentication' }).click();
  const dialog = page.getByRole('dialog', { name: 'Set up two-factor authentication' });
  await expect(dialog.getByRole('img', { name: 'QR code to scan with your authenticator app' })).toBeVisible();
  // What a person would type into the app: the key as shown, in groups.
  const secret = (await dialog.getByTestId('totp-secret').innerText()).replace(/\s/g, '');
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  if (checkAccessibility) await expectAccessible(page, 'the two-factor setup dialog');
  await dialog.getByLabel('6-digit code from the app').fill(appCode(secret));
  await dialog.getByLabel('Current password').fill(PASSWORD);
  await dialog.getByRole('button', { name: 'Turn on' }).click();
  const codesDialog = page.getByRole('dialog', { name: 'Your recovery codes' });
  const items = codesDialog.getByTestId('recovery-codes').getByRole('listitem');
  await expect(items).toHaveCount(10);
  const codes = await items.allInnerTexts();
  if (checkAccessibility) await expectAccessible(page, 'the recovery codes dialog');
  await codesDialog.getByRole('button', { name: 'I saved them' }).click();
  await expect(page.getByTestId('two-factor-on')).toBeVisible();
  return { secret, codes: codes.map((c) => c.trim()) };
}

async function signOut(page: Page): Promise<void> {
  await page.goto('/settings/account');
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login$/);
}

test('turn on an authenticator app from settings, sign out, sign in with its code', async ({ page }) => {
  const username = await signUpViaUi(page, { displayName: 'Ada Secure' });
  const { secret } = await enableFromSettings(page, true);
  // The session survived the token rotation: the app still works after a reload.
  await page.reload();
  await expect(page.getByTestId('two-factor-on')).toBeVisible();
  await signOut(page);

  await logInViaUi(page, username);
  await expect(page.getByRole('heading', { name: 'Two-factor authentication' })).toBeVisible();
  await page.getByLabel('6-digit code from your authenticator app').fill('000000');
  await page.getByRole('button', { name: 'Continue', exact: true }).click();
  await expect(page.getByText('Invalid two-factor code.')).toBeVisible();
  await expectAccessible(page, 'the second step of signing in');
  // The code used to turn it on was spent: the app's next one is accepted (the server allows one step of drift).
  await page.getByLabel('6-digit code from your authenticator app').fill(appCode(secret, 1));
  await page.getByRole('button', { name: 'Continue', exact: true }).click();
  await expect(page.getByTestId('welcome-name')).toHaveText('Ada Secure');
});

test('lose the phone: a recovery code signs in once, and only once', async ({ page }) => {
  const username = await signUpViaUi(page, { displayName: 'Phoneless' });
  const { codes } = await enableFromSettings(page);
  await signOut(page);

  const withRecoveryCode = async () => {
    await logInViaUi(page, username);
    await page.getByRole('button', { name: 'Use a recovery code' }).click();
    await page.getByLabel('Recovery code').fill(codes[0]!);
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
  };
  await withRecoveryCode();
  await expect(page.getByTestId('welcome-name')).toHaveText('Phoneless');
  await signOut(page);

  await withRecoveryCode();
  await expect(page.getByText('Invalid two-factor code.')).toBeVisible();
  await expect(page).toHaveURL(/\/login$/);
  // Another of the codes still works.
  await page.getByLabel('Recovery code').fill(codes[1]!);
  await page.getByRole('button', { name: 'Continue', exact: true }).click();
  await expect(page.getByTestId('welcome-name')).toHaveText('Phoneless');
});

test('an owner with 2FA requires it for moderation in their server', async ({ page }) => {
  await signUpViaUi(page, { displayName: 'Careful Owner' });
  const guildId = await createServer(page, 'Strict Club');
  await page.goto(`/servers/${guildId}/settings/overview`);
  const requirement = page.getByRole('checkbox', { name: 'Require 2FA for moderation' });
  // Without 2FA of their own, the owner is told what to do first.
  await expect(requirement).toBeDisabled();
  await expect(page.getByText('Turn on two-factor authentication for your own account first')).toBeVisible();

  await enableFromSettings(page);
  await page.goto(`/servers/${guildId}/settings/overview`);
  await requirement.check();
  await expect(requirement).toBeChecked();
  // Stored: still on after a reload.
  await page.reload();
  await expect(page.getByRole('checkbox', { name: 'Require 2FA for moderation' })).toBeChecked();
});

test.describe('passkeys', () => {
  // A passkey belongs to a host name (the RP ID), never an IP address: load the app at localhost.
  test.use({ baseURL: `http://localhost:${process.env.E2E_PORT ?? 18_080}` });

  test('register a passkey in settings, sign out, sign in with the passkey alone', async ({ page }) => {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });

    const username = await signUpViaUi(page, { displayName: 'Key Holder' });
    await page.goto('/settings/account');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    const add = page.getByRole('dialog', { name: 'Add a passkey' });
    await add.getByLabel('Passkey name').fill('This laptop');
    await add.getByLabel('Current password').fill(PASSWORD);
    await add.getByRole('button', { name: 'Create passkey' }).click();
    await expect(page.getByTestId('passkey')).toHaveCount(1);
    await expect(page.getByTestId('passkey')).toContainText('This laptop');
    await expectAccessible(page, 'account settings with a passkey');
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials).toHaveLength(1);
    expect(credentials[0]!.isResidentCredential).toBe(true);

    await page.getByRole('button', { name: 'Rename This laptop' }).click();
    const rename = page.getByRole('dialog', { name: 'Rename passkey' });
    await rename.getByLabel('Passkey name').fill('Work laptop');
    await rename.getByRole('button', { name: 'Save' }).click();
    await expect(page.getByTestId('passkey')).toContainText('Work laptop');

    await signOut(page);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await expect(page.getByTestId('welcome-name')).toHaveText('Key Holder');
    await page.goto('/settings/account');
    await expect(page.getByTestId('passkey')).toContainText('last used');

    // With an authenticator app turned on, the passkey also answers the second step of a password sign-in.
    await enableFromSettings(page);
    await signOut(page);
    await logInViaUi(page, username);
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    await expect(page.getByTestId('welcome-name')).toHaveText('Key Holder');
  });
});
