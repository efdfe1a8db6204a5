import { type CallEncryption, type E2eeCounters, createCallEncryption, restrictCodecsForE2ee } from '../../packages/web/src/features/calls/e2ee/index';

/**
 * The browser side of e2ee.spec.ts, bundled by the spec with esbuild: a two-person call inside
 * one page (two RTCPeerConnections over loopback, fake camera and microphone), encrypted with
 * the web client's E2EE module exactly as the call engine uses it. The spec drives it through
 * `window.e2eeLab`.
 */

const ALICE = '1001';
const BOB = '1002';

interface Peer {
  userId: string;
  encryption: CallEncryption;
  pc: RTCPeerConnection;
  stream: MediaStream;
}

export interface PeerState {
  connection: RTCPeerConnectionState;
  counters: { sent: E2eeCounters; received: Record<string, E2eeCounters> };
  audioBytesReceived: number;
  videoFramesDecoded: number;
  /** Inbound videos that decoded at least one frame. */
  videosDecoding: number;
  codecs: string[];
}

async function openPeer(userId: string): Promise<Peer> {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 320, height: 240 } });
  return { userId, encryption: await createCallEncryption(), pc: new RTCPeerConnection(), stream };
}

/** Without trickle ICE: loopback host candidates are gathered at once, and the SDP carries them. */
async function localDescriptionWithCandidates(pc: RTCPeerConnection): Promise<RTCSessionDescriptionInit> {
  if (pc.iceGatheringState !== 'complete') {
    await new Promise<void>((resolve) => pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve()));
  }
  return pc.localDescription!.toJSON();
}

/** Media keys cross over as the gateway would carry them: sealed by one, opened by the other. */
type Party = Pick<Peer, 'userId' | 'encryption'>;

function sendKey(from: Party, to: Party, claimedPublicKey = from.encryption.publicKey): boolean {
  return to.encryption.acceptKey(from.userId, claimedPublicKey, from.encryption.keyFor(to.userId, to.encryption.publicKey));
}

let alice: Peer;
let bob: Peer;

/**
 * Alice calls Bob; transforms go on before the offer and answer. With `impostor`, Bob gets his
 * media key for Alice from someone else, as if the server had swapped in a public key of its
 * own: he then holds a wrong key for her frames.
 */
async function call({ impostor }: { impostor: boolean }): Promise<{ aliceCode: string; bobCode: string; impostorClaimRefused: boolean }> {
  alice = await openPeer(ALICE);
  bob = await openPeer(BOB);

  for (const track of alice.stream.getTracks()) {
    const transceiver = alice.pc.addTransceiver(track, { direction: 'sendrecv', streams: [alice.stream] });
    restrictCodecsForE2ee(transceiver);
    alice.encryption.protectSender(transceiver.sender);
    alice.encryption.protectReceiver(transceiver.receiver, BOB);
  }
  // Sender transforms too go on here, synchronously: in Chromium one attached after an await
  // (e.g. after another sender's replaceTrack) can be silently ignored and frames leave as they are.
  bob.pc.ontrack = ({ transceiver }) => {
    restrictCodecsForE2ee(transceiver);
    bob.encryption.protectReceiver(transceiver.receiver, ALICE);
    bob.encryption.protectSender(transceiver.sender);
  };

  let aliceKeyAtBob = alice.encryption.publicKey;
  let impostorClaimRefused = false;
  if (impostor) {
    const mallory: Party = { userId: '1003', encryption: await createCallEncryption() };
    aliceKeyAtBob = mallory.encryption.publicKey;
    // Mallory's key does not pass as Alice's under Alice's real public key...
    impostorClaimRefused = !sendKey(mallory, bob, alice.encryption.publicKey);
    // ...but it does under the public key the server said was Alice's.
    if (!bob.encryption.acceptKey(ALICE, aliceKeyAtBob, mallory.encryption.keyFor(BOB, bob.encryption.publicKey))) throw new Error('impostor key refused');
  } else if (!sendKey(alice, bob)) throw new Error("Bob refused Alice's key");
  if (!sendKey(bob, alice)) throw new Error("Alice refused Bob's key");

  await negotiate({ bobSends: true });
  const aliceView = [
    { userId: ALICE, publicKey: alice.encryption.publicKey },
    { userId: BOB, publicKey: bob.encryption.publicKey },
  ];
  const bobView = [
    { userId: BOB, publicKey: bob.encryption.publicKey },
    { userId: ALICE, publicKey: aliceKeyAtBob },
  ];
  return { aliceCode: alice.encryption.verificationCode(aliceView), bobCode: bob.encryption.verificationCode(bobView), impostorClaimRefused };
}

/**
 * Alice offers, Bob answers. Bob's ontrack has protected each new transceiver; the first time,
 * his camera and microphone go out on them.
 */
async function negotiate({ bobSends }: { bobSends: boolean }): Promise<void> {
  await alice.pc.setLocalDescription();
  await bob.pc.setRemoteDescription(await localDescriptionWithCandidates(alice.pc));
  if (bobSends) {
    for (const track of bob.stream.getTracks()) {
      const transceiver = bob.pc.getTransceivers().find((t) => t.receiver.track.kind === track.kind)!;
      transceiver.direction = 'sendrecv';
      await transceiver.sender.replaceTrack(track);
      transceiver.sender.setStreams(bob.stream);
    }
  }
  await bob.pc.setLocalDescription();
  await alice.pc.setRemoteDescription(await localDescriptionWithCandidates(bob.pc));
}

/** Alice adds a second video mid-call, as a screen share is added: a new transceiver, protected at once, then renegotiation. */
async function shareScreen(): Promise<void> {
  const screen = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 360 } });
  const transceiver = alice.pc.addTransceiver(screen.getVideoTracks()[0]!, { direction: 'sendonly', streams: [screen] });
  restrictCodecsForE2ee(transceiver);
  alice.encryption.protectSender(transceiver.sender);
  await negotiate({ bobSends: false });
}

async function stateOf(peer: Peer): Promise<PeerState> {
  const report = await peer.pc.getStats();
  const state: PeerState = { connection: peer.pc.connectionState, counters: await peer.encryption.counters(), audioBytesReceived: 0, videoFramesDecoded: 0, videosDecoding: 0, codecs: [] };
  report.forEach((stat) => {
    if (stat.type !== 'inbound-rtp') return;
    if (stat.kind === 'audio') state.audioBytesReceived += stat.bytesReceived ?? 0;
    else {
      state.videoFramesDecoded += stat.framesDecoded ?? 0;
      if (stat.framesDecoded > 0) state.videosDecoding++;
    }
    if (stat.codecId) state.codecs.push(report.get(stat.codecId)?.mimeType);
  });
  state.codecs.sort();
  return state;
}

const lab = {
  call,
  shareScreen,
  state: async () => ({ alice: await stateOf(alice), bob: await stateOf(bob) }),
  /** Alice rotates her media key (someone left) and does not send it yet. */
  rotateAlice: (): void => alice.encryption.rotate(),
  sendAliceKeyToBob: (): boolean => sendKey(alice, bob),
};
export type E2eeLab = typeof lab;
(window as unknown as { e2eeLab: E2eeLab }).e2eeLab = lab;
