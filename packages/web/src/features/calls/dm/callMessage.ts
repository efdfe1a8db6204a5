import type { Message, Snowflake } from '@parley/protocol';

/**
 * How a call's system message (type 3) reads, as in Discord: while the call is live "Alice
 * started a call.", afterwards "Alice started a call that lasted 5 minutes.", and for a
 * recipient who never joined it "You missed a call from Alice.".
 */
export type CallMessageState = 'live' | 'ended' | 'missed';

export interface CallMessageView {
  state: CallMessageState;
  text: string;
}

/** A call's length as people say it: "a few seconds", "1 minute", "2 hours and 5 minutes". */
export function callDuration(ms: number): string {
  const minutes = Math.floor(Math.max(0, ms) / 60_000);
  if (minutes < 1) return 'a few seconds';
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  const minuteText = (n: number) => (n === 1 ? '1 minute' : `${n} minutes`);
  if (hours === 0) return minuteText(minutes);
  const hourText = hours === 1 ? '1 hour' : `${hours} hours`;
  return rest === 0 ? hourText : `${hourText} and ${minuteText(rest)}`;
}

/** What a call message says to `meId`; `callerName` names its author, who started the call. */
export function describeCallMessage(message: Pick<Message, 'author' | 'timestamp' | 'call'>, meId: Snowflake | null, callerName: string): CallMessageView {
  const ended = message.call?.ended_timestamp ?? null;
  if (ended === null) return { state: 'live', text: `${callerName} started a call.` };
  const joined = message.author.id === meId || (meId !== null && (message.call?.participants.includes(meId) ?? false));
  if (!joined) return { state: 'missed', text: `You missed a call from ${callerName}.` };
  const lasted = callDuration(Date.parse(ended) - Date.parse(message.timestamp));
  return { state: 'ended', text: `${callerName} started a call that lasted ${lasted}.` };
}
