import { expect, test } from '../people';
import { callStats, expectMediaFrom, joinCall, voiceServer } from './calls';

/**
 * Real calls between browsers (fake camera and microphone, loopback only): media flows both
 * ways between every pair, asserted from getStats on each receiver.
 */

test('two people in a voice channel hear and see each other', async ({ newPerson }) => {
  const ada = await newPerson('Ada');
  const bob = await newPerson('Bob');
  const { guildId } = await voiceServer(ada, [bob]);
  await joinCall(ada.page, guildId, 'Lounge');
  await joinCall(bob.page, guildId, 'Lounge');
  for (const person of [ada, bob]) await person.page.getByTestId('toggle-video').click();

  await expectMediaFrom(bob, ada, { video: true });
  await expectMediaFrom(ada, bob, { video: true });
  // Each sees the other's camera in a tile, with a quality indicator.
  await expect(ada.page.locator(`[data-testid="participant-tile"][data-user-id="${bob.id}"] video`)).toBeVisible();
  await expect(ada.page.locator(`[data-testid="participant-tile"][data-user-id="${bob.id}"] [data-testid="quality"]`)).toHaveClass(/good|ok|poor/);
});

test('three people: every pair has media both ways', async ({ newPerson }) => {
  const people = [await newPerson('Ada'), await newPerson('Bob'), await newPerson('Cy')];
  const [ada, ...others] = people;
  const { guildId } = await voiceServer(ada!, others);
  for (const person of people) await joinCall(person.page, guildId, 'Lounge');
  for (const person of people) await person.page.getByTestId('toggle-video').click();

  for (const receiver of people) {
    for (const sender of people) if (sender !== receiver) await expectMediaFrom(receiver, sender, { video: true });
  }
  for (const person of people) expect((await callStats(person.page))!.peers).toHaveLength(2);
});

test('media is end-to-end encrypted: frames decrypt with the right keys, none fail', async ({ newPerson }) => {
  const ada = await newPerson('Ada');
  const bob = await newPerson('Bob');
  const { guildId } = await voiceServer(ada, [bob]);
  await joinCall(ada.page, guildId, 'Lounge');
  await joinCall(bob.page, guildId, 'Lounge');
  for (const person of [ada, bob]) await person.page.getByTestId('toggle-video').click();
  await expectMediaFrom(bob, ada, { video: true });
  await expectMediaFrom(ada, bob, { video: true });

  for (const [receiver, sender] of [
    [ada, bob],
    [bob, ada],
  ] as const) {
    await expect
      .poll(async () => {
        const counters = (await callStats(receiver.page))?.e2ee;
        return counters && { encrypted: counters.sent.encrypted > 0, decrypted: (counters.received[sender.id]?.decrypted ?? 0) > 0, failed: counters.received[sender.id]?.failed ?? 0 };
      })
      .toEqual({ encrypted: true, decrypted: true, failed: 0 });
  }
  // Both show the badge and the same verification code.
  await ada.page.getByTestId('e2ee-badge').click();
  await bob.page.getByTestId('e2ee-badge').click();
  const code = await ada.page.getByTestId('verification-code').textContent();
  expect(code?.trim()).toBeTruthy();
  await expect(bob.page.getByTestId('verification-code')).toHaveText(code!);
});
