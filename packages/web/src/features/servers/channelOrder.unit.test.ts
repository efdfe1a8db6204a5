import { type Channel, ChannelType, type Snowflake } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { type ChannelGroup, groupChannels, moveCategory, moveChannel, placeCategory, placeChannel, reorderChanges } from './channelOrder';

const sf = (id: string) => id as Snowflake;
const channel = (id: string, position: number, parent_id: string | null = null, type: number = ChannelType.GUILD_TEXT): Channel => ({
  id: sf(id),
  type,
  guild_id: sf('1'),
  name: id,
  position,
  parent_id: parent_id === null ? null : sf(parent_id),
});

// "lobby" has no category; "text" holds a, b, c; "voice" holds v.
const server = [
  channel('10', 0, null, ChannelType.GUILD_CATEGORY),
  channel('20', 1, null, ChannelType.GUILD_CATEGORY),
  channel('101', 0, '10'),
  channel('102', 1, '10'),
  channel('103', 2, '10'),
  channel('201', 0, '20', ChannelType.GUILD_VOICE),
  channel('5', 0),
  channel('999', 0, '101', ChannelType.PUBLIC_THREAD),
];
const shape = (groups: ChannelGroup[] | null) => groups?.map((g) => [g.category?.id ?? '-', ...g.channels.map((c) => c.id)]);

describe('channel order', () => {
  it('groups channels under their categories, uncategorised first, threads left out', () => {
    expect(shape(groupChannels(server))).toEqual([
      ['-', '5'],
      ['10', '101', '102', '103'],
      ['20', '201'],
    ]);
    // A channel whose category is gone shows without one.
    expect(shape(groupChannels([channel('7', 0, '404')]))).toEqual([['-', '7']]);
  });

  it('moves a channel a step, across category edges, and not past the ends', () => {
    const groups = groupChannels(server);
    expect(shape(moveChannel(groups, sf('102'), -1))).toEqual([
      ['-', '5'],
      ['10', '102', '101', '103'],
      ['20', '201'],
    ]);
    expect(shape(moveChannel(groups, sf('101'), -1))).toEqual([
      ['-', '5', '101'],
      ['10', '102', '103'],
      ['20', '201'],
    ]);
    expect(shape(moveChannel(groups, sf('103'), 1))).toEqual([
      ['-', '5'],
      ['10', '101', '102'],
      ['20', '103', '201'],
    ]);
    expect(moveChannel(groups, sf('5'), -1)).toBeNull();
    expect(moveChannel(groups, sf('201'), 1)).toBeNull();
  });

  it('moves categories among themselves, never above the uncategorised channels', () => {
    const groups = groupChannels(server);
    expect(shape(moveCategory(groups, sf('20'), -1))).toEqual([
      ['-', '5'],
      ['20', '201'],
      ['10', '101', '102', '103'],
    ]);
    expect(moveCategory(groups, sf('10'), -1)).toBeNull();
    expect(moveCategory(groups, sf('20'), 1)).toBeNull();
  });

  it('places dropped channels and categories', () => {
    const groups = groupChannels(server);
    // Dropped before 103 in the same category, coming from above it.
    expect(shape(placeChannel(groups, sf('101'), sf('10'), 2))).toEqual([
      ['-', '5'],
      ['10', '102', '101', '103'],
      ['20', '201'],
    ]);
    expect(shape(placeChannel(groups, sf('5'), sf('20'), 0))).toEqual([['-'], ['10', '101', '102', '103'], ['20', '5', '201']]);
    expect(shape(placeChannel(groups, sf('201'), null, 99))).toEqual([['-', '5', '201'], ['10', '101', '102', '103'], ['20']]);
    expect(shape(placeCategory(groups, sf('10'), 2))).toEqual([
      ['-', '5'],
      ['20', '201'],
      ['10', '101', '102', '103'],
    ]);
    expect(shape(placeCategory(groups, sf('20'), 0))).toEqual([
      ['-', '5'],
      ['20', '201'],
      ['10', '101', '102', '103'],
    ]);
  });

  it('sends only the positions and categories that changed', () => {
    const groups = groupChannels(server);
    expect(reorderChanges(groups)).toEqual([]);
    expect(reorderChanges(moveChannel(groups, sf('101'), -1)!)).toEqual([
      { id: '101', position: 1, parent_id: null },
      { id: '102', position: 0, parent_id: '10' },
      { id: '103', position: 1, parent_id: '10' },
    ]);
    expect(reorderChanges(moveCategory(groups, sf('20'), -1)!)).toEqual([
      { id: '20', position: 0 },
      { id: '10', position: 1 },
    ]);
  });
});
