import type { Page } from '@playwright/test';
import { expect, test } from '../fixtures';
import { PASSWORD, uniqueName } from '../helpers';

/**
 * TURN as a call client gets it: a signed-in page fetches the ICE servers from Parley, and two
 * peer connections that may only use relay candidates connect through the test coturn with that
 * credential and carry the fake microphone's audio; a wrong credential gets no relay at all.
 */

/** The page keeps its caller and callee on `window` so later evaluations can read their stats. */
type PeersWindow = { peers: [caller: RTCPeerConnection, callee: RTCPeerConnection] };

/** Signs a new user up through the API and fetches their ICE servers from within the page. */
async function fetchIceServers(page: Page): Promise<RTCIceServer[]> {
  const registered = await page.request.post('/api/v10/auth/register', { data: { username: uniqueName('turn'), password: PASSWORD } });
  expect(registered.ok()).toBe(true);
  const { token } = (await registered.json()) as { token: string };
  await page.goto('/');
  const answer = await page.evaluate(async (authorization) => {
    const response = await fetch('/api/v10/calls/ice-servers', { headers: { Authorization: authorization } });
    return (await response.json()) as { ice_servers: RTCIceServer[]; expires_at: string };
  }, token);
  expect(Date.parse(answer.expires_at)).toBeGreaterThan(Date.now());
  expect(answer.ice_servers.find((server) => server.credential)?.username).toMatch(/^\d+:\d+$/);
  return answer.ice_servers;
}

test('two relay-only peer connections connect through coturn with the credential Parley hands out, and carry audio', async ({ page }) => {
  const iceServers = await fetchIceServers(page);
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
  }, iceServers);

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

test('a wrong TURN credential is refused by coturn and gathers no relay candidate', async ({ page }) => {
  const forged = (await fetchIceServers(page)).map((server) => (server.credential ? { ...server, credential: 'bm90IHRoZSBjcmVkZW50aWFs' } : server));
  const gathering = await page.evaluate(async (iceServers) => {
    const peer = new RTCPeerConnection({ iceServers, iceTransportPolicy: 'relay' });
    const candidates: string[] = [];
    const errorCodes: number[] = [];
    peer.onicecandidateerror = (event) => errorCodes.push(event.errorCode);
    const gathered = new Promise<void>((resolve) => {
      peer.onicecandidate = (event) => (event.candidate ? candidates.push(event.candidate.candidate) : resolve());
    });
    peer.addTransceiver('audio');
    await peer.setLocalDescription();
    // Gathering ends by itself once coturn has refused the credential; bounded all the same.
    const timedOut = await Promise.race([gathered.then(() => false), new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 20_000))]);
    peer.close();
    return { timedOut, relayCandidates: candidates.filter((candidate) => candidate.includes(' typ relay')), errorCodes };
  }, forged);
  expect(gathering).toMatchObject({ timedOut: false, relayCandidates: [] });
  // 401 Unauthorized: coturn was reached and turned the credential down (not merely unreachable).
  expect(gathering.errorCodes).toContain(401);
});
