import { ChannelType, OverwriteType, Permissions, type Snowflake } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { channelPermissionItems, draftOf, orderOverwrites, sameDraft, settingOf, withSetting } from './overwrites';

const sf = (id: string) => id as Snowflake;

describe('channel permission items', () => {
  it('lists what matters for the channel type, in channel words', () => {
    const text = channelPermissionItems(ChannelType.GUILD_TEXT);
    expect(text.map((i) => i.label).slice(0, 3)).toEqual(['View channel', 'Manage channel', 'Manage permissions']);
    expect(text.some((i) => i.bit === Permissions.SEND_MESSAGES)).toBe(true);
    expect(text.some((i) => i.bit === Permissions.CONNECT)).toBe(false);
    expect(text.find((i) => i.bit === Permissions.MANAGE_WEBHOOKS)?.label).toBe('Manage webhooks');
    const voice = channelPermissionItems(ChannelType.GUILD_VOICE);
    expect(voice.some((i) => i.bit === Permissions.SPEAK)).toBe(true);
    expect(voice.some((i) => i.bit === Permissions.SEND_MESSAGES)).toBe(false);
    // Webhooks post into text channels only.
    expect(voice.some((i) => i.bit === Permissions.MANAGE_WEBHOOKS)).toBe(false);
    const category = channelPermissionItems(ChannelType.GUILD_CATEGORY);
    expect(category).toHaveLength(5 + 11 + 7);
    // A stage lists the voice permissions, Request to Speak among them.
    const stage = channelPermissionItems(ChannelType.GUILD_STAGE_VOICE);
    expect(stage.map((i) => i.name)).toEqual(voice.map((i) => i.name));
    expect(stage.some((i) => i.bit === Permissions.REQUEST_TO_SPEAK)).toBe(true);
    // Guild-wide permissions never appear in a channel.
    expect(category.some((i) => i.bit === Permissions.ADMINISTRATOR || i.bit === Permissions.BAN_MEMBERS)).toBe(false);
  });
});

describe('three-way settings', () => {
  it('reads and sets allow, neutral and deny, never both', () => {
    const draft = draftOf({ allow: String(Permissions.SEND_MESSAGES), deny: String(Permissions.VIEW_CHANNEL) });
    expect(settingOf(draft, Permissions.SEND_MESSAGES)).toBe('allow');
    expect(settingOf(draft, Permissions.VIEW_CHANNEL)).toBe('deny');
    expect(settingOf(draft, Permissions.ADD_REACTIONS)).toBe('neutral');
    const flipped = withSetting(draft, Permissions.VIEW_CHANNEL, 'allow');
    expect(flipped).toEqual({ allow: Permissions.SEND_MESSAGES | Permissions.VIEW_CHANNEL, deny: 0n });
    const cleared = withSetting(flipped, Permissions.SEND_MESSAGES, 'neutral');
    expect(cleared).toEqual({ allow: Permissions.VIEW_CHANNEL, deny: 0n });
    expect(sameDraft(withSetting(cleared, Permissions.VIEW_CHANNEL, 'deny'), draftOf({ allow: '0', deny: String(Permissions.VIEW_CHANNEL) }))).toBe(true);
  });
});

describe('overwrite order', () => {
  it('puts roles by rank (@everyone last), then members by name, and drops deleted roles', () => {
    const guild = sf('100');
    const roles = [{ id: sf('3') }, { id: sf('2') }, { id: guild }];
    const overwrites = [
      { id: guild, type: OverwriteType.ROLE },
      { id: sf('9'), type: OverwriteType.MEMBER },
      { id: sf('2'), type: OverwriteType.ROLE },
      { id: sf('8'), type: OverwriteType.MEMBER },
      { id: sf('3'), type: OverwriteType.ROLE },
      { id: sf('77'), type: OverwriteType.ROLE },
    ];
    const names: Record<string, string> = { '8': 'zed', '9': 'amy' };
    expect(orderOverwrites(overwrites, roles, (id) => names[id]!).map((o) => o.id)).toEqual(['3', '2', guild, '9', '8']);
  });
});
