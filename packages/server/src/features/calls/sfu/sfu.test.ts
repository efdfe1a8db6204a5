import { ChannelType, GatewayCloseCode, GatewayOpcode, type SfuSignal, type Snowflake, routes } from '@parley/protocol';
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect } from '../../../testing/collector';
import { makeGuild, type Person } from '../../../testing/fixtures';
import { RawGateway } from '../../../testing/raw-gateway';
import { startTestServer, type TestServer } from '../../../testing/server';

/*
 * Big calls against a real Janus (the Debian package, started by the server as `npm start`
 * does): the move from mesh to SFU, publishing and the feeds others are told about,
 * subscribing, and what the server refuses. Media itself is the journeys' business
 * (e2e/calls/sfu.spec.ts): here the SDP offers are written by hand, which Janus answers as it
 * would a browser's.
 */

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { CALL_SFU: 'auto', CALL_MESH_MAX: '2', CALL_MAX_PARTICIPANTS: '5', JANUS_RTP_PORTS: '22000-22499', LOG_LEVEL: process.env.DEBUG_LOG ?? 'silent' } });
});
afterAll(() => server.close());

const FINGERPRINT = Array.from({ length: 32 }, (_, i) => (i * 7).toString(16).padStart(2, '0').toUpperCase()).join(':');

/** An offer as a browser publishing audio, camera and screen would make it (mids 0, 1, 2). */
function publisherOffer(ssrcBase: number): string {
  const media = (mid: number, kind: 'audio' | 'video') =>
    [
      kind === 'audio' ? 'm=audio 9 UDP/TLS/RTP/SAVPF 111' : 'm=video 9 UDP/TLS/RTP/SAVPF 96',
      'c=IN IP4 0.0.0.0',
      'a=rtcp:9 IN IP4 0.0.0.0',
      'a=ice-ufrag:pArL',
      'a=ice-pwd:parleyparleyparleyparley',
      'a=ice-options:trickle',
      `a=fingerprint:sha-256 ${FINGERPRINT}`,
      'a=setup:actpass',
      `a=mid:${mid}`,
      'a=sendonly',
      'a=rtcp-mux',
      kind === 'audio' ? 'a=rtpmap:111 opus/48000/2' : 'a=rtpmap:96 VP8/90000',
      `a=ssrc:${ssrcBase + mid} cname:parley`,
    ].join('\r\n');
  return ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0 1 2', media(0, 'audio'), media(1, 'video'), media(2, 'video'), ''].join('\r\n');
}

async function voiceGuild(members: number) {
  const made = await makeGuild(server, { members });
  const voice = await made.owner.client.request(routes.channels.create, { params: { guild_id: made.guild.id }, body: { name: 'Stage of many', type: ChannelType.GUILD_VOICE } });
  return { ...made, voice };
}

/** Connected and in the call, with everything SFU_SIGNAL brings collected from before the join. */
async function inCall(person: Person, voice: { id: Snowflake; guild_id?: Snowflake | null }) {
  const live = await server.connect(person.client.token!);
  const sfu = collect(live.gateway, 'SFU_SIGNAL');
  const states = collect(live.gateway, 'VOICE_STATE_UPDATE');
  const order: string[] = [];
  live.gateway.on('SFU_SIGNAL', (s) => order.push(`sfu:${s.type}`));
  live.gateway.on('VOICE_STATE_UPDATE', (s) => s.user_id === person.userId && order.push('own-state'));
  live.gateway.updateVoiceState({ guild_id: voice.guild_id ?? null, channel_id: voice.id, self_mute: false, self_deaf: false });
  await states.until('own join', (s) => s.some((v) => v.user_id === person.userId && v.session_id === live.gateway.sessionId));
  return { live, sfu, order, person };
}

/** Three in a call past the mesh of two: the owner's side, once it heard the call moved to the SFU. */
async function ownerOnSfu() {
  const { owner, members, voice } = await voiceGuild(2);
  const a = await inCall(owner, voice);
  await inCall(members[0]!, voice);
  await inCall(members[1]!, voice);
  await a.sfu.until('sfu', (s) => s.some((x) => x.type === 'media'));
  return { owner, voice, a };
}

/** The Janus this test server started (its configuration lives in the server's data directory). */
function janusPid(): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const command = (() => {
      try {
        return readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      } catch {
        return [];
      }
    })();
    if (command[0]?.endsWith('janus') && command.some((arg) => arg.startsWith(server.db.dataDir))) return Number(entry);
  }
  throw new Error('No Janus runs for this server');
}

const ofType = <T extends SfuSignal['type']>(items: readonly SfuSignal[], type: T) => items.filter((s): s is Extract<SfuSignal, { type: T }> => s.type === type);

describe('big calls through Janus', () => {
  it('moves a call past CALL_MESH_MAX to the SFU for everyone, tells later joiners before their own state, and keeps the rules', async () => {
    const { owner, members, voice } = await voiceGuild(3);
    const a = await inCall(owner, voice);
    const b = await inCall(members[0]!, voice);
    expect(a.sfu.items).toEqual([]);
    const stored = () => server.db.database.db.selectFrom('calls').select('media').where('channel_id', '=', voice.id).executeTakeFirstOrThrow();
    expect((await stored()).media).toBe('mesh');

    // The third is past a mesh of two: all three are told, the joiner before its own voice state.
    const c = await inCall(members[1]!, voice);
    for (const p of [a, b, c]) await p.sfu.until('the call is on the SFU', (s) => s.some((x) => x.type === 'media' && x.media === 'sfu' && x.channel_id === voice.id));
    expect(c.order.indexOf('sfu:media')).toBeLessThan(c.order.indexOf('own-state'));
    expect((await stored()).media).toBe('sfu');

    // A later joiner hears of it the same way; the call stays on the SFU when it shrinks again.
    const d = await inCall(members[2]!, voice);
    expect(d.order.slice(0, 2)).toEqual(['sfu:media', 'own-state']);
    c.live.gateway.updateVoiceState({ guild_id: null, channel_id: null, self_mute: false, self_deaf: false });
    d.live.gateway.updateVoiceState({ guild_id: null, channel_id: null, self_mute: false, self_deaf: false });
    await expect.poll(async () => (await server.db.database.db.selectFrom('voice_states').select('user_id').where('channel_id', '=', voice.id).execute()).length).toBe(2);
    expect((await stored()).media).toBe('sfu');
  });

  it("answers a publisher with Janus's answer for its three streams, and offers nothing for streams nobody publishes", async () => {
    const { voice, a } = await ownerOnSfu();

    a.live.gateway.sendSfuSignal({ channel_id: voice.id, type: 'publish', description: { type: 'offer', sdp: publisherOffer(1000) } });
    const [answer] = ofType(await a.sfu.until('answer', (s) => s.some((x) => x.type === 'answer'), 15_000), 'answer');
    const sdp = answer!.description.sdp;
    expect(sdp.match(/^a=mid:\d$/gm)).toEqual(['a=mid:0', 'a=mid:1', 'a=mid:2']);
    expect(sdp.match(/^a=recvonly$/gm)).toHaveLength(3);
    // Janus announces a publisher once its media flows (the journeys see that): nobody yet.
    const [feeds] = ofType(await a.sfu.until('feeds', (s) => s.some((x) => x.type === 'feeds')), 'feeds');
    expect(feeds!.feeds).toEqual([]);

    // Asking for streams nobody publishes: nothing to offer, and no error either.
    a.live.gateway.sendSfuSignal({ channel_id: voice.id, type: 'subscribe', streams: [{ feed: 'nobody', mid: '0' }] });
    a.live.gateway.sendSfuSignal({ channel_id: voice.id, type: 'publish', description: { type: 'offer', sdp: publisherOffer(1000) } });
    await a.sfu.until('a second answer (a renegotiation)', (s) => ofType(s, 'answer').length === 2, 15_000);
    expect(a.sfu.items.filter((x) => x.type === 'offer' || x.type === 'error')).toEqual([]);
  });

  it("goes on with a participant's other frames while Janus has not answered their SFU request yet", async () => {
    const { owner, voice, a } = await ownerOnSfu();
    const states = collect(a.live.gateway, 'VOICE_STATE_UPDATE');

    // Janus stopped mid-call (as busy as it gets): the publish waits for it, a mute does not.
    const janus = janusPid();
    process.kill(janus, 'SIGSTOP');
    try {
      a.live.gateway.sendSfuSignal({ channel_id: voice.id, type: 'publish', description: { type: 'offer', sdp: publisherOffer(7000) } });
      a.live.gateway.updateVoiceState({ guild_id: voice.guild_id ?? null, channel_id: voice.id, self_mute: true, self_deaf: false });
      await states.until('the mute, while Janus is stopped', (s) => s.some((v) => v.user_id === owner.userId && v.self_mute));
      expect(ofType(a.sfu.items, 'answer')).toEqual([]);
    } finally {
      process.kill(janus, 'SIGCONT');
    }
    await a.sfu.until('the answer once Janus goes on', (s) => s.some((x) => x.type === 'answer'), 15_000);
  });

  it('refuses SFU requests from outside the call and in a mesh call, reports what Janus refused, and closes on malformed frames', async () => {
    const { owner, members, voice } = await voiceGuild(2);
    const a = await inCall(owner, voice);
    const outsider = await server.connect(members[1]!.client.token!);
    const outsiderErrors = collect(outsider.gateway, 'VOICE_ERROR');
    const mesh = collect(a.live.gateway, 'VOICE_ERROR');

    // Still a mesh (one person): nothing to ask of an SFU.
    a.live.gateway.sendSfuSignal({ channel_id: voice.id, type: 'publish', description: { type: 'offer', sdp: publisherOffer(4000) } });
    await mesh.until('refused in a mesh', (e) => e.some((x) => x.code === 'NOT_IN_CALL'));

    await inCall(members[0]!, voice);
    outsider.gateway.sendSfuSignal({ channel_id: voice.id, type: 'subscribe', streams: [] });
    await outsiderErrors.until('refused outside the call', (e) => e.some((x) => x.code === 'NOT_IN_CALL' && x.channel_id === voice.id));

    // Janus refuses an offer that is not SDP: the participant is told, the connection stays.
    const c = await inCall(members[1]!, voice);
    c.live.gateway.sendSfuSignal({ channel_id: voice.id, type: 'publish', description: { type: 'offer', sdp: 'v=0\r\nnot sdp at all' } });
    const [error] = ofType(await c.sfu.until('error', (s) => s.some((x) => x.type === 'error'), 15_000), 'error');
    expect(error!).toMatchObject({ request: 'publish', message: expect.stringMatching(/media server/) });
    c.live.gateway.sendSfuSignal({ channel_id: voice.id, type: 'publish', description: { type: 'offer', sdp: publisherOffer(5000) } });
    await c.sfu.until('then an answer', (s) => s.some((x) => x.type === 'answer'), 15_000);

    const cases: unknown[] = [
      { channel_id: voice.id, type: 'publish', description: { type: 'answer', sdp: 'v=0' } },
      { channel_id: voice.id, type: 'subscribe', streams: Array.from({ length: 301 }, () => ({ feed: 'x', mid: '0' })) },
      { channel_id: voice.id, type: 'layers', layers: [{ mid: '0', substream: 3 }] },
      { channel_id: voice.id, type: 'candidates', peer: 'elsewhere', candidates: [{ candidate: '' }] },
      { channel_id: voice.id, type: 'teleport' },
    ];
    for (const d of cases) {
      const raw = await RawGateway.open(server.url);
      raw.identify(owner.client.token!);
      await raw.dispatch('READY');
      raw.send({ op: GatewayOpcode.SFU_SIGNAL, d });
      expect(await raw.closeCode()).toBe(GatewayCloseCode.DECODE_ERROR);
    }
  });
});
