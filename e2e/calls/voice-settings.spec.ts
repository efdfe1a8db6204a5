import type { Page } from '@playwright/test';
import { expectAccessible } from '../axe';
import { expect, test } from '../people';

/**
 * Voice & Video settings with Chromium's fake devices (--use-fake-device-for-media-stream: a
 * camera test pattern and a microphone that beeps; --use-fake-ui-for-media-stream allows them).
 */

/** Keeps every track the page opens, so the test can tell whether it was closed again. */
async function recordTracks(page: Page) {
  await page.addInitScript(() => {
    const opened: MediaStreamTrack[] = [];
    (window as unknown as { openedTracks: MediaStreamTrack[] }).openedTracks = opened;
    const getUserMedia = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
    navigator.mediaDevices.getUserMedia = async (constraints) => {
      const stream = await getUserMedia(constraints);
      opened.push(...stream.getTracks());
      return stream;
    };
  });
}

const liveTracks = (page: Page) => page.evaluate(() => (window as unknown as { openedTracks: MediaStreamTrack[] }).openedTracks.filter((t) => t.readyState === 'live').map((t) => t.kind));

/**
 * Watches the microphone meter on every frame until it has both risen above 0.3 (a beep) and
 * fallen under 0.05 (between beeps), for 5 s at most. Beeps last ~100 ms every 500 ms, too short
 * for polling from the test to catch reliably.
 */
const meterSwing = (page: Page) =>
  page.getByTestId('mic-level').evaluate(async (meter: HTMLMeterElement) => {
    let rose = false;
    let fell = false;
    const until = performance.now() + 5000;
    while (!(rose && fell) && performance.now() < until) {
      await new Promise((resolve) => requestAnimationFrame(resolve));
      rose ||= meter.value > 0.3;
      fell ||= rose && meter.value < 0.05;
    }
    return { rose, fell };
  });

test('lists the devices, shows the microphone level and the camera, and closes them on leaving', async ({ newPerson }) => {
  const { page } = await newPerson('Ada', { colorScheme: 'dark' });
  await recordTracks(page);
  await page.goto('/settings/voice');
  await expect(page.getByRole('heading', { name: 'Voice & Video' })).toBeVisible();

  // The browser allows the devices (fake UI), so it names them and no one is asked.
  const microphones = page.getByTestId('microphone-picker').locator('option');
  await expect.poll(() => microphones.count()).toBeGreaterThan(1);
  await expect(microphones).toHaveText(['System default', 'Fake Audio Input 1', 'Fake Audio Input 2']);
  await expect(page.getByTestId('speaker-picker').locator('option')).toHaveText(['System default', 'Fake Audio Output 1', 'Fake Audio Output 2']);
  await expect(page.getByTestId('camera-picker').locator('option')).toHaveText(['System default', 'fake_device_0']);
  await expect(page.getByTestId('allow-devices')).toHaveCount(0);

  // The fake microphone beeps: the meter rises with each beep and falls between them.
  await page.getByTestId('mic-test-start').click();
  expect(await meterSwing(page)).toEqual({ rose: true, fell: true });

  // Another microphone reopens the test with it.
  await page.getByTestId('microphone-picker').selectOption({ label: 'Fake Audio Input 2' });
  expect(await meterSwing(page)).toEqual({ rose: true, fell: true });

  // "Let me hear myself" plays the microphone through the chosen speaker.
  await page.getByTestId('speaker-picker').selectOption({ label: 'Fake Audio Output 2' });
  const speakerId = await page.getByTestId('speaker-picker').evaluate((select: HTMLSelectElement) => select.selectedOptions[0]!.value);
  await page.getByTestId('mic-loopback').check();
  const playback = page.getByTestId('mic-playback');
  await expect
    .poll(() => playback.evaluate((audio: HTMLAudioElement) => ({ playing: !audio.paused && audio.srcObject !== null, sink: audio.sinkId })))
    .toEqual({
      playing: true,
      sink: speakerId,
    });

  // The camera preview plays the fake camera's picture.
  await page.getByTestId('camera-test-start').click();
  await expect.poll(() => page.getByTestId('camera-preview').evaluate((v: HTMLVideoElement) => v.videoWidth)).toBeGreaterThan(0);
  expect((await liveTracks(page)).sort()).toEqual(['audio', 'video']);
  await expectAccessible(page, 'Voice & Video settings (dark)');

  // Leaving the screen lets go of the microphone and the camera.
  await page.getByRole('link', { name: 'Notifications' }).click();
  await expect(page.getByRole('heading', { name: 'Notifications', exact: true })).toBeVisible();
  await expect.poll(() => liveTracks(page)).toEqual([]);

  // The chosen microphone was remembered.
  await page.reload();
  await page.getByRole('link', { name: 'Voice & Video' }).click();
  await expect(page.getByTestId('microphone-picker').locator('option:checked')).toHaveText('Fake Audio Input 2');
});

test('push-to-talk: the key is recorded from the next key press and remembered', async ({ newPerson }) => {
  const { page } = await newPerson('Ben');
  await page.goto('/settings/voice');
  await page.getByLabel(/Push to talk/).check();
  await expectAccessible(page, 'Voice & Video settings (light)');
  const key = page.getByTestId('ptt-key');
  await expect(key).toHaveText('V');

  await key.click();
  await expect(key).toHaveText('Press a key…');
  await page.keyboard.press('Escape');
  // Escape cancels the recording without closing the settings.
  await expect(key).toHaveText('V');
  await expect(page).toHaveURL(/\/settings\/voice$/);

  await key.click();
  await page.keyboard.press('ControlRight');
  await expect(key).toHaveText('Right Ctrl');
  await expect(key).toHaveAccessibleName('Push-to-talk key Right Ctrl');

  await page.reload();
  await expect(page.getByLabel(/Push to talk/)).toBeChecked();
  await expect(page.getByTestId('ptt-key')).toHaveText('Right Ctrl');
  const stored = await page.evaluate(() => JSON.parse(localStorage.getItem('parley.voice') ?? '{}') as { inputMode: string; pushToTalkKey: string });
  expect(stored).toMatchObject({ inputMode: 'push_to_talk', pushToTalkKey: 'ControlRight' });
});
