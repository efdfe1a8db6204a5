import type { Page } from '@playwright/test';
import { type Person, expect, test } from '../people';
import { expectAudioFrom, expectMediaFrom, expectNoAudioFrom, joinAll, joinCall, peerStats, peopleWithVoice } from './calls';

/**
 * Moderators in real calls (fake microphones, loopback only): a server mute silences someone for
 * everyone, enforced by every receiving client as well as by the muted one; moving and
 * disconnecting people from the call view, with the moved device joining its destination.
 */

type LevelsWindow = Window & { parleyCall?: { levels(): Record<string, number> } };

/** The loudest `receiver` plays `senderId` over a window (RMS after the server-mute gate, sampled every 20 ms). */
function loudestOver(receiver: Page, senderId: string, windowMs = 1_500): Promise<number> {
  return receiver.evaluate(
    async ({ senderId, windowMs }) => {
      let loudest = 0;
      const end = performance.now() + windowMs;
      while (performance.now() < end) {
        loudest = Math.max(loudest, (window as LevelsWindow).parleyCall!.levels()[senderId] ?? 0);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return loudest;
    },
    { senderId, windowMs },
  );
}

/** Opens `target`'s menu in `moderator`'s call view and picks an action. */
async function moderate(moderator: Person, targetName: string, testId: string, name?: RegExp): Promise<void> {
  await moderator.page.getByRole('button', { name: `Options for ${targetName}` }).click();
  const action = moderator.page.getByTestId(testId);
  await (name ? action.filter({ hasText: name }) : action).click();
}

test('a server mute silences someone for everyone until lifted; a disconnected member is told why', async ({ newPerson }) => {
  test.slow();
  const {
    people: [ada, bob, cy],
    guildId,
  } = await peopleWithVoice(newPerson, ['Ada', 'Bob', 'Cy']);
  await joinAll([ada, bob, cy], guildId);
  await expectMediaFrom(cy, bob, { video: false });
  await expectAudioFrom(cy.page, bob.id);
  // Bob may not moderate: his menu for Cy has only the volume.
  await bob.page.getByRole('button', { name: 'Options for Cy' }).click();
  await expect(bob.page.getByRole('slider', { name: /Cy's volume/ })).toBeVisible();
  await expect(bob.page.getByTestId('server-mute')).toHaveCount(0);
  await expect(bob.page.getByTestId('disconnect-member')).toHaveCount(0);
  await bob.page.keyboard.press('Escape');

  await moderate(ada, 'Bob', 'server-mute', /^\s*Server mute\s*$/);
  // Bob's client says so and will not unmute; it sends nothing, and Cy receives nothing from him.
  await expect(bob.page.getByTestId('server-muted')).toContainText('Server muted');
  await expect(bob.page.getByTestId('toggle-mute')).toBeDisabled();
  await expect(bob.page.getByTestId('toggle-mute')).toHaveAttribute('title', /Server muted/);
  await expectNoAudioFrom(cy.page, bob.id);
  expect(await loudestOver(cy.page, bob.id)).toBe(0);
  // Everyone sees it: on his tile and in the sidebar.
  await expect(cy.page.locator(`[data-testid="participant-tile"][data-user-id="${bob.id}"]`).getByTitle('Server muted')).toBeVisible();
  await expect(cy.page.getByTestId('voice-member').filter({ hasText: 'Bob' }).getByTitle('Server muted')).toBeVisible();
  // Cy still hears Ada.
  await expectAudioFrom(cy.page, ada.id);

  await moderate(ada, 'Bob', 'server-mute', /Server unmute/);
  await expect(bob.page.getByTestId('server-muted')).toHaveCount(0);
  await expect(bob.page.getByTestId('toggle-mute')).toBeEnabled();
  await expectAudioFrom(cy.page, bob.id);
  await expect.poll(() => loudestOver(cy.page, bob.id), { timeout: 15_000 }).toBeGreaterThan(0);
  await expect(cy.page.getByTestId('voice-member').filter({ hasText: 'Bob' }).getByTitle('Server muted')).toHaveCount(0);

  await moderate(ada, 'Cy', 'disconnect-member');
  await expect(cy.page.getByTestId('call-error')).toContainText('A moderator disconnected you');
  await expect(cy.page.getByTestId('call-status')).toHaveCount(0);
  await expect(ada.page.getByTestId('voice-member')).toHaveText([/Ada/, /Bob/]);
});

test('a client modified to keep talking through a server mute is not heard', async ({ newPerson }) => {
  const {
    people: [ada, bob],
    guildId,
  } = await peopleWithVoice(newPerson, ['Ada', 'Bob']);
  // Bob's client ignores taking its microphone off the line, as a tampered client would.
  await bob.page.addInitScript(() => {
    const replace = RTCRtpSender.prototype.replaceTrack;
    RTCRtpSender.prototype.replaceTrack = function (this: RTCRtpSender, track: MediaStreamTrack | null) {
      if (track === null && this.track?.kind === 'audio') return Promise.resolve();
      return replace.call(this, track);
    };
  });
  await bob.page.reload();
  await joinAll([ada, bob], guildId);
  await expectMediaFrom(ada, bob, { video: false });
  await expect.poll(() => loudestOver(ada.page, bob.id), { timeout: 15_000 }).toBeGreaterThan(0);

  await moderate(ada, 'Bob', 'server-mute', /^\s*Server mute\s*$/);
  await expect(bob.page.getByTestId('server-muted')).toBeVisible();
  // His audio still arrives, but Ada's client does not play it (nor light his speaking ring).
  await expectAudioFrom(ada.page, bob.id);
  await expect.poll(() => loudestOver(ada.page, bob.id), { timeout: 15_000 }).toBe(0);
  expect(await loudestOver(ada.page, bob.id, 3_000)).toBe(0);
  await expect(ada.page.locator(`[data-testid="participant-tile"][data-user-id="${bob.id}"]`)).not.toHaveClass(/speaking/);

  await moderate(ada, 'Bob', 'server-mute', /Server unmute/);
  await expect.poll(() => loudestOver(ada.page, bob.id), { timeout: 15_000 }).toBeGreaterThan(0);
});

test('a moved member’s device joins the destination call; the moderator sees them there', async ({ newPerson }) => {
  const {
    people: [ada, bob],
    guildId,
  } = await peopleWithVoice(newPerson, ['Ada', 'Bob'], { voiceChannels: ['Lounge', 'Studio'] });
  await joinAll([ada, bob], guildId);
  await expectMediaFrom(ada, bob, { video: false });

  await moderate(ada, 'Bob', 'move-to', /Move to Studio/);
  const membersOf = (page: Page, name: string) => page.getByTestId('voice-channel').filter({ hasText: name }).getByTestId('voice-member');
  await expect(membersOf(ada.page, 'Studio')).toHaveText([/Bob/]);
  await expect(membersOf(ada.page, 'Lounge')).toHaveText([/Ada/]);
  await expect(bob.page.getByTestId('call-status')).toHaveText('Voice connected');
  await expect(bob.page.getByTestId('call-place')).toContainText('Studio');
  expect(await peerStats(bob.page, ada.id)).toBeNull();

  // Ada follows: they talk again in Studio.
  await joinCall(ada.page, guildId, 'Studio');
  await expectMediaFrom(ada, bob, { video: false });
  await expectMediaFrom(bob, ada, { video: false });
});

test('without Speak someone is heard by nobody, and without Video cannot turn the camera on; both come back when allowed', async ({ newPerson }) => {
  test.slow();
  const {
    people: [ada, bob, cy],
    guildId,
    voice,
  } = await peopleWithVoice(newPerson, ['Ada', 'Bob', 'Cy']);
  await joinAll([ada, bob, cy], guildId);
  await expectAudioFrom(cy.page, bob.id);
  const token = await ada.page.evaluate(() => localStorage.getItem('parley.token')!);
  const overwrite = `/api/v10/channels/${voice.Lounge}/permissions/${bob.id}`;
  const deny = String((1n << 21n) | (1n << 9n)); // SPEAK | STREAM
  expect((await ada.page.request.put(overwrite, { headers: { Authorization: token }, data: { type: 1, allow: '0', deny } })).status()).toBe(204);

  await expect(bob.page.getByTestId('server-muted')).toContainText('You do not have permission to speak in this channel');
  await expect(bob.page.getByTestId('toggle-mute')).toBeDisabled();
  await expect(bob.page.getByTestId('toggle-video')).toBeDisabled();
  await expectNoAudioFrom(cy.page, bob.id);
  expect(await loudestOver(cy.page, bob.id)).toBe(0);
  await expect(cy.page.getByTestId('voice-member').filter({ hasText: 'Bob' }).getByTitle('No permission to speak')).toBeVisible();

  expect((await ada.page.request.delete(overwrite, { headers: { Authorization: token } })).status()).toBe(204);
  await expect(bob.page.getByTestId('server-muted')).toHaveCount(0);
  await expect(bob.page.getByTestId('toggle-mute')).toBeEnabled();
  await expect(bob.page.getByTestId('toggle-video')).toBeEnabled();
  await expect.poll(() => loudestOver(cy.page, bob.id), { timeout: 15_000 }).toBeGreaterThan(0);
});
