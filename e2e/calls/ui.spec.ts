import { expectAccessible } from '../axe';
import { expect, test } from '../people';
import { expectMediaFrom, joinAll, joinCall, peopleWithVoice } from './calls';

/** The call screens: accessible in both themes, usable on a phone, by keyboard, with live indicators. */

for (const theme of ['light', 'dark'] as const) {
  test(`the call view passes axe in the ${theme} theme`, async ({ newPerson }) => {
    test.slow();
    const {
      people: [ada, bob],
      guildId,
    } = await peopleWithVoice(newPerson, ['Ada', 'Bob'], { colorScheme: theme });
    await joinAll([ada, bob], guildId);
    await bob.page.getByTestId('toggle-video').click();
    await expectMediaFrom(ada, bob, { video: true });
    await expect(ada.page.locator('html')).toHaveAttribute('data-theme', theme);
    await expectAccessible(ada.page, 'a call');
    await ada.page.screenshot({ path: `.test-output/screenshots/call-${theme}.png` });

    await ada.page.getByTestId('share-menu').click();
    await expect(ada.page.getByRole('menu', { name: 'Share your screen' })).toBeVisible();
    await expectAccessible(ada.page, 'the screen share menu');
  });
}

test('a speaking ring, and a volume per person from the keyboard or a right-click', async ({ newPerson }) => {
  const {
    people: [ada, bob],
    guildId,
  } = await peopleWithVoice(newPerson, ['Ada', 'Bob']);
  await joinAll([ada, bob], guildId);
  await expectMediaFrom(ada, bob, { video: false });

  // Chromium's fake microphone beeps: Bob's tile lights up while it does (checked every frame).
  await ada.page.waitForFunction((id) => document.querySelector(`[data-testid="participant-tile"][data-user-id="${id}"].speaking`) !== null, bob.id, { polling: 'raf', timeout: 15_000 });

  await ada.page.getByRole('button', { name: 'Options for Bob' }).focus();
  await ada.page.keyboard.press('Enter');
  const slider = ada.page.getByRole('slider', { name: /Bob's volume/ });
  await expect(slider).toHaveValue('100');
  await slider.focus();
  await ada.page.keyboard.press('ArrowRight');
  await expect(slider).toHaveValue('105');
  await ada.page.keyboard.press('Escape');
  await expect(slider).toHaveCount(0);

  // Remembered per browser, and offered on right-click too.
  await ada.page.getByRole('group', { name: 'Bob' }).click({ button: 'right' });
  await expect(ada.page.getByRole('slider', { name: /Bob's volume/ })).toHaveValue('105');
  expect(await ada.page.evaluate((id) => JSON.parse(localStorage.getItem('parley.voice')!).userVolumes[id], bob.id)).toBe(105);
});

test('on a 375-px phone the call fits the screen and its controls work', async ({ newPerson }) => {
  const {
    people: [ada, bob],
    guildId,
    voice,
  } = await peopleWithVoice(newPerson, ['Ada', 'Bob']);
  await joinCall(bob.page, guildId, 'Lounge');
  await ada.page.setViewportSize({ width: 375, height: 740 });
  // On a phone the sidebar is a drawer: the call's own page has the join button.
  await ada.page.goto(`/channels/${guildId}/${voice.Lounge}`);
  await expect(ada.page.getByRole('list', { name: 'In the call' })).toContainText('Bob');
  await ada.page.getByTestId('join-call').click();
  await expect(ada.page.getByTestId('participant-tile')).toHaveCount(2);
  expect(await ada.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
  for (const control of ['toggle-mute', 'toggle-deafen', 'toggle-video', 'share-menu', 'leave-call']) await expect(ada.page.getByTestId(control)).toBeInViewport();

  await ada.page.getByTestId('toggle-deafen').click();
  await expect(ada.page.getByTestId('toggle-deafen')).toHaveAttribute('aria-pressed', 'true');
  await expect(bob.page.getByTestId('voice-member').filter({ hasText: 'Ada' }).getByTitle('Deafened')).toBeVisible();
  await ada.page.getByTestId('leave-call').click();
  await expect(ada.page.getByTestId('join-call')).toBeVisible();
  await expect(bob.page.getByTestId('voice-member')).toHaveText([/Bob/]);
});
