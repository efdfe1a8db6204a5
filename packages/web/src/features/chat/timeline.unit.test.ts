import type { Message, Snowflake } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import type { PendingMessage } from '@parley/sdk';
import { GROUP_MS, buildTimeline, estimateRowHeight, headerTime, localDay } from './timeline';

const start = new Date(2026, 4, 21, 10, 0).getTime();
let sequence = 0;

/** A message by `author` `minutes` after 10:00 on 21 May 2026 (local time), with IDs in order. */
function message(author: string, minutes: number, extra: Partial<Message> = {}): Message {
  sequence++;
  return {
    id: String(1_000 + sequence),
    channel_id: '1',
    author: { id: author, username: author, global_name: null, avatar: null, discriminator: '0', bot: false, system: false, guest: false, bio: '', custom_status: null, public_flags: 0 },
    content: `message ${sequence}`,
    timestamp: new Date(start + minutes * 60_000).toISOString(),
    edited_timestamp: null,
    tts: false,
    mention_everyone: false,
    mentions: [],
    mention_roles: [],
    attachments: [],
    embeds: [],
    pinned: false,
    type: 0,
    flags: 0,
    ...extra,
  } as Message;
}

const messageRows = (rows: ReturnType<typeof buildTimeline>) => rows.filter((r) => r.kind === 'message');

describe('the timeline', () => {
  it('starts with the head row and groups consecutive messages by one author within 7 minutes', () => {
    // Grace's second message comes exactly 7 minutes after her first: a new group.
    const messages = [message('ada', 0), message('ada', 1), message('grace', 2), message('grace', 2 + GROUP_MS / 60_000), message('grace', 10)];
    const rows = buildTimeline(messages, [], null);
    expect(rows[0]).toEqual({ kind: 'head', key: 'head' });
    expect(messageRows(rows).map((r) => r.grouped)).toEqual([false, true, false, false, true]);
    expect(messageRows(rows).map((r) => r.key)).toEqual(messages.map((m) => m.id));
  });

  it('gives a reply its own header and marks where a new day starts', () => {
    const messages = [
      message('ada', 0),
      message('ada', 1, { type: 19, message_reference: { message_id: '1001' } as Message['message_reference'] }),
      message('ada', 24 * 60),
      message('ada', 24 * 60 + 1),
    ];
    const rows = messageRows(buildTimeline(messages, [], null));
    expect(rows.map((r) => r.grouped)).toEqual([false, false, false, true]);
    expect(rows.map((r) => r.day)).toEqual([localDay(start), null, localDay(start + 24 * 3_600_000), null]);
    expect(localDay(start)).toBe(20260521);
  });

  it("never groups a call's system message with the messages around it", () => {
    const call = { participants: ['ada'], ended_timestamp: null } as Message['call'];
    const messages = [message('ada', 0), message('ada', 1, { type: 3, content: '', call }), message('ada', 2), message('ada', 3)];
    expect(messageRows(buildTimeline(messages, [], null)).map((r) => r.grouped)).toEqual([false, false, false, true]);
  });

  it("groups a webhook's messages only under the same name", () => {
    const hook = (minutes: number, name: string) => {
      const m = message('hook', minutes, { webhook_id: '7' as Snowflake });
      return { ...m, author: { ...m.author, username: name, bot: true } };
    };
    const rows = messageRows(buildTimeline([hook(0, 'CI'), hook(1, 'CI'), hook(2, 'Alerts')], [], null));
    expect(rows.map((r) => r.grouped)).toEqual([false, true, false]);
  });

  it('puts the "New messages" divider on the first message after the last read one, breaking its group', () => {
    const messages = [message('ada', 0), message('ada', 1), message('ada', 2), message('ada', 3)];
    const rows = messageRows(buildTimeline(messages, [], messages[1]!.id));
    expect(rows.map((r) => r.firstUnread)).toEqual([false, false, true, false]);
    expect(rows[2]!.grouped).toBe(false);
    expect(messageRows(buildTimeline(messages, [], messages[3]!.id)).some((r) => r.firstUnread)).toBe(false);
    expect(messageRows(buildTimeline(messages, [], null)).some((r) => r.firstUnread)).toBe(false);
  });

  it('ends with the messages still being sent, keyed by their nonce', () => {
    const pending = { nonce: 'abc', channelId: '1' as Snowflake, content: 'hi', replyTo: null, files: [], state: 'sending', error: null, progress: null, upload: null } satisfies PendingMessage;
    const rows = buildTimeline([message('ada', 0)], [pending], null);
    expect(rows.at(-1)).toEqual({ kind: 'pending', key: 'pending:abc', pending });
  });

  it('estimates taller rows for headers, separators and images before they are measured', () => {
    const [first, second] = messageRows(buildTimeline([message('ada', 0), message('ada', 1)], [], null));
    expect(estimateRowHeight(first!)).toBeGreaterThan(estimateRowHeight(second!));
    const withImage = messageRows(
      buildTimeline([message('ada', 0, { attachments: [{ id: '9', filename: 'a.png', size: 1, url: '', proxy_url: '', width: 800, height: 600 } as Message['attachments'][number]] })], [], null),
    )[0]!;
    expect(estimateRowHeight(withImage)).toBeGreaterThanOrEqual(estimateRowHeight(first!) + 300);
    const withEmbed = messageRows(buildTimeline([message('ada', 0, { embeds: [{ type: 'rich', title: 'Deploy', fields: [{ name: 'a', value: 'b' }] }] })], [], null))[0]!;
    expect(estimateRowHeight(withEmbed)).toBeGreaterThan(estimateRowHeight(first!) + 72);
  });
});

describe('the time in a message header', () => {
  const now = new Date(2026, 4, 21, 10, 0);
  it('says today and yesterday in words, older days as a date', () => {
    expect(headerTime(new Date(2026, 4, 21, 0, 5), now)).toMatch(/^Today at /);
    expect(headerTime(new Date(2026, 4, 20, 23, 59), now)).toMatch(/^Yesterday at /);
    expect(headerTime(new Date(2026, 4, 19, 12, 0), now)).not.toMatch(/day at/);
  });
});
