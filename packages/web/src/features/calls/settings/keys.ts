/**
 * Push-to-talk keys are stored as KeyboardEvent.code (the physical key, whatever the layout
 * types), and shown to people by a readable name.
 */

const NAMED: Record<string, string> = {
  Space: 'Space',
  Backquote: '`',
  Minus: '-',
  Equal: '=',
  BracketLeft: '[',
  BracketRight: ']',
  Backslash: '\\',
  Semicolon: ';',
  Quote: "'",
  Comma: ',',
  Period: '.',
  Slash: '/',
  CapsLock: 'Caps Lock',
  ContextMenu: 'Menu',
};

const SIDED = /^(Shift|Control|Alt|Meta)(Left|Right)$/;
const SIDED_NAMES: Record<string, string> = { Shift: 'Shift', Control: 'Ctrl', Alt: 'Alt', Meta: 'Meta' };

/** "KeyV" → "V", "Digit1" → "1", "ControlLeft" → "Left Ctrl", "ArrowUp" → "Up Arrow", "Numpad5" → "Numpad 5". */
export function keyLabel(code: string): string {
  if (NAMED[code]) return NAMED[code];
  const letter = /^Key([A-Z])$/.exec(code);
  if (letter) return letter[1]!;
  const digit = /^Digit(\d)$/.exec(code);
  if (digit) return digit[1]!;
  const sided = SIDED.exec(code);
  if (sided) return `${sided[2]} ${SIDED_NAMES[sided[1]!]}`;
  const arrow = /^Arrow(Up|Down|Left|Right)$/.exec(code);
  if (arrow) return `${arrow[1]} Arrow`;
  const numpad = /^Numpad(.+)$/.exec(code);
  if (numpad) return `Numpad ${numpad[1]}`;
  // Anything else (F1–F24, Home, PageDown, MediaPlayPause…): split its words.
  return code.replace(/([a-z])([A-Z0-9])/g, '$1 $2') || 'Unknown key';
}

/**
 * What pressing a key means while the recorder listens: Escape cancels, Tab keeps moving focus
 * (taking it would trap keyboard users), and every other key with a code becomes the key.
 */
export function recordedKey(event: Pick<KeyboardEvent, 'code' | 'key'>): { action: 'cancel' } | { action: 'ignore' } | { action: 'record'; code: string } {
  if (event.key === 'Escape' || event.code === 'Escape') return { action: 'cancel' };
  if (event.key === 'Tab' || !event.code) return { action: 'ignore' };
  return { action: 'record', code: event.code };
}
