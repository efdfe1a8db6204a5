import type { Embed, Message } from '@parley/protocol';
import { GatewayClient, type MentionNames, ParleyCache } from '@parley/sdk';
import { describe, expect, it } from 'vitest';
import { type Row, embedRows, rowsOf } from './rows';

const names: MentionNames = { user: (id) => (id === '7' ? 'Ada' : null), channel: () => null, role: () => null };
const lines = (rows: Row[]) => rows.map((row) => row.spans.map((s) => s.text).join(''));

describe("a message's embeds in the terminal", () => {
  it('shows author, title and link, text, fields as "name: value", image links and the footer, under a bar', () => {
    const embed: Embed = {
      type: 'rich',
      author: { name: 'CI' },
      title: 'Build #42 failed',
      url: 'https://ci.example.org/42',
      description: 'On **main**, by <@7>',
      fields: [
        { name: 'Branch', value: 'main', inline: true },
        { name: 'Took', value: '3 min', inline: true },
      ],
      image: { url: 'https://ci.example.org/graph.png' },
      footer: { text: 'Parley CI' },
      color: 0xff0000,
    };
    const rows = embedRows('m1', 'm1', [embed], names, 80, false);
    expect(lines(rows)).toEqual([
      '  ┃ CI',
      '  ┃ Build #42 failed https://ci.example.org/42',
      '  ┃ On main, by @Ada',
      '  ┃ Branch: main',
      '  ┃ Took: 3 min',
      '  ┃ [image] https://ci.example.org/graph.png',
      '  ┃ Parley CI',
    ]);
    expect(rows[2]!.spans).toContainEqual({ text: 'main', bold: true });
    expect(rows[3]!.spans).toContainEqual({ text: 'Branch: ', bold: true });
    expect(rows.at(-1)!.dim).toBe(true);
    expect(new Set(rows.map((r) => r.key)).size).toBe(rows.length);
    expect(rows.every((r) => r.messageId === 'm1')).toBe(true);
  });

  it("wraps long text within the pane and keeps its bar; a link preview's text stays plain", () => {
    const rows = embedRows('m2', 'm2', [{ type: 'link', provider: { name: 'Example' }, title: 'A page', description: 'word '.repeat(30).trim() }], names, 40, false);
    expect(lines(rows)[0]).toBe('  ┃ Example');
    expect(rows.length).toBeGreaterThan(4);
    for (const line of lines(rows)) {
      expect(line.startsWith('  ┃ ')).toBe(true);
      expect(line.length).toBeLessThanOrEqual(40);
    }
  });

  it("makes someone else's escapes inert and hides spoilers until revealed", () => {
    const rows = embedRows('m3', 'm3', [{ type: 'rich', title: '\u001b[31mred\u001b[0m', description: 'a ||secret||' }], names, 80, false);
    expect(lines(rows)).toEqual(['  ┃ red', '  ┃ a ██████']);
    expect(lines(embedRows('m3', 'm3', [{ type: 'rich', description: 'a ||secret||' }], names, 80, true))).toEqual(['  ┃ a secret']);
    expect(embedRows('m4', 'm4', [], names, 80, false)).toEqual([]);
  });
});

describe('a file offered peer to peer in the terminal', () => {
  it('shows its name and size, and that the web client downloads it', () => {
    const cache = new ParleyCache(new GatewayClient({ url: 'ws://127.0.0.1:9', token: 'unused', WebSocket: class {} as never }));
    const message = {
      id: '10',
      channel_id: '20',
      author: { id: '7', username: 'ada', global_name: 'Ada' },
      content: '',
      timestamp: new Date(0).toISOString(),
      edited_timestamp: null,
      flags: 0,
      attachments: [],
      embeds: [],
      file_offer: { id: 'o'.repeat(22), filename: 'lecture\u001b[31m.mp4', size: 3 * 1024 ** 3, content_type: 'video/mp4' },
    } as unknown as Message;
    const shown = lines(rowsOf(cache, [message], [], 80, false));
    // The name is someone else's text: its escape sequence is dropped.
    expect(shown.at(-1)).toBe('  [file] lecture.mp4 3.0 GB · peer to peer: download it in the web client');
  });
});
