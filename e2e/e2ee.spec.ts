import { readFileSync } from 'node:fs';
import { plaintextInDatabase } from './database';
import { logInViaUi } from './helpers';
import { expect, serverWith, test } from './people';

/*
 * End-to-end encrypted conversations in the browser: each signed-in browser is a device (MLS,
 * kept in IndexedDB), the text is sealed before it leaves and opened on arrival, and the server
 * stores only ciphertext.
 */

// Each journey drives two or three browsers through MLS and libsodium (Argon2id in one): a bound
// of two minutes, not the default one, so a loaded machine does not fail them.
test.describe.configure({ timeout: 120_000 });

test('an encrypted DM from a profile: both read it live and after a reload, the server holds only ciphertext', async ({ newPerson }) => {
  const ada = await newPerson('Ada');
  const bob = await newPerson('Bob');
  const { guildId, generalId } = await serverWith(ada, [bob], 'Cipher Club');
  await bob.api.post(`/channels/${generalId}/messages`, { content: 'hello from bob' });
  // Each browser registered its device once signed in.
  const devicesOf = async (person: typeof ada) => (await ada.api.get<{ id: string }[]>(`/users/${person.id}/e2ee/devices`)).map((d) => d.id);
  // Each browser is a device, published once the page says so.
  for (const person of [ada, bob]) await expect(person.page.locator('html[data-e2ee="ready"]')).toHaveCount(1);
  for (const person of [ada, bob]) expect(await devicesOf(person)).toHaveLength(1);
  const bobDevice = await devicesOf(bob);

  await ada.page.goto(`/channels/${guildId}/${generalId}`);
  await ada.page.getByTestId('message').filter({ hasText: 'hello from bob' }).getByTestId('message-author').click();
  await ada.page.getByRole('button', { name: 'Encrypted message' }).click();
  await expect(ada.page.getByTestId('e2ee-lock')).toBeVisible();
  const dmId = new URL(ada.page.url()).pathname.split('/').pop()!;
  await ada.page.getByTestId('composer').fill('the plan is in the blue folder');
  await ada.page.getByTestId('composer').press('Enter');
  await expect(ada.page.getByTestId('message-text').filter({ hasText: 'blue folder' })).toBeVisible();

  await bob.page.goto(`/channels/@me/${dmId}`);
  await expect(bob.page.getByTestId('e2ee-lock')).toBeVisible();
  await expect(bob.page.getByTestId('message-text').filter({ hasText: 'blue folder' })).toBeVisible();
  await bob.page.getByTestId('composer').fill('got it, burning the folder');
  await bob.page.getByTestId('composer').press('Enter');
  await expect(ada.page.getByTestId('message-text').filter({ hasText: 'burning the folder' })).toBeVisible();

  // Bob reports Ada's message: it is revealed to the moderators with proof that Ada sent it.
  const reported = bob.page.getByTestId('message').filter({ hasText: 'blue folder' });
  await reported.hover();
  await reported.getByRole('button', { name: 'Report' }).click();
  const dialog = bob.page.getByRole('dialog', { name: 'Report message' });
  await expect(dialog.getByTestId('report-reveals')).toContainText('with proof that Ada sent it');
  await dialog.getByRole('radio', { name: /Harassment or bullying/ }).check();
  await dialog.getByRole('button', { name: 'Send report' }).click();
  await expect(dialog.getByTestId('report-sent')).toBeVisible();
  await bob.page.keyboard.press('Escape');
  const [report] = await bob.api.get<{ content: string | null }[]>('/reports/mine');
  expect(report!.content).toBe('the plan is in the blue folder');

  // The server has who and when, never what.
  const stored = await ada.api.get<{ content: string; encrypted?: { ciphertext: string } }[]>(`/channels/${dmId}/messages`);
  expect(stored.map((m) => m.content)).toEqual(['', '']);
  expect(stored.every((m) => m.encrypted?.ciphertext)).toBe(true);
  expect(JSON.stringify(stored)).not.toMatch(/blue folder|burning/);
  // Edits and reactions are sealed too: Ada edits her message (Up in the empty composer), Bob reacts.
  await ada.page.getByTestId('composer').press('ArrowUp');
  await expect(ada.page.getByTestId('composer')).toHaveValue('the plan is in the blue folder');
  await ada.page.getByTestId('composer').fill('the plan is in the green folder');
  await ada.page.getByTestId('composer').press('Enter');
  const onBob = bob.page.getByTestId('message').filter({ hasText: 'green folder' });
  await expect(onBob.getByText('(edited)')).toBeVisible();
  await onBob.hover();
  await onBob.getByRole('button', { name: 'Add reaction', exact: true }).click();
  await bob.page.getByTestId('reaction-picker').getByRole('searchbox', { name: 'Search emoji by name' }).fill('party');
  await bob.page.getByTestId('reaction-picker').getByRole('menuitem', { name: 'React with 🎉' }).click();
  const chip = ada.page.getByTestId('message').filter({ hasText: 'green folder' }).getByTestId('reaction');
  await expect(chip).toHaveText(/🎉\s*1/);
  await chip.click();
  await expect(onBob.getByTestId('reaction')).toHaveText(/🎉\s*2/);
  const sealedMessages = await ada.api.get<{ id: string; content: string; reactions?: { emoji: { name: string } }[] }[]>(`/channels/${dmId}/messages`);
  expect(JSON.stringify(sealedMessages)).not.toMatch(/folder|🎉/);
  expect(sealedMessages.flatMap((m) => m.reactions ?? []).map((r) => r.emoji.name)).toEqual([expect.stringMatching(/^sealed\./)]);
  // A report whose revealed text is not what Ada sent fails its franking check.
  const forged = await bob.page.request.post('/api/v10/reports', {
    headers: { Authorization: (await bob.page.evaluate(() => localStorage.getItem('parley.token')))! },
    data: { category: 'harassment', message_id: sealedMessages.find((m) => m.reactions?.length)!.id, reveal: { content: 'something Ada never wrote', franking_key: 'A'.repeat(43) + '=' } },
  });
  expect(forged.status()).toBe(400);
  expect((await forged.json()) as { code: number }).toMatchObject({ code: 90078 });
  // The database holds none of the text (the report holds what Bob revealed, by design). The
  // journeys share one database and others react with 🎉 in the clear: the API check above
  // covers this conversation's reactions.
  expect(plaintextInDatabase(['green folder', 'burning the folder'])).toEqual([]);

  // A reload brings the same device back from the browser's storage: everything still opens.
  await bob.page.reload();
  await expect(bob.page.getByTestId('message-text').filter({ hasText: 'green folder' })).toBeVisible();
  await expect(bob.page.getByTestId('message-text').filter({ hasText: 'burning the folder' })).toBeVisible();
  await expect(bob.page.getByTestId('message-sealed')).toHaveCount(0);
  expect(await devicesOf(bob)).toEqual(bobDevice);

  // Bob searches the conversation with the usual search box: his browser answers from its own index.
  const box = bob.page.getByRole('searchbox', { name: 'Search this conversation' });
  await box.fill('folder');
  await box.press('Enter');
  const results = bob.page.getByTestId('search-result');
  await expect(results).toHaveCount(2);
  await expect(results.first()).toContainText('burning the folder');
  await expect(results.nth(1)).toContainText('the plan is in the green folder');
  await expect(results.first().locator('mark')).toHaveText('folder');
  await results.nth(1).click();
  await expect(bob.page.getByTestId('message').filter({ hasText: 'green folder' })).toHaveClass(/highlighted/);
  // The index is kept in the browser, sealed: its stored bytes hold none of the words.
  const storedIndex = await bob.page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve) => (indexedDB.open('parley-e2ee-search').onsuccess = (e) => resolve((e.target as IDBOpenDBRequest).result)));
    const rows = await new Promise<{ data: ArrayBuffer }[]>((resolve) => (db.transaction('indexes').objectStore('indexes').getAll().onsuccess = (e) => resolve((e.target as IDBRequest).result)));
    return rows.map((row) => new TextDecoder().decode(row.data)).join('');
  });
  expect(storedIndex.length).toBeGreaterThan(100);
  expect(storedIndex).not.toContain('folder');

  // Safety codes: the same on both sides; Ada marks Bob verified.
  const codeOn = async (page: typeof ada.page) => {
    await page.getByTestId('e2ee-lock').click();
    const digits = (await page.getByTestId('safety-digits').textContent())!;
    return digits;
  };
  const adaCode = await codeOn(ada.page);
  expect(adaCode).toMatch(/^(\d{5} ){11}\d{5}$/);
  expect(await codeOn(bob.page)).toBe(adaCode);
  await bob.page.keyboard.press('Escape');
  await ada.page.getByRole('button', { name: 'The codes match: mark as verified' }).click();
  await expect(ada.page.getByTestId('safety-verified')).toBeVisible();
  await ada.page.keyboard.press('Escape');

  // Signing out removes the device from the account and its keys from the browser.
  await bob.page.getByRole('link', { name: 'User settings' }).click();
  await bob.page.getByRole('button', { name: 'Log out' }).click();
  await expect(bob.page).toHaveURL(/\/login/);
  expect(await devicesOf(ada)).toHaveLength(1);
  expect(await devicesOf(bob)).toEqual([]);
  expect(
    await bob.page.evaluate(
      () =>
        new Promise((resolve) => {
          const request = indexedDB.open('parley-e2ee');
          request.onsuccess = () => (request.result.transaction('devices').objectStore('devices').count().onsuccess = (e) => resolve((e.target as IDBRequest<number>).result));
        }),
    ),
  ).toBe(0);
});

test("a second device: the others' clients let it in, a verified person is flagged until checked again, and another device's approval opens the history", async ({ newPerson }) => {
  const ada = await newPerson('Ada');
  const bob = await newPerson('Bob');
  await serverWith(ada, [bob], 'Two Devices');
  for (const person of [ada, bob]) await expect(person.page.locator('html[data-e2ee="ready"]')).toHaveCount(1);
  const devicesOf = async (person: typeof ada) => (await ada.api.get<{ id: string }[]>(`/users/${person.id}/e2ee/devices`)).map((d) => d.id);
  const { id: dmId } = await ada.api.post<{ id: string }>('/users/@me/channels', { recipient_id: bob.id, e2ee: true });
  await ada.page.goto(`/channels/@me/${dmId}`);
  await ada.page.getByTestId('composer').fill('the plan is in the green folder');
  await ada.page.getByTestId('composer').press('Enter');
  await bob.page.goto(`/channels/@me/${dmId}`);
  await expect(bob.page.getByTestId('message-text').filter({ hasText: 'green folder' })).toBeVisible();
  await bob.page.getByTestId('composer').fill('got it, burning the folder');
  await bob.page.getByTestId('composer').press('Enter');
  await expect(ada.page.getByTestId('message-text').filter({ hasText: 'burning the folder' })).toBeVisible();
  await ada.page.getByTestId('e2ee-lock').click();
  const adaCode = (await ada.page.getByTestId('safety-digits').textContent())!;
  await ada.page.getByRole('button', { name: 'The codes match: mark as verified' }).click();
  await expect(ada.page.getByTestId('safety-verified')).toBeVisible();
  await ada.page.keyboard.press('Escape');

  // Bob signs in on a second browser: Ada's client lets the new device in, and flags Bob until checked again.
  const phoneContext = await ada.page.context().browser()!.newContext();
  const phone = await phoneContext.newPage();
  await logInViaUi(phone, bob.username);
  await expect(phone.locator('html[data-e2ee="ready"]')).toHaveCount(1);
  expect(await devicesOf(bob)).toHaveLength(2);
  // Ada's client adds the phone by itself; her safety code for Bob changes once it has.
  await expect
    .poll(async () => {
      await ada.page.getByTestId('e2ee-lock').click();
      await expect(ada.page.getByTestId('safety-digits')).toBeVisible();
      const changed = await ada.page.getByTestId('safety-changed').count();
      await ada.page.keyboard.press('Escape');
      return changed;
    })
    .toBe(1);
  await ada.page.getByTestId('e2ee-lock').click();
  await expect(ada.page.getByTestId('safety-changed')).toContainText("Bob's devices changed since you verified them");
  expect(await ada.page.getByTestId('safety-digits').textContent()).not.toBe(adaCode);
  await ada.page.keyboard.press('Escape');
  await phone.goto(`/channels/@me/${dmId}`);
  await ada.page.getByTestId('composer').fill('welcome, new device');
  await ada.page.getByTestId('composer').press('Enter');
  await expect(phone.getByTestId('message-text').filter({ hasText: 'welcome, new device' })).toBeVisible();
  // What was sent before it joined needs the key backup (not set up here): it says so rather than failing silently.
  await expect(phone.getByTestId('message').filter({ hasText: 'Sent before this device joined' }).first()).toBeVisible();

  // Bob's first browser approves the phone (the same code on both): the phone reads the earlier messages.
  await phone.goto('/settings/encryption');
  await phone.getByRole('button', { name: 'Ask another device' }).click();
  const code = (await phone.getByTestId('history-code').textContent())!;
  expect(code).toMatch(/^\d{5} \d{5} \d{5} \d{5}$/);
  const prompt = bob.page.getByRole('dialog', { name: 'Give your history to a new device?' });
  await expect(prompt.getByTestId('history-request-code')).toHaveText(code);
  await prompt.getByRole('button', { name: 'The codes match: approve' }).click();
  await expect(prompt).toHaveCount(0);
  await expect(phone.getByTestId('history-approved')).toBeVisible();
  await phone.goto(`/channels/@me/${dmId}`);
  await expect(phone.getByTestId('message-text').filter({ hasText: 'green folder' })).toBeVisible();
  await expect(phone.getByTestId('message-text').filter({ hasText: 'burning the folder' })).toBeVisible();
  await expect(phone.getByTestId('message-sealed')).toHaveCount(0);
  await phoneContext.close();
});

test('a key backup set up in settings with a passphrase brings the encrypted history back after signing out and in again', async ({ newPerson }) => {
  const ada = await newPerson('Ada');
  const bob = await newPerson('Bob');
  await serverWith(ada, [bob], 'Backup Club');
  const devicesOf = async (person: typeof ada) => (await bob.api.get<{ id: string }[]>(`/users/${person.id}/e2ee/devices`)).map((d) => d.id);
  for (const person of [ada, bob]) await expect(person.page.locator('html[data-e2ee="ready"]')).toHaveCount(1);

  await ada.page.goto('/settings/encryption');
  await ada.page.getByLabel('Passphrase (optional)').fill('seven purple otters sing at dawn');
  await ada.page.getByRole('button', { name: 'Set up key backup' }).click();
  const recoveryKey = (await ada.page.getByTestId('recovery-key').textContent())!;
  expect(recoveryKey).toMatch(/^([A-Z2-7]{4} ){12}[A-Z2-7]{4}$/);
  await ada.page.getByRole('button', { name: 'I have saved it' }).click();
  await expect(ada.page.getByTestId('backup-on')).toBeVisible();

  const dm = await ada.api.post<{ id: string }>('/users/@me/channels', { recipient_id: bob.id, e2ee: true });
  await ada.page.goto(`/channels/@me/${dm.id}`);
  await ada.page.getByTestId('composer').fill('kept safe in the backup');
  await ada.page.getByTestId('composer').press('Enter');
  await bob.page.goto(`/channels/@me/${dm.id}`);
  await expect(bob.page.getByTestId('message-text').filter({ hasText: 'kept safe' })).toBeVisible();

  // Ada signs out (this browser's keys go) and back in: a new device, which cannot read the past…
  await ada.page.goto('/settings/account');
  await ada.page.getByRole('button', { name: 'Log out' }).click();
  await expect(ada.page).toHaveURL(/\/login/);
  await logInViaUi(ada.page, ada.username);
  await expect(ada.page.locator('html[data-e2ee="ready"]')).toHaveCount(1);
  expect(await devicesOf(ada)).toHaveLength(1);
  await ada.page.goto(`/channels/@me/${dm.id}`);
  await expect(ada.page.getByTestId('message-sealed')).toContainText('Sent before this device joined');

  // …until the passphrase (or the recovery key) restores the backup.
  await ada.page.goto('/settings/encryption');
  await ada.page.getByLabel('Recovery key or passphrase').fill('seven purple otters sing at noon');
  await ada.page.getByRole('button', { name: 'Restore' }).click();
  await expect(ada.page.getByRole('alert')).toContainText('does not open your backup');
  await ada.page.getByLabel('Recovery key or passphrase').fill('seven purple otters sing at dawn');
  await ada.page.getByRole('button', { name: 'Restore' }).click();
  await expect(ada.page.getByTestId('backup-on')).toBeVisible();
  await ada.page.goto(`/channels/@me/${dm.id}`);
  await expect(ada.page.getByTestId('message-text').filter({ hasText: 'kept safe in the backup' })).toBeVisible();
  await expect(ada.page.getByTestId('message-sealed')).toHaveCount(0);
});

test('an end-to-end encrypted private channel, made from the server menu: its members read it (earlier history once shared), the server does not', async ({ newPerson }) => {
  const ada = await newPerson('Ada');
  const bob = await newPerson('Bob');
  const { guildId } = await serverWith(ada, [bob], 'Sealed Club');
  await expect(bob.page.locator('html[data-e2ee="ready"]')).toHaveCount(1);
  await ada.page.goto(`/channels/${guildId}`);
  await ada.page.getByRole('button', { name: /server menu/ }).click();
  await ada.page.getByRole('menuitem', { name: 'Create channel' }).click();
  const dialog = ada.page.getByRole('dialog');
  await dialog.getByLabel('Channel name').fill('vault');
  await expect(dialog.getByTestId('e2ee-toggle')).toHaveCount(0);
  await dialog.getByTestId('private-toggle').check();
  await dialog.getByTestId('e2ee-toggle').check();
  await dialog.getByRole('button', { name: 'Create channel' }).click();
  await expect(ada.page.getByTestId('channel-title')).toHaveText('vault');
  await expect(ada.page.getByTestId('e2ee-lock')).toBeVisible();
  const channelId = new URL(ada.page.url()).pathname.split('/').pop()!;
  await ada.page.getByTestId('composer').fill('combination is 12-34-56');
  await ada.page.getByTestId('composer').press('Enter');
  await expect(ada.page.getByTestId('message-text').filter({ hasText: 'combination' })).toBeVisible();
  // Bob, added after that message, reads it once Ada shares the earlier history with the members.
  await ada.api.put(`/channels/${channelId}/members/${bob.id}`);
  await bob.page.goto(`/channels/${guildId}/${channelId}`);
  await expect(bob.page.getByTestId('message').filter({ hasText: 'Waiting for this device to be let into the conversation' })).toBeVisible();
  await ada.page.getByTestId('e2ee-lock').click();
  await ada.page.getByTestId('share-history').click();
  await expect(ada.page.getByRole('status').filter({ hasText: 'Shared with the members' })).toBeVisible();
  await ada.page.keyboard.press('Escape');
  await expect(bob.page.getByTestId('message-text').filter({ hasText: 'combination is 12-34-56' })).toBeVisible();
  const stored = await bob.api.get<{ content: string }[]>(`/channels/${channelId}/messages`);
  expect(JSON.stringify(stored)).not.toContain('12-34-56');

  // Files are sealed in the browser: Bob sees the picture and downloads the notes under their names.
  // A 4 × 4 PNG.
  const picture = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAIAAAAmkwkpAAAACXBIWXMAAAPoAAAD6AG1e1JrAAAAEElEQVQImWM4oREFRwzEcQAfchShB3HQnwAAAABJRU5ErkJggg==', 'base64');
  await ada.page.getByTestId('file-input').setInputFiles([
    { name: 'vault-door.png', mimeType: 'image/png', buffer: picture },
    { name: 'vault-notes.txt', mimeType: 'text/plain', buffer: Buffer.from('the spare key is under the mat') },
  ]);
  await ada.page.getByTestId('composer').fill('photos of the vault');
  await ada.page.getByTestId('composer').press('Enter');
  const withFiles = bob.page.getByTestId('message').filter({ hasText: 'photos of the vault' });
  await expect(withFiles.getByTestId('sealed-image')).toHaveAttribute('alt', 'vault-door.png');
  await expect.poll(() => withFiles.getByTestId('sealed-image').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(4);
  const downloading = bob.page.waitForEvent('download');
  await withFiles.getByTestId('sealed-file').filter({ hasText: 'vault-notes.txt' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe('vault-notes.txt');
  expect(readFileSync(await download.path(), 'utf8')).toBe('the spare key is under the mat');
  const [filed] = await bob.api.get<{ attachments: { filename: string; content_type: string }[] }[]>(`/channels/${channelId}/messages`);
  expect(filed!.attachments.map((a) => a.filename)).toEqual(['encrypted.bin', 'encrypted.bin']);

  // A thread on a message: it has no name to give (the server would read it) and is sealed like the channel.
  const combination = ada.page.getByTestId('message').filter({ hasText: 'combination is 12-34-56' });
  await combination.hover();
  await combination.getByRole('button', { name: 'Create thread', exact: true }).click();
  const naming = ada.page.getByRole('dialog', { name: 'Create thread' });
  await expect(naming.getByLabel('Thread name')).toHaveCount(0);
  await naming.getByRole('button', { name: 'Create thread' }).click();
  const adaThread = ada.page.getByTestId('thread-panel');
  await adaThread.getByTestId('composer').fill('it changes on Tuesdays');
  await adaThread.getByTestId('composer').press('Enter');
  await expect(adaThread.getByTestId('message-text').filter({ hasText: 'it changes on Tuesdays' })).toBeVisible();
  await bob.page.getByTestId('message').filter({ hasText: 'combination is 12-34-56' }).getByTestId('thread-link').click();
  await expect(bob.page.getByTestId('thread-panel').getByTestId('message-text').filter({ hasText: 'it changes on Tuesdays' })).toBeVisible();
  await adaThread.getByTestId('composer').press('Escape');
  await expect(adaThread).toHaveCount(0);

  // Bob is removed: the channel leaves his screen, Ada's client takes his device out of the group
  // (a commit: the epoch moves on), and what she sends next is sealed for an epoch he never holds.
  const { epoch: before } = await ada.api.get<{ epoch: number }>(`/channels/${channelId}/mls`);
  await ada.api.delete(`/channels/${channelId}/members/${bob.id}`);
  await expect(bob.page.getByTestId('message-text').filter({ hasText: 'combination' })).toHaveCount(0);
  await expect.poll(async () => (await ada.api.get<{ epoch: number }>(`/channels/${channelId}/mls`)).epoch).toBeGreaterThan(before);
  await ada.page.getByTestId('composer').fill('new combination is 65-43-21');
  await ada.page.getByTestId('composer').press('Enter');
  await expect(ada.page.getByTestId('message-text').filter({ hasText: 'new combination' })).toBeVisible();
  const [later] = (await ada.api.get<{ encrypted: { epoch: number } }[]>(`/channels/${channelId}/messages`)).slice(0, 1);
  // Bob's device as his browser keeps it (decrypted in his page with its own key): the epochs it holds keys for.
  const bobEpochs = await bob.page.evaluate(async (channel) => {
    const db = await new Promise<IDBDatabase>((resolve) => (indexedDB.open('parley-e2ee').onsuccess = (e) => resolve((e.target as IDBOpenDBRequest).result)));
    const [sealed] = await new Promise<{ key: CryptoKey; iv: Uint8Array<ArrayBuffer>; data: ArrayBuffer }[]>(
      (resolve) => (db.transaction('devices').objectStore('devices').getAll().onsuccess = (e) => resolve((e.target as IDBRequest).result)),
    );
    const device = JSON.parse(new TextDecoder().decode(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: sealed!.iv }, sealed!.key, sealed!.data))) as {
      epochs: Record<string, Record<string, unknown>>;
    };
    return Object.keys(device.epochs[channel] ?? {}).map(Number);
  }, channelId);
  expect(bobEpochs.length).toBeGreaterThan(0);
  expect(Math.max(...bobEpochs)).toBeLessThan(later!.encrypted.epoch);
  expect(plaintextInDatabase(['12-34-56', '65-43-21', 'vault-door', 'vault-notes', 'spare key', 'Tuesdays'])).toEqual([]);
});

test('an encrypted server, made from the add-server dialog: a member who joins by invite reads from then on, a kicked one is taken out at once; the database holds no plaintext', async ({
  newPerson,
}) => {
  const ada = await newPerson('Ada');
  const bob = await newPerson('Bob');
  await ada.page.getByRole('button', { name: 'Add a server' }).click();
  await ada.page.getByLabel('Server name').fill('Sealed Community');
  await ada.page.getByTestId('server-e2ee-toggle').check();
  await ada.page.getByRole('button', { name: 'Create', exact: true }).click();
  await expect(ada.page.getByTestId('guild-e2ee')).toBeVisible();
  await expect(ada.page.getByTestId('channel-title')).toHaveText('general');
  await expect(ada.page.getByTestId('e2ee-lock')).toBeVisible();
  const [guildId, generalId] = new URL(ada.page.url()).pathname.split('/').slice(-2) as [string, string];
  await ada.page.getByTestId('composer').fill('the founding minutes');
  await ada.page.getByTestId('composer').press('Enter');
  await expect(ada.page.getByTestId('message-text').filter({ hasText: 'the founding minutes' })).toBeVisible();

  // Every text channel made in it is encrypted: the dialog says so instead of offering a choice.
  await ada.page.getByRole('button', { name: /server menu/ }).click();
  await ada.page.getByRole('menuitem', { name: 'Create channel' }).click();
  await expect(ada.page.getByRole('dialog').getByTestId('e2ee-server-note')).toBeVisible();
  await ada.page.keyboard.press('Escape');

  // Bob joins by invite: the server makes him a reader of #general, Ada's next message lets his device in.
  const invite = await ada.api.post<{ code: string }>(`/channels/${generalId}/invites`, {});
  await bob.page.goto(`/invite/${invite.code}`);
  await expect(bob.page.getByTestId('invite-e2ee')).toBeVisible();
  await bob.page.getByRole('button', { name: /^Join/ }).click();
  await expect(bob.page.getByTestId('channel-title')).toHaveText('general');
  await expect(bob.page.getByTestId('message').filter({ hasText: 'Waiting for this device to be let into the conversation' })).toBeVisible();
  await ada.page.getByTestId('composer').fill('welcome Bob, the meeting is at noon');
  await ada.page.getByTestId('composer').press('Enter');
  await expect(bob.page.getByTestId('message-text').filter({ hasText: 'the meeting is at noon' })).toBeVisible();
  // What came before he joined stays closed to him (unless someone shares the earlier history).
  await expect(bob.page.getByTestId('message').filter({ hasText: 'Sent before this device joined' })).toBeVisible();
  await bob.page.getByTestId('composer').fill('see you at noon');
  await bob.page.getByTestId('composer').press('Enter');
  await expect(ada.page.getByTestId('message-text').filter({ hasText: 'see you at noon' })).toBeVisible();
  await bob.page.getByTestId('e2ee-lock').click();
  await expect(bob.page.getByTestId('e2ee-server-readers')).toBeVisible();
  await bob.page.keyboard.press('Escape');

  // Bob is kicked: Ada's client takes his device out of the group before anything else is sent.
  const { epoch: before } = await ada.api.get<{ epoch: number }>(`/channels/${generalId}/mls`);
  await ada.api.delete(`/guilds/${guildId}/members/${bob.id}`);
  await expect(bob.page.getByTestId('guild-name')).toHaveCount(0);
  await expect.poll(async () => (await ada.api.get<{ epoch: number }>(`/channels/${generalId}/mls`)).epoch).toBeGreaterThan(before);
  expect(plaintextInDatabase(['founding minutes', 'meeting is at noon', 'see you at noon'])).toEqual([]);
});
