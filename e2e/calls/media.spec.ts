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

test('with a voice channel on screen, the call engine and the encryption code load before anyone clicks', async ({ newPerson }) => {
  const {
    people: [ada],
    guildId,
  } = await peopleWithVoice(newPerson, ['Ada']);
  await ada.page.goto(`/channels/${guildId}`);
  await expect
    .poll(() => ada.page.evaluate(() => performance.getEntriesByType('resource').map((entry) => new URL(entry.name).pathname)))
    .toEqual(expect.arrayContaining([expect.stringMatching(/\/CallSession-[^/]*\.js$/), expect.stringMatching(/\/callEncryption-[^/]*\.js$/)]));
  expect(await ada.page.evaluate(() => (window as unknown as { parleyCall: { phase(): string } }).parleyCall.phase())).toBe('idle');
});

test('a join does not wait for the microphone: the server takes the join while it opens, and it joins the call once open', async ({ newPerson }) => {
  const {
    people: [ada, bob],
    guildId,
  } = await peopleWithVoice(newPerson, ['Ada', 'Bob']);
  await joinAll([ada], guildId);
  await bob.page.goto(`/channels/${guildId}`);

  // Bob's microphone takes as long as the test says: it opens only when released.
  await bob.page.evaluate(() => {
    const devices = navigator.mediaDevices;
    const open = devices.getUserMedia.bind(devices);
    const held = new Promise<void>((resolve) => ((window as unknown as { releaseMicrophone: () => void }).releaseMicrophone = resolve));
    devices.getUserMedia = async (constraints) => {
      if (constraints?.audio) await held;
      return open(constraints);
    };
  });
  await bob.page.getByTestId('voice-channel-link').filter({ hasText: 'Lounge' }).click();
  // The server confirmed the join, and Bob hears Ada, all while his microphone is still opening.
  await expect(bob.page.getByTestId('call-status')).toHaveText('Voice connected');
  await expectMediaFrom(bob, ada, { video: false });
  const marks = () => bob.page.evaluate(() => (window as unknown as { parleyCall: { marks(): Record<string, number> } }).parleyCall.marks());
  const early = await marks();
  expect(Object.keys(early)).not.toContain('microphone-open');
  expect(early['microphone-requested']).toBeLessThanOrEqual(early['voice-state-sent']!);
  expect(early['voice-state-sent']).toBeLessThan(early.joined!);
  expect(early.joined).toBeLessThanOrEqual(early['first-offer']!);

  // Once open, the microphone goes out on the link already made (encrypted like the rest).
  await bob.page.evaluate(() => (window as unknown as { releaseMicrophone: () => void }).releaseMicrophone());
  await expectMediaFrom(ada, bob, { video: false });
  await expect
    .poll(async () => {
      const counters = (await callStats(ada.page))?.e2ee?.received[bob.id];
      return counters && { decrypted: counters.decrypted > 0, failed: counters.failed };
    })
    .toEqual({ decrypted: true, failed: 0 });
  const late = await marks();
  expect(late['microphone-open']).toBeGreaterThan(late.joined!);
});
