import type { Span } from './markdown';

/**
 * Cuts a line of styled spans into rows of at most `width` characters, so a very long line
 * wraps instead of overflowing the pane (breaking at the last space when there is one).
 */
export function wrapSpans(spans: Span[], width: number): Span[][] {
  const max = Math.max(1, width);
  const rows: Span[][] = [];
  let row: Span[] = [];
  let used = 0;
  for (const span of spans) {
    let text = span.text;
    while (text.length > 0) {
      const room = max - used;
      if (text.length <= room) {
        row.push({ ...span, text });
        used += text.length;
        break;
      }
      const space = text.lastIndexOf(' ', room);
      const cut = space > 0 ? space : used > 0 && text.indexOf(' ') !== 0 ? 0 : room;
      if (cut > 0) row.push({ ...span, text: text.slice(0, cut) });
      rows.push(row);
      row = [];
      used = 0;
      text = text.slice(cut).replace(/^ /, '');
    }
  }
  rows.push(row);
  return rows;
}
