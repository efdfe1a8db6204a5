import { expect, test } from '../people';
import { callStats, expectMediaFrom, joinAll, peopleWithVoice } from './calls';

/**
 * Real calls between browsers (fake camera and microphone, loopback only): media flows both
 * ways between every pair, asserted from getStats on each receiver, and from the encryption
 * worker's counters (the wrong-key case is e2ee.spec.ts).
 */

test('two people in a voice channel hear and see each other, end-to-end encrypted', async ({ newPerson }) => {
  const {
    people: [ada, bob],
    guildId,
  } = await peopleWithVoice(newPerson, ['Ada', 'Bob']);
  await joinAll([ada, bob], guildId);
  for (const person of [ada, bob]) await person.page.getByTestId('toggle-video').click();

  await expectMediaFrom(bob, ada, { video: true });
  await expectMediaFrom(ada, bob, { video: true });
  // Each sees the other's camera in a tile, with a quality indicator.
  await expect(ada.page.locator(`[data-testid="participant-tile"][data-user-id="${bob.id}"] video`)).toBeVisible();
  await expect(ada.page.locator(`[data-testid="participant-tile"][data-user-id="${bob.id}"] [data-testid="quality"]`)).toHaveClass(/good|ok|poor/);

  // Every frame went through the encryption worker, and each side decrypted the other's with the key it was sent.
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

test('three people: every pair has media both ways', async ({ newPerson }) => {
  // Three browsers each encoding two camera streams and decoding two: heavy on a small machine.
  test.slow();
  const { people, guildId } = await peopleWithVoice(newPerson, ['Ada', 'Bob', 'Cy']);
  await joinAll(people, guildId);
  for (const person of people) await person.page.getByTestId('toggle-video').click();

  for (const receiver of people) {
    for (const sender of people) if (sender !== receiver) await expectMediaFrom(receiver, sender, { video: true });
  }
  for (const person of people) expect((await callStats(person.page))!.peers).toHaveLength(2);
});
