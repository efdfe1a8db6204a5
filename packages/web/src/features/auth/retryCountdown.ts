import { ParleyApiError } from '@parley/sdk';
import { computed, onScopeDispose, ref } from 'vue';

/** "4 minutes", "1 hour", "12 seconds": a wait rounded up to the unit a person thinks in. */
export function formatWait(ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  if (seconds < 60) return plural(seconds, 'second');
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 60) return plural(minutes, 'minute');
  return plural(Math.ceil(minutes / 60), 'hour');
}

function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

/**
 * After a 429 on a sign-in form: how long until trying again, as a sentence that counts down
 * (by the minute, then by the second) and disappears when the wait is over.
 */
export function useRetryCountdown(now: () => number = Date.now) {
  const until = ref<number | null>(null);
  const current = ref(now());
  let timer: ReturnType<typeof setInterval> | null = null;

  function stop() {
    if (timer) clearInterval(timer);
    timer = null;
  }

  function tick() {
    current.value = now();
    if (until.value !== null && current.value >= until.value) {
      until.value = null;
      stop();
    }
  }

  /** Starts the countdown when `error` is a 429 that says how long to wait; true if it was. */
  function started(error: unknown): boolean {
    if (!(error instanceof ParleyApiError) || error.status !== 429 || !error.retryAfter) return false;
    stop();
    current.value = now();
    until.value = current.value + error.retryAfter * 1000;
    timer = setInterval(tick, 1000);
    return true;
  }

  function clear() {
    until.value = null;
    stop();
  }

  onScopeDispose(stop);

  const message = computed(() => (until.value === null ? null : `Too many attempts. Try again in ${formatWait(until.value - current.value)}.`));

  return {
    message,
    clear,
    /**
     * For `.catch` on a sign-in call: a 429 becomes the countdown (shown instead of an error),
     * anything else is rethrown for the form to show.
     */
    handle: (error: unknown): void => {
      if (!started(error)) throw error;
    },
  };
}
