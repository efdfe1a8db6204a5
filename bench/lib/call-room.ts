import type { Locator, Page } from '@playwright/test';
import { ChannelType, type Snowflake, routes } from '@parley/protocol';
import { RestClient } from '@parley/sdk';
import { callPhase, e2eeActive, hearsEveryone } from './call-probe';
import { type ChromiumPerson, launchPerson } from './chromium';
import { progress } from './parley-target';
import { type BenchGuild, type BenchUser, createGuests, createGuild } from './setup';
import { waitUntil } from './system';

/** A participant: a Parley user with a Chromium of their own. */
export interface Participant extends ChromiumPerson {
  index: number;
  user: BenchUser;
}

const VOICE_CHANNEL = 'Bench call';
/** Bounds of the waits between measurements (none of them is measured). */
const UI_TIMEOUT_MS = 30_000;
const MESH_TIMEOUT_MS = 60_000;

/**
 * People in a server with one voice channel, each in their own Chromium on the Parley web client,
 * acting through its UI as people do: clicking the voice channel joins its call, the call
 * panel's Leave button leaves it. Set up through the API (guests, a guild, an invite).
 */
export class CallRoom {
  private constructor(
    readonly baseUrl: string,
    readonly guild: BenchGuild,
    readonly voiceChannelId: Snowflake,
    readonly participants: Participant[],
  ) {}

  static async open(baseUrl: string, people: number): Promise<CallRoom> {
    progress(`creating ${people} guests, a server with a voice channel`);
    const users = await createGuests(baseUrl, people);
    const guild = await createGuild(baseUrl, users[0]!, users.slice(1), 'Calls bench');
    const owner = new RestClient({ baseUrl, token: users[0]!.token });
    const voice = await owner.request(routes.channels.create, { params: { guild_id: guild.guildId }, body: { name: VOICE_CHANNEL, type: ChannelType.GUILD_VOICE } });
    const room = new CallRoom(baseUrl, guild, voice.id, []);
    try {
      for (const [index, user] of users.entries()) {
        progress(`launching Chromium ${index + 1} of ${people}`);
        room.participants.push({ index, user, ...(await launchPerson(baseUrl, user.token)) });
      }
    } catch (error) {
      await room.close();
      throw error;
    }
    return room;
  }

  /**
   * Loads the server's text channel in every page with end-to-end encryption set on or off in
   * the voice settings the web client reads on load (localStorage `parley.voice`).
   */
  async load(e2ee: boolean): Promise<void> {
    await Promise.all(
      this.participants.map(async ({ page }) => {
        await page.evaluate((e2ee) => {
          const stored = JSON.parse(localStorage.getItem('parley.voice') ?? '{}') as Record<string, unknown>;
          localStorage.setItem('parley.voice', JSON.stringify({ ...stored, endToEndEncryption: e2ee }));
        }, e2ee);
        await page.goto(`/channels/${this.guild.guildId}/${this.guild.channelId}`);
        await this.voiceChannelLink(page).waitFor({ timeout: UI_TIMEOUT_MS });
      }),
    );
  }

  /**
   * Opens the server's text channel in a fresh load of the participant's page (the web client
   * starts again, its call engine not loaded yet). `coldCache`: the browser's HTTP cache is
   * emptied first, so what is not in the service worker's shell (libsodium, the encryption
   * worker) is fetched again, as on the first call after Parley was updated.
   */
  async reload(participant: Participant, coldCache: boolean): Promise<void> {
    const { page } = participant;
    if (coldCache) {
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Network.clearBrowserCache');
      await cdp.detach();
    }
    await page.goto(`/channels/${this.guild.guildId}/${this.guild.channelId}`);
    await this.voiceChannelLink(page).waitFor({ timeout: UI_TIMEOUT_MS });
  }

  /** Clicks the voice channel in the sidebar (which joins its call, as in Discord). */
  async clickJoin(participant: Participant): Promise<void> {
    await this.voiceChannelLink(participant.page).click({ timeout: UI_TIMEOUT_MS });
  }

  /** Waits until the web client says "Voice connected" (the server took the join). */
  async joined(participant: Participant): Promise<void> {
    await participant.page.getByTestId('call-status').filter({ hasText: 'Voice connected' }).waitFor({ timeout: UI_TIMEOUT_MS });
  }

  async join(participant: Participant): Promise<void> {
    await this.clickJoin(participant);
    await this.joined(participant);
  }

  /** Turns the camera on from the call view's controls. */
  async cameraOn(participant: Participant): Promise<void> {
    await participant.page.getByTestId('toggle-video').click({ timeout: UI_TIMEOUT_MS });
    await participant.page.getByTestId('toggle-video').and(participant.page.locator('[aria-pressed="true"]')).waitFor({ timeout: UI_TIMEOUT_MS });
  }

  /** Waits until each of `inCall` is connected to all the others and gets their audio (and video). */
  async meshFlowing(inCall: readonly Participant[], video: boolean): Promise<void> {
    for (const participant of inCall) {
      const others = inCall.filter((p) => p !== participant).map((p) => p.user.id);
      await waitUntil(`participant ${participant.index + 1} gets media from ${others.length} others`, () => hearsEveryone(participant.page, others, video), MESH_TIMEOUT_MS);
    }
  }

  /** Whether every participant's web client is encrypting the media it sends. */
  async allEncrypting(): Promise<boolean> {
    const states = await Promise.all(this.participants.map((p) => e2eeActive(p.page)));
    return states.every(Boolean);
  }

  /** Everyone in a call leaves it with the call panel's Leave button; resolves once every page sees the call empty. */
  async everyoneLeaves(): Promise<void> {
    for (const { page } of this.participants) {
      if ((await callPhase(page)) !== 'idle') await page.getByTestId('panel-leave').click({ timeout: UI_TIMEOUT_MS });
    }
    for (const { page, index } of this.participants) {
      await waitUntil(`participant ${index + 1} sees the call empty`, async () => (await callPhase(page)) === 'idle' && (await page.getByTestId('voice-member').count()) === 0, UI_TIMEOUT_MS);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.participants.map((p) => p.close()));
  }

  private voiceChannelLink(page: Page): Locator {
    return page.getByTestId('voice-channel-link').filter({ hasText: VOICE_CHANNEL });
  }
}
