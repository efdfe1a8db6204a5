import type { Channel, Snowflake } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { neighbour } from './navigation';

const list = ['1', '2', '3', '4'].map((id) => ({ id }) as Channel);
const ids = (c: Channel | null) => c?.id ?? null;
const at = (id: string) => id as Snowflake;

describe('moving between channels', () => {
  it('steps up and down, wrapping around', () => {
    expect(ids(neighbour(list, at('2'), 1))).toBe('3');
    expect(ids(neighbour(list, at('4'), 1))).toBe('1');
    expect(ids(neighbour(list, at('1'), -1))).toBe('4');
  });

  it('starts at an end when no channel of the list is open', () => {
    expect(ids(neighbour(list, null, 1))).toBe('1');
    expect(ids(neighbour(list, null, -1))).toBe('4');
  });

  it('skips to the next eligible one (unread), or nowhere', () => {
    expect(ids(neighbour(list, at('1'), 1, (c) => c.id === '4'))).toBe('4');
    expect(ids(neighbour(list, at('1'), -1, (c) => c.id === '2'))).toBe('2');
    expect(neighbour(list, at('1'), 1, () => false)).toBeNull();
    expect(neighbour([], null, 1)).toBeNull();
  });
});
