import { logInViaUi } from '../helpers';
import { expect, test } from '../people';
import { expectMediaFrom, joinAll, joinCall, peerStats, peopleWithVoice, setVoiceSettings } from './calls';

/** One call per user, what others see from outside a call, and calls through TURN. */

test('everyone in the server sees who is in a voice channel, live', async ({ newPerson }) => {
  const {
    people: [ada, bob, cy],
    guildId,
  } = await peopleWithVoice(newPerson, ['Ada', 'Bob', 'Cy']);
  await cy.page.goto(`/channels/${guildId}`);
  const lounge = cy.page.getByTestId('voice-members');

  await joinAll([ada, bob], guildId);
  await expect(lounge.getByTestId('voice-member')).toHaveText([/Ada/, /Bob/]);

  await bob.page.getByTestId('toggle-mute').click();
  await expect(lounge.getByTestId('voice-member').filter({ hasText: 'Bob' }).getByTitle('Muted')).toBeVisible();

  await bob.page.getByTestId('leave-call').click();
  await expect(lounge.getByTestId('voice-member')).toHaveText([/Ada/]);
});

test('a full call turns the next person away with a message saying so', async ({ newPerson }) => {
  const {
    people: [ada, bob, cy, dee],
    guildId,
  } = await peopleWithVoice(newPerson, ['Ada', 'Bob', 'Cy', 'Dee']);
  await joinAll([ada, bob, cy], guildId); // the call specs' server allows 3 (CALL_MAX_PARTICIPANTS)
  await dee.page.goto(`/channels/${guildId}`);
  await dee.page.getByTestId('voice-channel-link').filter({ hasText: 'Lounge' }).click();
  await expect(dee.page.getByTestId('call-error')).toHaveText(/This call is full: at most 3 people/);
  await expect(dee.page.getByTestId('call-status')).toHaveCount(0);
  await expect(ada.page.getByTestId('voice-member')).toHaveText([/Ada/, /Bob/, /Cy/]);
});

test('a call that cannot load says so instead of connecting forever, and the next click joins', async ({ newPerson }) => {
  const {
    people: [ada],
    guildId,
  } = await peopleWithVoice(newPerson, ['Ada']);
  // The call engine's script does not arrive (offline, or an update replaced it).
  await ada.page.route('**/assets/CallSession-*.js', (route) => route.abort());
  await ada.page.goto(`/channels/${guildId}`);
  await ada.page.getByTestId('voice-channel-link').filter({ hasText: 'Lounge' }).click();
  await expect(ada.page.getByTestId('call-error')).toHaveText(/Could not load the call/);
  await expect(ada.page.getByTestId('call-status')).toHaveCount(0);

  await ada.page.unroute('**/assets/CallSession-*.js');
  await joinCall(ada.page, guildId, 'Lounge');
});

test('joining another voice channel leaves the first', async ({ newPerson }) => {
  const {
    people: [ada, bob],
    guildId,
  } = await peopleWithVoice(newPerson, ['Ada', 'Bob'], { voiceChannels: ['Lounge', 'Studio'] });
  await bob.page.goto(`/channels/${guildId}`);
  await joinCall(ada.page, guildId, 'Lounge');
  const membersOf = (name: string) => bob.page.getByTestId('voice-channel').filter({ hasText: name }).getByTestId('voice-member');
  await expect(membersOf('Lounge')).toHaveText([/Ada/]);

  await joinCall(ada.page, guildId, 'Studio');
  await expect(membersOf('Studio')).toHaveText([/Ada/]);
  await expect(membersOf('Lounge')).toHaveCount(0);
});

test('joining from another device moves the call there, and the first device says why', async ({ newPerson, browser }) => {
  const {
    people: [ada, bob],
    guildId,
  } = await peopleWithVoice(newPerson, ['Ada', 'Bob']);
  await joinAll([ada, bob], guildId);
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

test('a participant whose gateway session is lost rejoins the call by themselves', async ({ newPerson }) => {
  const {
    people: [ada, bob],
    guildId,
  } = await peopleWithVoice(newPerson, ['Ada', 'Bob']);
  // Ada's gateway goes through the test, which can cut it the way a network drop does.
  let drop: (() => Promise<void>) | null = null;
  await ada.page.routeWebSocket(/\/gateway/, (page) => {
    const server = page.connectToServer();
    drop = async () => {
      // The server hears an unclean close (so it keeps her voice state for a while), and Ada's
      // client hears that its session cannot be resumed: it must identify afresh.
      await server.close({ code: 4900, reason: 'Network dropped' });
      await page.close({ code: 4009, reason: 'Session timed out' });
    };
  });
  await ada.page.reload();
  await joinAll([ada, bob], guildId);
  await expectMediaFrom(bob, ada, { video: false });
  const before = (await peerStats(bob.page, ada.id))!.sessionId;

  await drop!();
  // Bob's link to Ada is a new one, to her new session, and carries her audio again.
  await expect.poll(async () => (await peerStats(bob.page, ada.id))?.sessionId, { timeout: 30_000 }).not.toBe(before);
  await expectMediaFrom(bob, ada, { video: false });
  await expectMediaFrom(ada, bob, { video: false });
  await expect(ada.page.getByTestId('call-status')).toHaveText('Voice connected');
  await expect(bob.page.getByTestId('voice-member')).toHaveText([/Ada/, /Bob/]);
});

test('a call relayed through TURN connects (relay-only ICE)', async ({ newPerson }) => {
  const {
    people: [ada, bob],
    guildId,
  } = await peopleWithVoice(newPerson, ['Ada', 'Bob']);
  for (const person of [ada, bob]) await setVoiceSettings(person.page, { relayOnly: true });
  await joinAll([ada, bob], guildId);
  await expectMediaFrom(bob, ada, { video: false });
  await expectMediaFrom(ada, bob, { video: false });
  const link = await peerStats(ada.page, bob.id);
  expect([link?.localCandidateType, link?.remoteCandidateType]).toEqual(['relay', 'relay']);
});
