import { sfuPort } from '../../playwright.calls.config';
import { expect, test } from '../people';
import { callStats, joinCall, peerStats, peopleWithVoice } from './calls';

/**
 * Big calls through Janus (docs/calls.md, "Big calls"). These run against the calls config's
 * second server: a mesh of at most three, then the SFU, with Janus gathering on a veth pair of
 * the test's own network namespace (libnice ignores loopback).
 */
test.use({ baseURL: `http://127.0.0.1:${sfuPort}` });

const PEOPLE = ['Ada', 'Bob', 'Cy', 'Dee', 'Eve', 'Fay', 'Gus', 'Hal', 'Ivy', 'Jo', 'Kim', 'Lu'] as const;

test('twelve people in one call: it moves to the SFU by itself, everyone hears everyone, every frame decrypts', async ({ newPerson }) => {
  test.setTimeout(420_000);
  const { people, guildId } = await peopleWithVoice(newPerson, PEOPLE);
  const [ada, bob, cy, dee] = people;

  // Three is still a mesh.
  for (const person of [ada, bob, cy]) await joinCall(person.page, guildId, 'Lounge');
  await expect.poll(async () => (await callStats(ada.page))?.peers.length).toBe(2);
  expect((await callStats(ada.page))?.media).toBe('mesh');

  // The fourth moves everyone to the SFU, nobody rejoining by hand.
  await joinCall(dee.page, guildId, 'Lounge');
  for (const person of [ada, bob, cy, dee]) await expect.poll(async () => (await callStats(person.page))?.media, { message: `${person.username} on the SFU`, timeout: 30_000 }).toBe('sfu');

  for (const person of people.slice(4)) await joinCall(person.page, guildId, 'Lounge');

  // Every participant receives every other's audio through the SFU.
  for (const receiver of people) {
    await expect
      .poll(
        async () => {
          const stats = await callStats(receiver.page);
          const hearing = stats?.peers.filter((p) => p.connectionState === 'connected' && p.slots.audio.packetsReceived > 20).map((p) => p.userId) ?? [];
          return { media: stats?.media, hearing: hearing.length };
        },
        { message: `${receiver.username} hears the eleven others`, timeout: 90_000 },
      )
      .toEqual({ media: 'sfu', hearing: PEOPLE.length - 1 });
  }

  // End to end encrypted all along: every frame sent was encrypted, none failed to decrypt.
  for (const person of people) {
    const e2ee = (await callStats(person.page))?.e2ee;
    expect(e2ee, `${person.username} encrypts`).not.toBeNull();
    expect(e2ee!.sent.failed).toBe(0);
    expect(e2ee!.sent.encrypted).toBeGreaterThan(0);
    const received = Object.entries(e2ee!.received);
    expect(received.length, `${person.username} decrypts everyone`).toBe(PEOPLE.length - 1);
    for (const [from, counters] of received) {
      expect(counters.failed, `${person.username} ← ${from}`).toBe(0);
      expect(counters.decrypted, `${person.username} ← ${from}`).toBeGreaterThan(0);
    }
  }

  // Bob's camera: sent in layers; a thumbnail gets the small one, and Ada sees it.
  await bob.page.getByTestId('toggle-video').click();
  await expect
    .poll(async () => {
      const peer = await peerStats(ada.page, bob.id);
      return peer && peer.slots.camera.framesDecoded > 0;
    })
    .toBe(true);
});
