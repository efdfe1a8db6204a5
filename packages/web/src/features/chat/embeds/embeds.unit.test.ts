import { describe, expect, it } from 'vitest';
import { embedColor, embedLabel, embedSummary, hostOf, safeLink } from './embeds';

describe('embed colours', () => {
  it('are hex for CSS, padded; none outside 24 bits', () => {
    expect(embedColor(0x5865f2)).toBe('#5865f2');
    expect(embedColor(0xff)).toBe('#0000ff');
    expect(embedColor(0)).toBe('#000000');
    expect(embedColor(undefined)).toBeNull();
    expect(embedColor(0x1000000)).toBeNull();
    expect(embedColor(-1)).toBeNull();
  });
});

describe('embed links', () => {
  it('are http(s) only', () => {
    expect(safeLink('https://example.org/a?b=1')).toBe('https://example.org/a?b=1');
    expect(safeLink('HTTP://example.org')).toBe('http://example.org/');
    expect(safeLink('javascript:alert(1)')).toBeNull();
    expect(safeLink(' javascript:alert(1)')).toBeNull();
    expect(safeLink('data:text/html,<b>x</b>')).toBeNull();
    expect(safeLink('https://')).toBeNull();
    expect(safeLink(undefined)).toBeNull();
    expect(hostOf('https://cdn.example.org:8443/i.png')).toBe('cdn.example.org:8443');
  });
});

describe('an embed in one line', () => {
  it('is its title, else its author, site, first line of text, field or footer', () => {
    expect(embedLabel({ type: 'rich', title: 'Build #42 failed', description: 'x' })).toBe('Build #42 failed');
    expect(embedLabel({ type: 'rich', author: { name: 'CI' }, description: 'x' })).toBe('CI');
    expect(embedLabel({ type: 'link', provider: { name: 'Example' } })).toBe('Example');
    expect(embedLabel({ type: 'rich', description: '\n  first line\nsecond' })).toBe('first line');
    expect(embedLabel({ type: 'rich', fields: [{ name: 'Status', value: 'ok' }] })).toBe('Status');
    expect(embedLabel({ type: 'rich', footer: { text: 'bot' } })).toBe('bot');
    expect(embedLabel({ type: 'rich', image: { url: 'https://example.org/a.png' } })).toBeNull();
    expect(embedLabel({ type: 'rich', title: 'x'.repeat(150) })).toHaveLength(100);
  });

  it('summarises a message by its first embed that says something; nothing when it has none', () => {
    expect(embedSummary({ embeds: [] })).toBe('');
    expect(
      embedSummary({
        embeds: [
          { type: 'rich', image: { url: 'https://example.org/a.png' } },
          { type: 'rich', title: 'Second' },
        ],
      }),
    ).toBe('Second');
    expect(embedSummary({ embeds: [{ type: 'rich', image: { url: 'https://example.org/a.png' } }] })).toBe('An embed');
  });
});
