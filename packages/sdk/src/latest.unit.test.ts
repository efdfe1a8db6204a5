import { describe, expect, it } from 'vitest';
import { LatestOnly } from './latest';

/** A load whose answer comes when the test says. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('LatestOnly', () => {
  it('lets only the latest of overlapping loads apply its answer, whichever answers last', async () => {
    const latest = new LatestOnly();
    const shown: string[] = [];
    const load = async (answer: Promise<string>) => {
      const isLatest = latest.begin();
      const value = await answer;
      if (isLatest()) shown.push(value);
    };
    const everyone = deferred<string>();
    const olive = deferred<string>();
    const first = load(everyone.promise);
    const second = load(olive.promise);
    olive.resolve('entries by Olive');
    await second;
    everyone.resolve('every entry');
    await first;
    expect(shown).toEqual(['entries by Olive']);
  });

  it('makes every load under way stale when cancelled, and the next one counts again', () => {
    const latest = new LatestOnly();
    const before = latest.begin();
    latest.cancel();
    expect(before()).toBe(false);
    expect(latest.begin()()).toBe(true);
  });
});
