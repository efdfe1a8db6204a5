import type { Page } from '@playwright/test';
import { expect, test } from '../people';
import { expectAudioFrom, expectMediaFrom, expectNoAudioFrom, joinCall, peopleWithVoice } from './calls';

/**
 * A stage channel in real calls (fake microphones, loopback only): the host creates it from the
 * create-channel dialog and speaks; listeners join in the audience, whose microphones stay off
 * the line; one raises a hand, everyone sees it, the host invites them and now they are heard,
 * until moved back to the audience.
 */

type LevelsWindow = Window & { parleyCall?: { levels(): Record<string, number> } };

/** The loudest `receiver` plays `senderId` over a window (after the suppress gate, sampled every 20 ms). */
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

const listenerRow = (page: Page, userId: string) => page.locator(`[data-testid="stage-listener"][data-user-id="${userId}"]`);
const speakerCard = (page: Page, userId: string) => page.locator(`[data-testid="stage-speaker"][data-user-id="${userId}"]`);

test('a stage: listeners join muted, one raises a hand, the host invites them and they are heard', async ({ newPerson }) => {
  test.slow();
  const {
    people: [ada, bob, cy],
    guildId,
  } = await peopleWithVoice(newPerson, ['Ada', 'Bob', 'Cy'], { voiceChannels: [] });

  // Ada (the owner: a stage moderator) creates the stage beside the voice channels.
  await ada.page.goto(`/channels/${guildId}`);
  await ada.page.getByRole('button', { name: 'Create a channel in Voice Channels' }).click();
  const dialog = ada.page.getByRole('dialog');
  await dialog.getByTestId('channel-type-stage').check();
  await dialog.getByLabel('Channel name').fill('Lecture');
  await dialog.getByRole('button', { name: 'Create channel' }).click();
  await expect(dialog).toBeHidden();
  await expect(ada.page.getByTestId('voice-channel-link').filter({ hasText: 'Lecture' })).toContainText('(stage)');

  // Ada joins as a speaker; Bob and Cy join in the audience, their microphones locked.
  await joinCall(ada.page, guildId, 'Lecture');
  await expect(speakerCard(ada.page, ada.id)).toBeVisible();
  await expect(ada.page.getByTestId('leave-stage')).toBeVisible();
  for (const listener of [bob, cy]) {
    await joinCall(listener.page, guildId, 'Lecture');
    await expect(listener.page.getByTestId('server-muted')).toContainText('You are in the audience');
    await expect(listener.page.getByTestId('toggle-mute')).toBeDisabled();
    await expect(listener.page.getByTestId('toggle-video')).toBeDisabled();
    await expect(listener.page.getByTestId('raise-hand')).toBeVisible();
  }
  await expect(ada.page.getByTestId('stage-listener')).toHaveCount(2);
  await expect(ada.page.getByTestId('stage-count')).toContainText('1 speaker · 2 listeners');

  // Everyone hears Ada; nobody receives anything from the audience.
  await expectMediaFrom(bob, ada, { video: false });
  await expectMediaFrom(cy, ada, { video: false });
  await expectAudioFrom(cy.page, ada.id);
  await expectNoAudioFrom(ada.page, bob.id);
  await expectNoAudioFrom(cy.page, bob.id);
  expect(await loudestOver(cy.page, bob.id)).toBe(0);

  // Bob raises his hand: Ada and Cy see it, in the stage and in the sidebar; only Ada may invite.
  await bob.page.getByTestId('raise-hand').click();
  await expect(bob.page.getByTestId('lower-hand')).toBeVisible();
  await expect(listenerRow(ada.page, bob.id).getByTestId('raised-hand')).toBeVisible();
  await expect(listenerRow(cy.page, bob.id).getByTestId('raised-hand')).toBeVisible();
  await expect(cy.page.getByTestId('voice-member').filter({ hasText: 'Bob' }).getByTestId('raised-hand')).toBeVisible();
  await expect(listenerRow(cy.page, bob.id).getByTestId('invite-to-speak')).toHaveCount(0);
  await expect(listenerRow(ada.page, cy.id).getByTestId('invite-to-speak')).toHaveCount(0);

  // Ada invites him: he is a speaker, his hand is down, his microphone goes out and Cy hears him.
  await listenerRow(ada.page, bob.id).getByTestId('invite-to-speak').click();
  await expect(speakerCard(ada.page, bob.id)).toBeVisible();
  await expect(speakerCard(cy.page, bob.id)).toBeVisible();
  await expect(listenerRow(cy.page, bob.id)).toHaveCount(0);
  await expect(bob.page.getByTestId('toggle-mute')).toBeEnabled();
  await expect(bob.page.getByTestId('server-muted')).toHaveCount(0);
  await expect(bob.page.getByTestId('leave-stage')).toBeVisible();
  await expectAudioFrom(cy.page, bob.id);
  await expect.poll(() => loudestOver(cy.page, bob.id), { timeout: 15_000 }).toBeGreaterThan(0);
  await expectAudioFrom(ada.page, bob.id);
  // Cy, still in the audience, is still not heard.
  await expectNoAudioFrom(ada.page, cy.id);

  // Back to the audience: silent again for everyone.
  await speakerCard(ada.page, bob.id).getByTestId('move-to-audience').click();
  await expect(listenerRow(ada.page, bob.id)).toBeVisible();
  await expect(bob.page.getByTestId('toggle-mute')).toBeDisabled();
  await expectNoAudioFrom(cy.page, bob.id);
});
