import type { Call, Message, Snowflake, VoiceState } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { callDuration, describeCallMessage } from './callMessage';
import { callersOf, declineKey, incomingCalls, recipientStatuses, settleDecline } from './ringing';

const alice = 'alice' as Snowflake;
const bob = 'bob' as Snowflake;
const carol = 'carol' as Snowflake;
const dave = 'dave' as Snowflake;
const dm1 = 'dm1' as Snowflake;
const dm2 = 'dm2' as Snowflake;
const dm3 = 'dm3' as Snowflake;
const m1 = 'm1' as Snowflake;
const m2 = 'm2' as Snowflake;

const user = (id: Snowflake) => ({ id, username: String(id) }) as Message['author'];
const callMessage = (callerId: Snowflake, participants: Snowflake[], minutes: number | null): Pick<Message, 'author' | 'timestamp' | 'call'> => ({
  author: user(callerId),
  timestamp: '2026-05-21T10:00:00.000Z',
  call: { participants, ended_timestamp: minutes === null ? null : new Date(Date.parse('2026-05-21T10:00:00.000Z') + minutes * 60_000).toISOString() },
});
const voiceState = (userId: Snowflake, channelId = dm1) => ({ user_id: userId, channel_id: channelId, session_id: `s-${userId}` }) as VoiceState;
const call = (channelId: Snowflake, ringing: Snowflake[], messageId = m1): Call => ({ channel_id: channelId, message_id: messageId, ringing, region: 'local' });

describe('call durations', () => {
  it('read as people say them', () => {
    expect(callDuration(0)).toBe('a few seconds');
    expect(callDuration(59_999)).toBe('a few seconds');
    expect(callDuration(60_000)).toBe('1 minute');
    expect(callDuration(5 * 60_000 + 30_000)).toBe('5 minutes');
    expect(callDuration(60 * 60_000)).toBe('1 hour');
    expect(callDuration(61 * 60_000)).toBe('1 hour and 1 minute');
    expect(callDuration(125 * 60_000)).toBe('2 hours and 5 minutes');
    expect(callDuration(-5)).toBe('a few seconds');
  });
});

describe('call messages', () => {
  it('say the call was started while it is live, to everyone', () => {
    expect(describeCallMessage(callMessage(alice, [alice], null), bob, 'Alice')).toEqual({ state: 'live', text: 'Alice started a call.' });
    expect(describeCallMessage(callMessage(alice, [alice], null), alice, 'Alice').state).toBe('live');
  });

  it('say how long it lasted to those who were in it, the caller included', () => {
    const ended = callMessage(alice, [alice, bob], 5);
    expect(describeCallMessage(ended, bob, 'Alice')).toEqual({ state: 'ended', text: 'Alice started a call that lasted 5 minutes.' });
    expect(describeCallMessage(callMessage(alice, [], 0.2), alice, 'Alice')).toEqual({ state: 'ended', text: 'Alice started a call that lasted a few seconds.' });
  });

  it('tell a recipient who never joined that they missed it', () => {
    expect(describeCallMessage(callMessage(alice, [alice], 2), bob, 'Alice')).toEqual({ state: 'missed', text: 'You missed a call from Alice.' });
    expect(describeCallMessage(callMessage(alice, [alice, carol], 2), bob, 'Alice').state).toBe('missed');
  });
});

describe('ringing', () => {
  it('rings the user for calls listing them, unless they are in that call or declined it here', () => {
    const calls = [call(dm1, [bob]), call(dm2, [bob, carol]), call(dm3, [carol])];
    expect(incomingCalls(calls, bob, null, new Set()).map((c) => c.channel_id)).toEqual([dm1, dm2]);
    expect(incomingCalls(calls, bob, dm1, new Set()).map((c) => c.channel_id)).toEqual([dm2]);
    expect(incomingCalls(calls, bob, null, new Set([declineKey(calls[1]!)])).map((c) => c.channel_id)).toEqual([dm1]);
    expect(incomingCalls(calls, null, null, new Set())).toEqual([]);
  });

  it('remembers a decline for that call only: the next call in the DM rings again', () => {
    const declined = new Set([declineKey(call(dm1, [bob], m1))]);
    expect(incomingCalls([call(dm1, [bob], m2)], bob, null, declined)).toHaveLength(1);
  });

  it('forgets a decline once the server stops ringing, so ringing again rings', () => {
    const declined = new Set([declineKey(call(dm1, [bob]))]);
    settleDecline(declined, call(dm1, [bob]), bob);
    expect(declined.size).toBe(1);
    settleDecline(declined, call(dm1, []), bob);
    expect(declined.size).toBe(0);
    expect(incomingCalls([call(dm1, [bob])], bob, null, declined)).toHaveLength(1);
  });

  it('names the callers: everyone in the call but yourself, in join order', () => {
    expect(callersOf([voiceState(alice), voiceState(bob), voiceState(carol)], bob)).toEqual([alice, carol]);
    expect(callersOf([], bob)).toEqual([]);
  });

  it('tells, for each other recipient, whether they are in the call, being rung, or neither', () => {
    expect(recipientStatuses([bob, carol, dave], call(dm1, [carol]), [voiceState(alice), voiceState(bob)])).toEqual([
      { userId: bob, status: 'in_call' },
      { userId: carol, status: 'ringing' },
      { userId: dave, status: 'not_joined' },
    ]);
    expect(recipientStatuses([bob], null, [])).toEqual([{ userId: bob, status: 'not_joined' }]);
  });
});
