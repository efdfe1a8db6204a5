import { expect, test } from '../people';
import { expectAudioFrom, expectNoAudioFrom, joinAll, peerStats, peopleWithVoice, setVoiceSettings } from './calls';

/** What the person controls in a call: mute, push-to-talk, screen share at a chosen quality. */

test('mute stops sending audio at all, unmute sends it again', async ({ newPerson }) => {
  const {
    people: [ada, bob],
    guildId,
  } = await peopleWithVoice(newPerson, ['Ada', 'Bob']);
  await joinAll([ada, bob], guildId);
  await expectAudioFrom(bob.page, ada.id);

  await ada.page.getByTestId('toggle-mute').click();
  await expectNoAudioFrom(bob.page, ada.id);
  // Bob still sends: only Ada's microphone stopped.
  await expectAudioFrom(ada.page, bob.id);
  // Bob's sidebar shows Ada muted.
  await expect(bob.page.getByTestId('voice-member').filter({ hasText: 'Ada' }).getByTitle('Muted')).toBeVisible();

  await ada.page.getByTestId('toggle-mute').click();
  await expectAudioFrom(bob.page, ada.id);
});

test('push-to-talk sends audio only while the key is held', async ({ newPerson }) => {
  const {
    people: [ada, bob],
    guildId,
  } = await peopleWithVoice(newPerson, ['Ada', 'Bob']);
  await setVoiceSettings(ada.page, { inputMode: 'push_to_talk', pushToTalkKey: 'KeyT' });
  await joinAll([ada, bob], guildId);
  await expect.poll(async () => (await peerStats(bob.page, ada.id))?.connectionState).toBe('connected');
  await expectNoAudioFrom(bob.page, ada.id);

  await ada.page.keyboard.down('t');
  await expectAudioFrom(bob.page, ada.id);
  await ada.page.keyboard.up('t');
  await expectNoAudioFrom(bob.page, ada.id);
});

test('a screen share arrives at the chosen resolution, and can be focused full size', async ({ newPerson }) => {
  const {
    people: [ada, bob],
    guildId,
  } = await peopleWithVoice(newPerson, ['Ada', 'Bob']);
  await joinAll([ada, bob], guildId);
  await expect.poll(async () => (await peerStats(bob.page, ada.id))?.connectionState).toBe('connected');

  const shareAt = async (resolution: string) => {
    await ada.page.getByTestId('share-menu').click();
    await ada.page.getByRole('menuitemradio', { name: resolution }).click();
    await ada.page.getByRole('menuitem', { name: 'Share screen or window' }).click();
    await expect(ada.page.getByTestId('stop-share')).toBeVisible();
  };
  const receivedSize = async () => {
    const screen = (await peerStats(bob.page, ada.id))?.slots.screen;
    return screen && screen.framesDecoded > 0 ? `${screen.frameWidth}x${screen.frameHeight}` : null;
  };

  // The fake capture is 1280×720 unless asked for more: 1080p must make it bigger, 720p smaller again.
  await shareAt('1080p');
  await expect.poll(receivedSize, { timeout: 30_000 }).toBe('1920x1080');
  const screenTile = bob.page.getByRole('group', { name: "Ada's screen" });
  await screenTile.getByRole('button', { name: "Focus on Ada's screen" }).click();
  await expect(screenTile.getByRole('button', { name: /Show everyone/ })).toBeVisible();
  await bob.page.keyboard.press('Escape');
  await expect(screenTile.getByRole('button', { name: "Focus on Ada's screen" })).toBeVisible();

  await ada.page.getByTestId('stop-share').click();
  await expect(screenTile).toHaveCount(0);
  await shareAt('720p');
  await expect.poll(receivedSize, { timeout: 30_000 }).toBe('1280x720');
});
