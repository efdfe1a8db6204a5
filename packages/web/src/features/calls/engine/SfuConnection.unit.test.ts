import type { SfuSignalSend, Snowflake } from '@parley/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SfuConnection, cameraLayerFor } from './SfuConnection';

/** Just enough of an RTCPeerConnection for the signaling SfuConnection does (happy-dom has none). */
class FakePeerConnection {
  static made = 0;
  localDescription: RTCSessionDescriptionInit | null = null;
  remoteDescription: RTCSessionDescriptionInit | null = null;
  connectionState: RTCPeerConnectionState = 'new';
  onicecandidate: unknown = null;
  onconnectionstatechange: (() => void) | null = null;
  /** The subscriber's m-lines: one transceiver per mid the SFU's offers listed (the fake SDP is "mids 0 1 …"). */
  private readonly transceivers: { mid: string; receiver: { track: { kind: string; id: string } } }[] = [];

  addTransceiver(): unknown {
    return { sender: { replaceTrack: async () => undefined, track: null }, receiver: { track: { kind: 'audio' } } };
  }
  async createOffer(): Promise<RTCSessionDescriptionInit> {
    return { type: 'offer', sdp: `offer ${++FakePeerConnection.made}` };
  }
  async setLocalDescription(description?: RTCSessionDescriptionInit): Promise<void> {
    this.localDescription = description ?? (this.remoteDescription?.type === 'offer' ? { type: 'answer', sdp: 'answer' } : await this.createOffer());
  }
  async setRemoteDescription(description: RTCSessionDescriptionInit): Promise<void> {
    this.remoteDescription = description;
    for (const mid of /^mids /.test(description.sdp ?? '') ? description.sdp!.split(' ').slice(1).filter(Boolean) : []) {
      if (!this.transceivers.some((t) => t.mid === mid)) this.transceivers.push({ mid, receiver: { track: { kind: 'audio', id: `track ${mid}` } } });
    }
  }
  getTransceivers(): unknown[] {
    return this.transceivers;
  }
  close(): void {}
}

const CHANNEL = '1000' as Snowflake;

function connect() {
  const sent: SfuSignalSend[] = [];
  const failed: string[] = [];
  const sfu = new SfuConnection({ channelId: CHANNEL, rtc: {}, outgoing: { audio: null, camera: null, screen: null }, shareEncoding: null, encryption: null, send: (d) => sent.push(d) });
  sfu.on('failed', (message) => failed.push(message));
  const ofType = <T extends SfuSignalSend['type']>(type: T) => sent.filter((d): d is Extract<SfuSignalSend, { type: T }> => d.type === type);
  const refused = (request: SfuSignalSend['type']) => sfu.onSignal({ type: 'error', channel_id: CHANNEL, request, message: 'The media server refused the request: busy' });
  return { sfu, sent, failed, ofType, refused };
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.stubGlobal('RTCPeerConnection', FakePeerConnection);
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('SfuConnection asks the SFU again for what it refused', () => {
  it('sends a refused first offer again, the same one, a little later', async () => {
    const c = connect();
    await c.sfu.start();
    const [first] = c.ofType('publish');
    await c.refused('publish');
    expect(c.ofType('publish')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(500);
    expect(c.ofType('publish')).toEqual([first, first]);
  });

  it('asks again for the streams it wants, as they are by then, and tells the person after five refusals in a row', async () => {
    const c = connect();
    c.sfu.want([{ feed: 'a', mid: '0' }]);
    await c.refused('subscribe');
    await vi.advanceTimersByTimeAsync(500);
    expect(c.ofType('subscribe').map((d) => d.streams)).toEqual([[{ feed: 'a', mid: '0' }], [{ feed: 'a', mid: '0' }]]);
    for (let i = 0; i < 4; i++) {
      await c.refused('subscribe');
      await vi.runOnlyPendingTimersAsync();
    }
    expect(c.ofType('subscribe')).toHaveLength(6);
    expect(c.failed).toEqual([]);
    await c.refused('subscribe');
    expect(c.failed).toHaveLength(1);
  });

  it('asks for a new offer when its answer was refused, and nothing once closed', async () => {
    const c = connect();
    await c.sfu.onSignal({ type: 'offer', channel_id: CHANNEL, description: { type: 'offer', sdp: 'from the SFU' }, streams: [] });
    expect(c.ofType('start')).toHaveLength(1);
    await c.refused('start');
    await vi.advanceTimersByTimeAsync(500);
    expect(c.ofType('restart')).toHaveLength(1);

    await c.refused('start');
    c.sfu.close();
    await vi.runAllTimersAsync();
    expect(c.ofType('restart')).toHaveLength(1);
  });
});

describe('SfuConnection announces each received stream once it knows whose it is', () => {
  const audioOf = (feed: string, mid: string) => ({ mid, feed, feed_mid: '0', type: 'audio' as const, description: 'audio' });
  const feedsOf = (...feeds: string[]) => feeds.map((feed) => ({ feed, user_id: `${feed}00` as Snowflake, streams: [{ mid: '0', type: 'audio' as const, description: 'audio' }] }));
  const offer = (c: ReturnType<typeof connect>, ...streams: ReturnType<typeof audioOf>[]) =>
    c.sfu.onSignal({ type: 'offer', channel_id: CHANNEL, description: { type: 'offer', sdp: `mids ${streams.map((s) => s.mid).join(' ')}` }, streams });
  const tracksOf = (c: ReturnType<typeof connect>) => {
    const tracks: string[] = [];
    c.sfu.on('track', ({ userId, slot, track }) => tracks.push(`${userId} ${slot} ${track.id}`));
    return tracks;
  };

  it('announces a stream an offer listed before the feeds said whose it is, once they do, and once only', async () => {
    const c = connect();
    const tracks = tracksOf(c);
    await c.sfu.onSignal({ type: 'feeds', channel_id: CHANNEL, feeds: feedsOf('1') });
    await offer(c, audioOf('1', '0'), audioOf('2', '1'));
    expect(tracks).toEqual(['100 audio track 0']);
    await c.sfu.onSignal({ type: 'feeds', channel_id: CHANNEL, feeds: feedsOf('1', '2') });
    expect(tracks).toEqual(['100 audio track 0', '200 audio track 1']);
    await c.sfu.onSignal({ type: 'feeds', channel_id: CHANNEL, feeds: feedsOf('1', '2', '3') });
    await offer(c, audioOf('1', '0'), audioOf('2', '1'));
    expect(tracks).toHaveLength(2);
    expect(c.sfu.receiversOf('200' as Snowflake).audio).toBeDefined();
  });

  it('announces an m-line the SFU gave to someone else within one offer, and one that came back after it was inactive', async () => {
    const c = connect();
    const tracks = tracksOf(c);
    await c.sfu.onSignal({ type: 'feeds', channel_id: CHANNEL, feeds: feedsOf('1', '2') });
    await offer(c, audioOf('1', '0'));
    await offer(c, audioOf('2', '0'));
    expect(tracks).toEqual(['100 audio track 0', '200 audio track 0']);
    // Inactive (not listed), then carrying the same stream again.
    await offer(c);
    await offer(c, audioOf('2', '0'));
    expect(tracks).toEqual(['100 audio track 0', '200 audio track 0', '200 audio track 0']);
  });
});

describe('cameraLayerFor', () => {
  it('gives a strip thumbnail the quarter-size layer, a grid tile the half, a focused tile the full one', () => {
    expect([0, 160, 320].map(cameraLayerFor)).toEqual([0, 0, 0]);
    expect([321, 480, 640].map(cameraLayerFor)).toEqual([1, 1, 1]);
    expect([641, 1280, 3840].map(cameraLayerFor)).toEqual([2, 2, 2]);
  });
});
