import { type Ref, ref, watchEffect } from 'vue';

/** setTimeout holds at most ~24.8 days; a later end re-arms when that one fires. */
const LONGEST_DELAY_MS = 2 ** 31 - 1;

/**
 * A clock (epoch milliseconds) that moves when the earliest of `ends` passes: nothing
 * announces the end of a timeout, so whatever is judged against this clock (permissions,
 * "Timed out" labels) changes back by itself. `ends` is given the clock's time. It keeps
 * watching for as long as the effect scope it was made in (a component, or a detached scope).
 */
export function timeoutClock(ends: (now: number) => readonly (Date | null)[]): Ref<number> {
  const clock = ref(Date.now());
  watchEffect((onCleanup) => {
    const next = Math.min(Infinity, ...ends(clock.value).map((end) => end?.getTime() ?? Infinity));
    if (next === Infinity) return;
    const timer = setTimeout(() => (clock.value = Date.now()), Math.min(next - Date.now() + 50, LONGEST_DELAY_MS));
    onCleanup(() => clearTimeout(timer));
  });
  return clock;
}
