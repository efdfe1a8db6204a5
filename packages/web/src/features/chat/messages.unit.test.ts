import type { Message, Snowflake } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { PAGE, aroundEdges, joinLatest } from './messages';

const run = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => ({ id: String(from + i) }) as Message);
const id = (n: number) => String(n) as Snowflake;
const ids = (messages: Message[] | null) => messages?.map((m) => Number(m.id));

describe('joining the newest page onto a cached channel', () => {
  it('keeps the cached older messages when the page starts inside them', () => {
    expect(ids(joinLatest(run(100, 180), run(150, 199)))).toEqual([...Array.from({ length: 50 }, (_, i) => 100 + i), ...Array.from({ length: 50 }, (_, i) => 150 + i)]);
  });

  it('replaces the cache when the page does not meet it (messages were missed in between)', () => {
    expect(joinLatest(run(100, 120), run(150, 199))).toBeNull();
    expect(joinLatest([], run(150, 199))).toBeNull();
    expect(joinLatest(run(100, 120), [])).toBeNull();
  });

  it('drops cached messages the fresh page no longer has (deleted while away)', () => {
    const cached = run(100, 130);
    const page = run(110, 130).filter((m) => m.id !== '120');
    expect(ids(joinLatest(cached, page))).not.toContain(120);
  });
});

describe('the edges of a page around a message', () => {
  it('knows there is more on both sides when both halves are full', () => {
    expect(aroundEdges(run(1, PAGE), id(PAGE / 2))).toEqual({ hasOlder: true, hasNewer: true });
  });

  it('sees the start of the channel when the older half is short, and the present when the newer half is', () => {
    expect(aroundEdges(run(1, 40), id(3))).toEqual({ hasOlder: false, hasNewer: true });
    expect(aroundEdges(run(1, 30), id(28))).toEqual({ hasOlder: true, hasNewer: false });
    expect(aroundEdges(run(1, 5), id(3))).toEqual({ hasOlder: false, hasNewer: false });
  });
});
