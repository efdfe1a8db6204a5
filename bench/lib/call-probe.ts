import path from 'node:path';
import type { Page } from '@playwright/test';

/**
 * The calls bench's view into a participant's page: the probe script (call-probe.browser.js,
 * installed before the web client loads) and the web client's own read-only debug API
 * (`window.parleyCall`, features/calls/call.store.ts). Functions passed to `page.evaluate` here
 * stay single anonymous arrows: the bench runs under tsx, whose named functions would call a
 * helper the page does not have.
 */

export const CALL_PROBE_SCRIPT = path.join(import.meta.dirname, 'call-probe.browser.js');

/** One join, timed in the joining page (performance.now(), milliseconds). */
export interface JoinTiming {
  /** The click on the voice channel (the click event's time stamp). */
  clickAt: number;
  /** The call panel said "Voice connected" (the server's VOICE_STATE_UPDATE for the join came back). */
  joinedAt: number | null;
  /** The join's first RTCPeerConnection was created. */
  firstPeerAt: number | null;
  /** The first of them reached connectionState "connected". */
  connectedAt: number | null;
  /** The first getStats read with inbound audio bytes > 0 from any remote peer; null: none in time. */
  firstAudioAt: number | null;
  /** Audio packets that peer had received at that read (Opus sends 50 a second): how late the read was. */
  packetsAtFirstAudio: number;
  polls: number;
}

/** RTP bytes through every open connection of a page so far, and when it was read. */
export interface Traffic {
  at: number;
  links: number;
  audioIn: number;
  audioPacketsIn: number;
  videoIn: number;
  framesDecoded: number;
  audioOut: number;
  videoOut: number;
  framesEncoded: number;
  /** Each video stream being sent: its height now and what limits it (WebRTC's qualityLimitationReason: cpu, bandwidth, none). */
  videoSent: { height: number; limitation: string }[];
}

/** What the web client's debug API reports per remote participant (the fields the bench reads). */
interface PeerStats {
  userId: string;
  connectionState: string;
  slots: Record<'audio' | 'camera' | 'screen', { bytesReceived: number; framesDecoded: number }>;
}

type ProbeWindow = Window & {
  callProbe: {
    armJoin(pollMs: number, timeoutMs: number): void;
    joinTiming(): Promise<JoinTiming> | null;
    traffic(): Promise<Traffic>;
  };
  parleyCall?: {
    stats(): Promise<{ peers: PeerStats[]; e2ee: { sent: { encrypted: number } } | null } | null>;
    phase(): string;
    marks?(): Record<string, number>;
  };
};

/** Starts timing the next click in the page (call right before clicking Join). */
export function armJoin(page: Page, pollMs: number, timeoutMs: number): Promise<void> {
  return page.evaluate(([pollMs, timeoutMs]) => (window as unknown as ProbeWindow).callProbe.armJoin(pollMs, timeoutMs), [pollMs, timeoutMs] as const);
}

/** The armed join's timing, once remote audio arrived or its timeout passed. */
export async function joinTiming(page: Page): Promise<JoinTiming> {
  const timing = await page.evaluate(() => (window as unknown as ProbeWindow).callProbe.joinTiming());
  if (!timing) throw new Error('No join was armed in this page');
  return timing;
}

export function traffic(page: Page): Promise<Traffic> {
  return page.evaluate(() => (window as unknown as ProbeWindow).callProbe.traffic());
}

/** The web client's call phase: idle, joining or joined. */
export function callPhase(page: Page): Promise<string> {
  return page.evaluate(() => (window as unknown as ProbeWindow).parleyCall?.phase() ?? 'idle');
}

/**
 * Whether this page is connected to every other participant (`userIds`) and receives their
 * audio (and camera frames when `video`), as the web client's debug API reads getStats.
 */
export async function hearsEveryone(page: Page, userIds: readonly string[], video: boolean): Promise<boolean> {
  const stats = await page.evaluate(() => (window as unknown as ProbeWindow).parleyCall?.stats() ?? null);
  if (!stats) return false;
  return userIds.every((id) => {
    const peer = stats.peers.find((p) => p.userId === id);
    return peer?.connectionState === 'connected' && peer.slots.audio.bytesReceived > 0 && (!video || peer.slots.camera.framesDecoded > 0);
  });
}

/** Whether the page's call encrypts the frames it sends (end-to-end encryption in effect, not only asked for). */
export async function e2eeActive(page: Page): Promise<boolean> {
  const stats = await page.evaluate(() => (window as unknown as ProbeWindow).parleyCall?.stats() ?? null);
  return (stats?.e2ee?.sent.encrypted ?? 0) > 0;
}

/**
 * The web client's own milestones of its last join (performance.now() of the page, by name:
 * click, engine, microphone requested and open, voice state sent, joined, first offer…); null
 * from a client without them (an older build).
 */
export function callMarks(page: Page): Promise<Record<string, number> | null> {
  return page.evaluate(() => (window as unknown as ProbeWindow).parleyCall?.marks?.() ?? null);
}
