import { createHmac } from 'node:crypto';
import { expect, test } from '../fixtures';
import { turnSecret, turnUrls } from '../../playwright.calls.config';

/**
 * The test coturn relays a real call: two peer connections that may only use relay candidates
 * connect through it and carry the fake microphone's audio, and wrong credentials get no relay.
 */

/** The page keeps its caller and callee on `window` so later evaluations can read their stats. */
type PeersWindow = { peers: [caller: RTCPeerConnection, callee: RTCPeerConnection] };

interface IceServer {
  urls: string[];
  username: string;
  credential: string;
}

/** coturn's REST-API scheme: username `<expiry>:<user>`, credential base64(HMAC-SHA1(secret, username)). */
function turnCredentials(secret: string): IceServer {
  const username = `${Math.floor(Date.now() / 1000) + 3600}:turn-spec`;
  return { urls: turnUrls, username, credential: createHmac('sha1', secret).update(username).digest('base64') };
}

test('two relay-only peer connections connect through coturn and carry audio', async ({ page }) => {
  await page.goto('/');
  await page.evaluate(async (iceServers) => {
    const config: RTCConfiguration = { iceServers, iceTransportPolicy: 'relay' };
    const caller = new RTCPeerConnection(config);
    const callee = new RTCPeerConnection(config);
    caller.onicecandidate = (event) => void (event.candidate && callee.addIceCandidate(event.candidate));
    callee.onicecandidate = (event) => void (event.candidate && caller.addIceCandidate(event.candidate));
    const microphone = await navigator.mediaDevices.getUserMedia({ audio: true });
    for (const track of microphone.getTracks()) caller.addTrack(track, microphone);
    await caller.setLocalDescription();
    await callee.setRemoteDescription(caller.localDescription!);
    await callee.setLocalDescription();
    await caller.setRemoteDescription(callee.localDescription!);
    (window as unknown as PeersWindow).peers = [caller, callee];
  }, [turnCredentials(turnSecret)]);

  await expect.poll(() => page.evaluate(() => (window as unknown as PeersWindow).peers.map((peer) => peer.connectionState))).toEqual(['connected', 'connected']);
  const readStats = () =>
    page.evaluate(async () => {
      const [, callee] = (window as unknown as PeersWindow).peers;
      const report = [...(await callee.getStats()).values()] as Array<Record<string, unknown>>;
      const byId = new Map(report.map((entry) => [entry.id, entry]));
      const transport = report.find((entry) => entry.type === 'transport');
      const pair = byId.get(transport?.selectedCandidatePairId);
      const inbound = report.find((entry) => entry.type === 'inbound-rtp' && entry.kind === 'audio');
      return {
        local: byId.get(pair?.localCandidateId)?.candidateType,
        remote: byId.get(pair?.remoteCandidateId)?.candidateType,
        audioBytes: Number(inbound?.bytesReceived ?? 0),
      };
    });
  await expect.poll(async () => (await readStats()).audioBytes).toBeGreaterThan(0);
  const { local, remote } = await readStats();
  expect({ local, remote }).toEqual({ local: 'relay', remote: 'relay' });
});

test('a wrong TURN credential gathers no relay candidate', async ({ page }) => {
  await page.goto('/');
  const relayCandidates = await page.evaluate(async (iceServers) => {
    const peer = new RTCPeerConnection({ iceServers, iceTransportPolicy: 'relay' });
    const candidates: string[] = [];
    const gathered = new Promise<void>((resolve) => {
      peer.onicecandidate = (event) => (event.candidate ? candidates.push(event.candidate.candidate) : resolve());
    });
    peer.addTransceiver('audio');
    await peer.setLocalDescription();
    // Gathering ends by itself once coturn has refused the credential; bounded all the same.
    const timedOut = await Promise.race([gathered.then(() => false), new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 20_000))]);
    peer.close();
    return timedOut ? null : candidates.filter((candidate) => candidate.includes(' typ relay'));
  }, [turnCredentials('not-the-secret')]);
  expect(relayCandidates).toEqual([]);
});
