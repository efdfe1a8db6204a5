import type { Page } from '@playwright/test';
import type { CallStats, PeerStats } from '../../packages/web/src/features/calls/engine/stats';
import { type Person, expect, serverWith } from '../people';

/**
 * Helpers for the call specs: a server with voice channels, joining through the sidebar, and
 * media statistics read through the web client's read-only debug API (`window.parleyCall`,
 * there in every build), which reads getStats per transceiver (audio, camera, screen).
 */

type DebugWindow = Window & { parleyCall?: { stats(): Promise<CallStats | null>; marks(): Record<string, number> } };

type NewPerson = (displayName: string, options?: { colorScheme?: 'light' | 'dark' }) => Promise<Person>;

/**
 * People (one browser context each) in a new server with voice channels (by name; "Lounge"
 * unless told), owned by the first of them, whose colour scheme can be chosen.
 */
export async function peopleWithVoice<const Names extends readonly string[]>(
  newPerson: NewPerson,
  names: Names,
  options: { voiceChannels?: string[]; colorScheme?: 'light' | 'dark' } = {},
): Promise<{ people: { [K in keyof Names]: Person }; guildId: string; voice: Record<string, string> }> {
  const people: Person[] = [];
  for (const [index, name] of names.entries()) people.push(await newPerson(name, index === 0 ? { colorScheme: options.colorScheme ?? 'light' } : {}));
  const [owner, ...others] = people;
  const { guildId } = await serverWith(owner!, others, 'Calls');
  const voice: Record<string, string> = {};
  for (const name of options.voiceChannels ?? ['Lounge']) voice[name] = (await owner!.api.post<{ id: string }>(`/guilds/${guildId}/channels`, { name, type: 2 })).id;
  return { people: people as { [K in keyof Names]: Person }, guildId, voice };
}

/** Everyone joins the voice channel, one after the other. */
export async function joinAll(people: readonly Person[], guildId: string, channelName = 'Lounge'): Promise<void> {
  for (const person of people) await joinCall(person.page, guildId, channelName);
}

/** Opens the server and clicks a voice channel in the sidebar (which joins its call), then waits until connected. */
export async function joinCall(page: Page, guildId: string, channelName: string, options: { timeout?: number } = {}): Promise<void> {
  if (!new URL(page.url()).pathname.startsWith(`/channels/${guildId}`)) await page.goto(`/channels/${guildId}`);
  await page.getByTestId('voice-channel-link').filter({ hasText: channelName }).click();
  try {
    await expect(page.getByTestId('call-status')).toHaveText('Voice connected', options);
  } catch (error) {
    // Where the join stopped (its milestones since the click, marks.ts) and the gateway's state:
    // CI keeps nothing but its log.
    const seen = await page
      .evaluate(() => ({ marks: (window as DebugWindow).parleyCall?.marks(), gateway: document.querySelector('[data-gateway]')?.getAttribute('data-gateway') }))
      .catch((e: unknown) => String(e));
    console.log(`A join that did not connect (${channelName}): ${JSON.stringify(seen)}`);
    throw error;
  }
}

export function callStats(page: Page): Promise<CallStats | null> {
  return page.evaluate(() => (window as DebugWindow).parleyCall!.stats());
}

/** One peer's link, as seen by `page` (null while there is none). */
export async function peerStats(page: Page, userId: string): Promise<PeerStats | null> {
  return (await callStats(page))?.peers.find((p) => p.userId === userId) ?? null;
}

/** Waits until `receiver` is connected to `sender` and gets their audio (and camera frames, `video`). */
export async function expectMediaFrom(receiver: Person, sender: Person, { video }: { video: boolean }): Promise<void> {
  await expect
    .poll(
      async () => {
        const peer = await peerStats(receiver.page, sender.id);
        return peer && { connected: peer.connectionState, audio: peer.slots.audio.bytesReceived > 0, video: peer.slots.camera.framesDecoded > 0 };
      },
      { message: `${receiver.username} receives ${sender.username}`, timeout: 40_000 },
    )
    .toEqual({ connected: 'connected', audio: true, video });
}

/**
 * How many audio packets `receiver` got from `sender` during one measuring window (counted in
 * the page, so both readings come from the same clock). A window is needed to tell "stopped"
 * from "slow": Opus sends 50 packets a second while the microphone goes out.
 */
async function audioPacketsOver(receiver: Page, senderId: string, windowMs = 1_000): Promise<number> {
  return receiver.evaluate(
    async ({ senderId, windowMs }) => {
      const read = async () => (await (window as DebugWindow).parleyCall!.stats())?.peers.find((p) => p.userId === senderId)?.slots.audio.packetsReceived ?? 0;
      const before = await read();
      await new Promise((resolve) => setTimeout(resolve, windowMs));
      return (await read()) - before;
    },
    { senderId, windowMs },
  );
}

/** Waits until `receiver` gets no audio from `sender` over a window, then checks it stays silent over another. */
export async function expectNoAudioFrom(receiver: Page, senderId: string): Promise<void> {
  await expect.poll(() => audioPacketsOver(receiver, senderId), { timeout: 15_000 }).toBe(0);
  expect(await audioPacketsOver(receiver, senderId, 1_500)).toBe(0);
}

/** Waits until `receiver` gets a steady flow of audio packets from `sender` again. */
export async function expectAudioFrom(receiver: Page, senderId: string): Promise<void> {
  await expect.poll(() => audioPacketsOver(receiver, senderId), { timeout: 15_000 }).toBeGreaterThan(20);
}

/** Voice settings (per browser, localStorage) for the next page load, e.g. push-to-talk. */
export async function setVoiceSettings(page: Page, settings: Record<string, unknown>): Promise<void> {
  await page.evaluate((change) => {
    const stored = JSON.parse(localStorage.getItem('parley.voice') ?? '{}') as Record<string, unknown>;
    localStorage.setItem('parley.voice', JSON.stringify({ ...stored, ...change }));
  }, settings);
  await page.reload();
}
