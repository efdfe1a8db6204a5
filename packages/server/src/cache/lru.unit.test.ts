import { describe, expect, it } from 'vitest';
import { Caches } from './caches';
import { Lru } from './lru';

describe('Lru', () => {
  it('drops the least recently used entry when full, and serves nothing older than its age limit', () => {
    let now = 0;
    const lru = new Lru<string, number>(2, 1_000, () => now);
    lru.set('a', 1);
    lru.set('b', 2);
    expect(lru.get('a')).toBe(1); // b is now the least recently used
    lru.set('c', 3);
    expect([lru.get('a'), lru.get('b'), lru.get('c')]).toEqual([1, undefined, 3]);
    now = 1_001;
    expect(lru.get('a')).toBeUndefined();
    expect(lru.size).toBe(1);
  });
});

describe('Caches', () => {
  it('empties the caches read from a written table, and only those', async () => {
    const caches = new Caches();
    const members = caches.create<string, string>(['members', 'guilds'], { max: 10 });
    const sessions = caches.create<string, string>(['sessions'], { max: 10 });
    await members.load('m', async () => 'member');
    await sessions.load('s', async () => 'session');
    expect(caches.watches('guilds')).toBe(true);
    expect(caches.watches('messages')).toBe(false);
    caches.invalidate(['guilds']);
    expect(members.get('m')).toBeUndefined();
    expect(sessions.get('s')).toBe('session');
  });

  it('does not keep a read overtaken by an invalidation, nor "not found"', async () => {
    const caches = new Caches();
    const members = caches.create<string, string>(['members'], { max: 10 });
    expect(await members.load('m', async () => (caches.invalidate(['members']), 'read across a change'))).toBe('read across a change');
    expect(members.get('m')).toBeUndefined();
    expect(await members.load('gone', async () => undefined)).toBeUndefined();
    expect(members.get('gone')).toBeUndefined();
  });
});
