/** What a chunk of terminal input does to the composer, in order. */
export type Typed = { kind: 'text'; text: string } | { kind: 'enter' } | { kind: 'tab' } | { kind: 'backspace' };

/**
 * Keys typed faster than they are read reach the client as one chunk, which ink does not
 * split: each carriage return in it is an Enter, each tab a Tab and each DEL/BS a backspace,
 * the rest is text.
 * A chunk with text after a carriage return is a paste of several lines: it goes into the
 * composer as lines, never sent (nor run as commands) until the person presses Enter.
 */
export function splitTyped(input: string): Typed[] {
  if (/\r[^\r\u007f\b]/.test(input)) return [{ kind: 'text', text: input.replace(/\r+$/, '').replace(/\r/g, '\n') }];
  const typed: Typed[] = [];
  for (const part of input.split(/([\r\t\u007f\b])/)) {
    if (part === '\r') typed.push({ kind: 'enter' });
    else if (part === '\t') typed.push({ kind: 'tab' });
    else if (part === '\u007f' || part === '\b') typed.push({ kind: 'backspace' });
    else if (part) typed.push({ kind: 'text', text: part });
  }
  return typed;
}
