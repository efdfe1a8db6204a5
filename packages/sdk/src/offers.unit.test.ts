import { type Channel, ChannelType, type Message, Permissions, type PrivateUser, type Snowflake } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { composerOffer, messageOffer, offersPin, webhooksOffer } from './offers';

const sf = (id: string) => id as Snowflake;
const text = { id: sf('20'), type: ChannelType.GUILD_TEXT, guild_id: sf('10') } as Channel;
const voice = { id: sf('21'), type: ChannelType.GUILD_VOICE, guild_id: sf('10') } as Channel;
const cache = (channels: Channel[] = [text, voice]) => ({ user: { id: sf('1') } as PrivateUser, guilds: new Map(), members: new Map(), channels: new Map(channels.map((c) => [c.id, c])) });
const message = (author: string, extra: Partial<Message> = {}) => ({ id: sf('500'), channel_id: text.id, author: { id: sf(author) }, ...extra }) as Message;
const { ADD_REACTIONS, CREATE_PUBLIC_THREADS, MANAGE_MESSAGES, PIN_MESSAGES, SEND_MESSAGES, SEND_MESSAGES_IN_THREADS, ATTACH_FILES, ADMINISTRATOR } = Permissions;

describe('what is offered on a message', () => {
  it('offers a member edit and delete on their own message, and report on others’ but the system’s', () => {
    expect(messageOffer(cache(), message('1'), 0n)).toMatchObject({ edit: true, delete: true, report: false });
    expect(messageOffer(cache(), message('2'), 0n)).toMatchObject({ edit: false, delete: false, report: true });
    expect(messageOffer(cache(), message('2', { author: { id: sf('2'), system: true } as Message['author'] }), 0n).report).toBe(false);
  });

  it('offers deleting others’ messages and pinning to those who manage messages', () => {
    expect(messageOffer(cache(), message('2'), MANAGE_MESSAGES)).toMatchObject({ delete: true, pin: true, edit: false });
    expect(messageOffer(cache(), message('2'), PIN_MESSAGES)).toMatchObject({ delete: false, pin: true });
    expect(offersPin(ADD_REACTIONS)).toBe(false);
  });

  it('offers sealed reactions, edits, files and threads in an end-to-end encrypted channel', () => {
    const sealed = { ...text, e2ee: true } as Channel;
    expect(messageOffer(cache([sealed]), message('1'), ADMINISTRATOR)).toEqual({ react: true, startThread: true, pin: true, edit: true, delete: true, report: false });
    expect(composerOffer(sealed, ADMINISTRATOR)).toEqual({ send: true, attach: true });
  });

  it('offers reactions with the permission, and everything to administrators', () => {
    expect(messageOffer(cache(), message('2'), ADD_REACTIONS).react).toBe(true);
    expect(messageOffer(cache(), message('2'), 0n).react).toBe(false);
    expect(messageOffer(cache(), message('2'), ADMINISTRATOR)).toEqual({ react: true, startThread: true, pin: true, edit: false, delete: true, report: true });
  });

  it('offers a thread only in a text channel, once, with the permission', () => {
    expect(messageOffer(cache(), message('2'), CREATE_PUBLIC_THREADS).startThread).toBe(true);
    expect(messageOffer(cache(), message('2'), 0n).startThread).toBe(false);
    expect(messageOffer(cache(), message('2', { channel_id: voice.id }), CREATE_PUBLIC_THREADS).startThread).toBe(false);
    const started = { id: sf('500'), type: ChannelType.PUBLIC_THREAD, parent_id: text.id } as Channel;
    expect(messageOffer(cache([text, started]), message('2'), CREATE_PUBLIC_THREADS).startThread).toBe(false);
    expect(messageOffer(cache(), message('2', { thread: started }), CREATE_PUBLIC_THREADS).startThread).toBe(false);
  });
});

describe('what the composer offers', () => {
  it('needs Send Messages in a channel and Send Messages in Threads in a thread', () => {
    expect(composerOffer(text, SEND_MESSAGES)).toEqual({ send: true, attach: false });
    expect(composerOffer({ type: ChannelType.PUBLIC_THREAD }, SEND_MESSAGES)).toEqual({ send: false, attach: false });
    expect(composerOffer({ type: ChannelType.PUBLIC_THREAD }, SEND_MESSAGES_IN_THREADS | ATTACH_FILES)).toEqual({ send: true, attach: true });
  });

  it('offers attaching files only to those who may send', () => {
    expect(composerOffer(text, SEND_MESSAGES | ATTACH_FILES).attach).toBe(true);
    expect(composerOffer(text, ATTACH_FILES).attach).toBe(false);
  });
});

describe('what is offered of webhooks', () => {
  const { MANAGE_WEBHOOKS, VIEW_CHANNEL } = Permissions;
  it('needs Manage Webhooks where the channel can be seen, in a text channel', () => {
    expect(webhooksOffer(text, VIEW_CHANNEL | MANAGE_WEBHOOKS)).toBe('manage');
    expect(webhooksOffer(text, MANAGE_WEBHOOKS)).toBeNull();
    expect(webhooksOffer(text, VIEW_CHANNEL)).toBeNull();
    expect(webhooksOffer(text, ADMINISTRATOR)).toBe('manage');
    expect(webhooksOffer(voice, ADMINISTRATOR)).toBeNull();
  });

  it('says an end-to-end encrypted channel takes none, to those who would manage them', () => {
    const sealed = { ...text, e2ee: true } as Channel;
    expect(webhooksOffer(sealed, VIEW_CHANNEL | MANAGE_WEBHOOKS)).toBe('encrypted');
    expect(webhooksOffer(sealed, VIEW_CHANNEL)).toBeNull();
  });
});
