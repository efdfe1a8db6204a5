import type { Call, Snowflake, VoiceState } from '@parley/protocol';

/**
 * Who is being rung in DM calls, as pure functions of the server's CALL_CREATE/CALL_UPDATE
 * state, so the rules are tested without a browser. The store in dmCalls.ts feeds them.
 */

/** The calls that ring this user now: listed in `ringing`, not already in that call, not just declined here. */
export function incomingCalls(calls: Iterable<Call>, meId: Snowflake | null, inCallChannelId: Snowflake | null, declined: ReadonlySet<string>): Call[] {
  if (!meId) return [];
  return [...calls].filter((call) => call.ringing.includes(meId) && call.channel_id !== inCallChannelId && !declined.has(declineKey(call)));
}

/** A decline is remembered per call (its system message), so a later call in the same DM rings again. */
export function declineKey(call: Pick<Call, 'channel_id' | 'message_id'>): string {
  return `${call.channel_id}:${call.message_id}`;
}

/**
 * A decline only hides the prompt until the server agrees: once a call's ringing no longer
 * lists the user, forget it, so that "Ring again" rings them again.
 */
export function settleDecline(declined: Set<string>, call: Call, meId: Snowflake | null): void {
  if (meId && !call.ringing.includes(meId)) declined.delete(declineKey(call));
}

/** Who is calling: the people in the call, earliest first (the caller joined first), never yourself. */
export function callersOf(voiceStates: readonly VoiceState[], meId: Snowflake | null): Snowflake[] {
  return voiceStates.map((state) => state.user_id).filter((id) => id !== meId);
}

export type RecipientCallStatus = 'in_call' | 'ringing' | 'not_joined';

/** Each other recipient of a DM during its call: in it, being rung, or neither (declined, timed out, not rung). */
export function recipientStatuses(recipientIds: readonly Snowflake[], call: Pick<Call, 'ringing'> | null, voiceStates: readonly VoiceState[]): { userId: Snowflake; status: RecipientCallStatus }[] {
  const inCall = new Set(voiceStates.map((state) => state.user_id));
  return recipientIds.map((userId) => ({
    userId,
    status: inCall.has(userId) ? 'in_call' : call?.ringing.includes(userId) ? 'ringing' : 'not_joined',
  }));
}
