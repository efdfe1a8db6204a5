import type { Page } from '@playwright/test';
import { expectAccessible } from '../axe';
import { expectMediaFrom } from './calls';
import { type Person, expect, serverWith, test } from '../people';

/**
 * DM calls as people make them: ringing, declining, ringing again, accepting, joining from the
 * DM list, hanging up, and the call's system message for everyone. Connected means both are in
 * the call view and each receives the other's audio (the voice channel specs check media in depth).
 */

/** Two people who know each other (a shared server), with a DM between them open on both screens. */
async function dmBetween(alice: Person, bob: Person): Promise<string> {
  await serverWith(alice, [bob], 'Friends');
  const dm = await alice.api.post<{ id: string }>('/users/@me/channels', { recipient_id: bob.id });
  await alice.page.goto(`/channels/@me/${dm.id}`);
  await bob.page.goto(`/channels/@me/${dm.id}`);
  await expect(alice.page.getByTestId('channel-title')).toHaveText('Bob');
  await expect(bob.page.getByTestId('channel-title')).toHaveText('Alice');
  return dm.id;
}

/** The call engine's phase, from the store's debugging window (`parleyCall`): idle, joining, joined. */
const phase = (page: Page) => page.evaluate(() => (window as { parleyCall?: { phase(): string } }).parleyCall?.phase() ?? 'none');
const callMessage = (page: Page) => page.getByTestId('call-message').last();

test('a declined call rings again on request, and shows as missed to the one who never joined', async ({ newPerson }) => {
  // Four full-page axe runs beside two call pages: more than the default time on a busy machine.
  test.slow();
  const alice = await newPerson('Alice', { colorScheme: 'dark' });
  const bob = await newPerson('Bob');
  await dmBetween(alice, bob);

  await alice.page.getByTestId('dm-voice-call').click();
  await expect.poll(() => phase(alice.page)).toBe('joined');
  // Bob is rung wherever he is: a prompt naming Alice.
  const prompt = bob.page.getByTestId('incoming-call');
  await expect(prompt).toBeVisible();
  await expect(prompt).toHaveAccessibleName('Incoming call from Alice');
  await expect(bob.page.getByTestId('incoming-call-name')).toHaveText('Alice');
  // Alice sees him being rung, and the call's message says it started.
  const recipient = alice.page.getByTestId('dm-call-recipient');
  await expect(recipient).toHaveAttribute('data-status', 'ringing');
  await expect(recipient).toContainText('Ringing…');
  await expect(callMessage(alice.page)).toHaveAttribute('data-state', 'live');
  await expect(callMessage(bob.page)).toHaveText(/Alice started a call\./);
  await expectAccessible(bob.page, 'an incoming call (light)');
  await expectAccessible(alice.page, 'a DM call ringing someone (dark)');

  await bob.page.getByTestId('decline-call').click();
  await expect(prompt).toBeHidden();
  // Declined: Alice can ring him again, and he is rung again.
  await expect(recipient).toHaveAttribute('data-status', 'not_joined');
  await alice.page.getByTestId('ring-again').click();
  await expect(recipient).toHaveAttribute('data-status', 'ringing');
  await expect(prompt).toBeVisible();
  await bob.page.getByTestId('decline-call').click();
  await expect(prompt).toBeHidden();

  // Alice hangs up: the call is over, Bob missed it.
  await alice.page.getByTestId('leave-call').click();
  await expect.poll(() => phase(alice.page)).toBe('idle');
  await expect(callMessage(bob.page)).toHaveAttribute('data-state', 'missed');
  await expect(callMessage(bob.page)).toContainText('You missed a call from Alice.');
  await expect(callMessage(alice.page)).toHaveAttribute('data-state', 'ended');
  await expect(callMessage(alice.page)).toContainText('Alice started a call that lasted a few seconds.');
  await expect(bob.page.getByTestId('call-message-join')).toHaveCount(0);
  await expectAccessible(bob.page, 'a missed call (light)');
  await expectAccessible(alice.page, 'an ended call (dark)');
});

test('an accepted call connects both; leaving and joining again from the DM list; the message says how long it lasted', async ({ newPerson }) => {
  const alice = await newPerson('Alice');
  const bob = await newPerson('Bob');
  const dmId = await dmBetween(alice, bob);
  // Bob is elsewhere when the call comes: accepting brings him to the conversation.
  await bob.page.goto('/settings/voice');

  await alice.page.getByTestId('dm-voice-call').click();
  await bob.page.getByTestId('accept-call').click();
  await expect(bob.page).toHaveURL(new RegExp(`/channels/@me/${dmId}$`));
  await expect(bob.page.getByTestId('incoming-call')).toBeHidden();
  for (const person of [alice, bob]) {
    await expect.poll(() => phase(person.page)).toBe('joined');
    await expect(person.page.getByTestId('dm-call').getByTestId('participant-tile')).toHaveCount(2);
    await expect(person.page.getByTestId('dm-call-recipient')).toHaveCount(0);
  }
  await expectMediaFrom(alice, bob, { video: false });
  await expectMediaFrom(bob, alice, { video: false });
  await expect(callMessage(bob.page)).toHaveAttribute('data-state', 'live');
  // He is in it: no Join button on the message for him.
  await expect(bob.page.getByTestId('call-message-join')).toHaveCount(0);

  // Bob leaves; the DM list shows the call still going on, and he joins again from there.
  await bob.page.getByTestId('leave-call').click();
  await expect.poll(() => phase(bob.page)).toBe('idle');
  await expect(bob.page.getByTestId('dm-call-banner')).toContainText('Alice is in a call');
  await expect(bob.page.getByTestId('dm-link').getByTestId('dm-call-indicator')).toBeVisible();
  await expect(callMessage(bob.page).getByTestId('call-message-join')).toBeVisible();
  await bob.page.getByTestId('dm-list-join-call').click();
  await expect.poll(() => phase(bob.page)).toBe('joined');
  await expect(alice.page.getByTestId('dm-call').getByTestId('participant-tile')).toHaveCount(2);

  // Both hang up: the call ends, and its message says it lasted, to both.
  await alice.page.getByTestId('leave-call').click();
  await bob.page.getByTestId('leave-call').click();
  for (const person of [alice, bob]) {
    await expect(callMessage(person.page)).toHaveAttribute('data-state', 'ended');
    await expect(callMessage(person.page)).toContainText('Alice started a call that lasted a few seconds.');
    await expect(person.page.getByTestId('dm-link').getByTestId('dm-call-indicator')).toHaveCount(0);
  }
});

test('a video call joins with the camera on', async ({ newPerson }) => {
  const alice = await newPerson('Alice');
  const bob = await newPerson('Bob');
  await dmBetween(alice, bob);
  await alice.page.getByTestId('dm-video-call').click();
  await expect.poll(() => phase(alice.page)).toBe('joined');
  await expect(alice.page.getByTestId('toggle-video')).toHaveAttribute('aria-pressed', 'true');
  await bob.page.getByTestId('accept-call').click();
  await expect(bob.page.getByTestId('dm-call').getByTestId('participant-tile')).toHaveCount(2);
  // Bob gets Alice's camera, and sees it.
  await expectMediaFrom(bob, alice, { video: true });
  await expect
    .poll(() =>
      bob.page
        .getByTestId('dm-call')
        .locator('video')
        .evaluateAll((videos: HTMLVideoElement[]) => videos.some((v) => v.videoWidth > 0)),
    )
    .toBe(true);
  await alice.page.getByTestId('leave-call').click();
  await bob.page.getByTestId('leave-call').click();
  await expect(callMessage(alice.page)).toHaveAttribute('data-state', 'ended');
});
