import { logInViaUi } from '../helpers';
import { expect, test } from '../people';
import { expectMediaFrom, joinCall, peerStats, setVoiceSettings, voiceServer } from './calls';

/** One call per user, what others see from outside a call, and calls through TURN. */

test('everyone in the server sees who is in a voice channel, live', async ({ newPerson }) => {
  const ada = await newPerson('Ada');
  const bob = await newPerson('Bob');
  const cy = await newPerson('Cy');
  const { guildId } = await voiceServer(ada, [bob, cy]);
  await cy.page.goto(`/channels/${guildId}`);
  const lounge = cy.page.getByTestId('voice-members');

  await joinCall(ada.page, guildId, 'Lounge');
  await joinCall(bob.page, guildId, 'Lounge');
  await expect(lounge.getByTestId('voice-member')).toHaveText([/Ada/, /Bob/]);

  await bob.page.getByTestId('toggle-mute').click();
  await expect(lounge.getByTestId('voice-member').filter({ hasText: 'Bob' }).getByTitle('Muted')).toBeVisible();

  await bob.page.getByTestId('leave-call').click();
  await expect(lounge.getByTestId('voice-member')).toHaveText([/Ada/]);
});

test('joining another voice channel leaves the first', async ({ newPerson }) => {
  const ada = await newPerson('Ada');
  const bob = await newPerson('Bob');
  const { guildId } = await voiceServer(ada, [bob], ['Lounge', 'Studio']);
  await bob.page.goto(`/channels/${guildId}`);
  await joinCall(ada.page, guildId, 'Lounge');
  const membersOf = (name: string) => bob.page.getByTestId('voice-channel').filter({ hasText: name }).getByTestId('voice-member');
  await expect(membersOf('Lounge')).toHaveText([/Ada/]);

  await joinCall(ada.page, guildId, 'Studio');
  await expect(membersOf('Studio')).toHaveText([/Ada/]);
  await expect(membersOf('Lounge')).toHaveCount(0);
});

test('joining from another device moves the call there, and the first device says why', async ({ newPerson, browser }) => {
  const ada = await newPerson('Ada');
  const bob = await newPerson('Bob');
  const { guildId } = await voiceServer(ada, [bob]);
  await joinCall(ada.page, guildId, 'Lounge');
  await joinCall(bob.page, guildId, 'Lounge');
  await expectMediaFrom(bob, ada, { video: false });

  const laptop = await browser.newContext();
  try {
    const adaOnLaptop = await laptop.newPage();
    await logInViaUi(adaOnLaptop, ada.username);
    await expect(adaOnLaptop).toHaveURL(/\/channels\/@me$/);
    await joinCall(adaOnLaptop, guildId, 'Lounge');

    await expect(ada.page.getByTestId('call-error')).toHaveText(/You joined this call from another device/);
    await expect(ada.page.getByTestId('call-status')).toHaveCount(0);
    // Bob now talks to Ada's laptop: a new link to her new session carries his audio there.
    await expectMediaFrom({ ...ada, page: adaOnLaptop }, bob, { video: false });
    await expect(bob.page.getByTestId('voice-member')).toHaveText([/Ada/, /Bob/]);
  } finally {
    await laptop.close();
  }
});

test('a call relayed through TURN connects (relay-only ICE)', async ({ newPerson }) => {
  const ada = await newPerson('Ada');
  const bob = await newPerson('Bob');
  const { guildId } = await voiceServer(ada, [bob]);
  for (const person of [ada, bob]) await setVoiceSettings(person.page, { relayOnly: true });
  await joinCall(ada.page, guildId, 'Lounge');
  await joinCall(bob.page, guildId, 'Lounge');
  await expectMediaFrom(bob, ada, { video: false });
  await expectMediaFrom(ada, bob, { video: false });
  const link = await peerStats(ada.page, bob.id);
  expect([link?.localCandidateType, link?.remoteCandidateType]).toEqual(['relay', 'relay']);
});
