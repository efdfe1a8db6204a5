/** A run of text with the styles ink draws (never raw escapes from the message). */
export interface Span {
  text: string;
  bold?: boolean;
  italic?: boolean;
  code?: boolean;
  strike?: boolean;
  spoiler?: boolean;
}

/** A display line: its spans, and whether it sits in a quote or a code block. */
export interface Line {
  spans: Span[];
  quote?: boolean;
  codeBlock?: boolean;
}

// Inline markers in order of precedence: code first (nothing is parsed inside it).
const INLINE = /(`[^`\n]+`)|(\|\|[^|\n]+\|\|)|(\*\*[^*\n]+\*\*)|(~~[^~\n]+~~)|(\*[^*\n]+\*|_[^_\n]+_)/g;

function inline(text: string, spoilersShown: boolean): Span[] {
  const spans: Span[] = [];
  let last = 0;
  for (const match of text.matchAll(INLINE)) {
    if (match.index > last) spans.push({ text: text.slice(last, match.index) });
    const [whole, code, spoiler, bold, strike] = match;
    if (code) spans.push({ text: whole.slice(1, -1), code: true });
    else if (spoiler) spans.push(spoilersShown ? { text: whole.slice(2, -2) } : { text: '█'.repeat(Math.min(whole.length - 4, 20)), spoiler: true });
    else if (bold) spans.push({ text: whole.slice(2, -2), bold: true });
    else if (strike) spans.push({ text: whole.slice(2, -2), strike: true });
    else spans.push({ text: whole.slice(1, -1), italic: true });
    last = match.index + whole.length;
  }
  if (last < text.length) spans.push({ text: text.slice(last) });
  return spans;
}

/**
 * Parses a message's (already sanitized) Markdown into styled lines: code blocks, quotes and
 * inline styles. Spoilers are blanked until revealed. Lines are not wrapped here.
 */
export function parseMarkdown(text: string, spoilersShown = false): Line[] {
  const lines: Line[] = [];
  let inCode = false;
  for (const raw of text.split('\n')) {
    if (raw.trimStart().startsWith('```')) {
      inCode = !inCode;
      continue;
    }
    if (inCode) lines.push({ spans: [{ text: raw, code: true }], codeBlock: true });
    else if (raw.startsWith('> ')) lines.push({ spans: inline(raw.slice(2), spoilersShown), quote: true });
    else lines.push({ spans: inline(raw, spoilersShown) });
  }
  return lines;
}
