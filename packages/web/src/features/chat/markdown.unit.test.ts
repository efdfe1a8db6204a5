import { describe, expect, it } from 'vitest';
import { renderInlineMarkdown, renderMarkdown } from './markdown';

const names = { user: (id: string) => (id === '42' ? 'Ada' : null), channel: (id: string) => (id === '7' ? 'general' : null), role: () => 'mods' };
const render = (text: string) => renderMarkdown(text, names);

describe('message Markdown', () => {
  // happy-dom's parser drops the outermost block element DOMPurify hands it, so block structure
  // (paragraphs, quotes, code blocks) is checked in the browser tests; inline formatting here.
  it('renders Discord-style formatting', () => {
    expect(render('**bold** *it* ~~gone~~ `code`')).toContain('<strong>bold</strong> <em>it</em> <s>gone</s> <code>code</code>');
    expect(render('```\nlet x = 1;\n```')).toContain('<code>let x = 1;\n</code>');
    expect(render('line one\nline two')).toContain('line one<br>');
  });

  it('hides spoilers until clicked and highlights mentions by name', () => {
    expect(render('the end: ||they win||')).toContain('<span class="spoiler" tabindex="0" role="button" aria-label="Spoiler: click to reveal">they win</span>');
    expect(render('hi <@42> and <@!42> in <#7>')).toContain(
      'hi <span class="mention" data-user-id="42" tabindex="0" role="button">@Ada</span> and <span class="mention" data-user-id="42" tabindex="0" role="button">@Ada</span> in <span class="mention" data-channel-id="7">#general</span>',
    );
    expect(render('<@99> @everyone')).toContain('@unknown-user</span> <span class="mention">@everyone</span>');
  });

  it("draws the server's custom emoji as images, others as :name:, and keeps images from anywhere else out", () => {
    const withEmoji = { ...names, emoji: (id: string) => (id === '111' ? `/cdn/emojis/111/${'a'.repeat(32)}.webp` : null) };
    const html = renderMarkdown('hi <:party:111> and <a:gone:222> `<:party:111>`', withEmoji);
    expect(html).toContain(`<img class="custom-emoji" src="/cdn/emojis/111/${'a'.repeat(32)}.webp" alt=":party:" title=":party:" loading="lazy">`);
    expect(html).toContain(':gone:');
    expect(html).toContain('<code>&lt;:party:111&gt;</code>');
    // Raw HTML stays text, and no other image source survives sanitising.
    expect(renderMarkdown('<img src="https://evil.example/x.png">', withEmoji)).not.toContain('<img');
    expect(renderMarkdown('<:x1:111>', { ...names, emoji: () => 'https://evil.example/x.webp' })).not.toContain('evil.example');
    expect(renderInlineMarkdown('hi <:party:111>', withEmoji)).toBe('hi :party:');
  });

  it('opens links in a new tab without access to the page', () => {
    expect(render('see https://example.org/x')).toContain('<a href="https://example.org/x" target="_blank" rel="noopener noreferrer nofollow">');
  });

  it.each([
    '<script>alert(1)</script>',
    '<img src=x onerror=alert(1)>',
    '[click](javascript:alert(1))',
    '[click](data:text/html,<script>alert(1)</script>)',
    '<a href="javascript:alert(1)">x</a>',
    '<iframe src="https://evil.example"></iframe>',
    '![img](https://evil.example/x.png)',
    '<svg onload=alert(1)>',
  ])('never lets %j become live HTML', (text) => {
    const html = render(text);
    const box = document.createElement('div');
    box.innerHTML = html;
    expect(box.querySelector('script, img, iframe, svg, [onerror], [onload]')).toBeNull();
    for (const a of box.querySelectorAll('a')) expect(a.getAttribute('href')).toMatch(/^(https?:|mailto:)/);
  });
});

describe('one-line Markdown (reply quotes)', () => {
  const inline = (text: string) => renderInlineMarkdown(text, names);

  it('keeps inline styling and flattens blocks onto one line', () => {
    // (toContain: happy-dom's parser drops the first node DOMPurify hands it; browsers do not.)
    expect(inline('so **bold** and `code`')).toContain('<strong>bold</strong> and <code>code</code>');
    expect(inline('look:\n```ts\nconst x = 1;\nlet y;\n```\nok')).toContain('<code>const x = 1; let y;</code> ok');
    expect(inline('> quoted\n# Title\n- item')).toBe('quoted Title item');
    expect(inline('hi <@42>')).toContain('<span class="mention" data-user-id="42">@Ada</span>');
  });

  it('keeps link text but no link, and nothing live', () => {
    expect(inline('see [this](https://example.org)')).toBe('see this');
    expect(inline('<img src=x onerror=alert(1)> **x**')).not.toContain('<img');
    expect(inline('a ||secret||')).toContain('<span class="spoiler">secret</span>');
  });
});
