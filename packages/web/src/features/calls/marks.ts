/**
 * Milestones of the last join, as performance marks (`parley:call:<name>`, visible in the
 * browser's performance panel): the store clears them when a join starts, and the first of each
 * name counts. `window.parleyCall.marks()` reads them; the calls bench times a join with them and
 * a call spec checks their order. Measuring only: nothing decides anything from them.
 */
export type CallMark =
  /** The store's join ran (the click on a voice channel, a Join button). */
  | 'join'
  /** The call engine's code is loaded (at once when prefetched). */
  | 'engine'
  | 'microphone-requested'
  | 'microphone-open'
  | 'ice-servers'
  /** The call's key pair and frame worker (or none: end-to-end encryption off or unsupported). */
  | 'encryption'
  /** Op 4 went out: we asked the server to join. */
  | 'voice-state-sent'
  /** The server's VOICE_STATE_UPDATE for our join came back. */
  | 'joined'
  | 'first-offer';

const PREFIX = 'parley:call:';

const ours = () => performance.getEntriesByType('mark').filter((entry) => entry.name.startsWith(PREFIX));

/** Notes a milestone of the current join (the first of each name counts). */
export function markCall(name: CallMark): void {
  if (!performance.getEntriesByName(PREFIX + name, 'mark').length) performance.mark(PREFIX + name);
}

/** A join starts: the previous join's marks go, and this one's clock starts. */
export function startCallMarks(): void {
  for (const entry of ours()) performance.clearMarks(entry.name);
  markCall('join');
}

/** The last join's milestones: name → performance.now() time (entries come in time order). */
export function callMarks(): Record<string, number> {
  return Object.fromEntries(ours().map((entry) => [entry.name.slice(PREFIX.length), entry.startTime]));
}
