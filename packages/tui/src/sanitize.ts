/**
 * Makes text written by other people safe to draw in a terminal. A message is data, never
 * instructions to the terminal: escape sequences (CSI colours and cursor moves, OSC titles and
 * hyperlinks, DCS, APC…), every other C0/C1 control and the bidi overrides/isolates that can
 * make text display in another order than it is stored ("Trojan Source") are removed; tabs become
 * spaces; line breaks are kept (the caller lays out lines). Styles are applied afterwards by ink
 * from parsed Markdown, never from bytes in the message.
 */

// ESC-introduced sequences: CSI (ESC [ … final), string sequences OSC/DCS/SOS/PM/APC (ESC ] P X ^ _
// up to BEL or ST), and two-byte escapes (ESC + one char). Also their 8-bit C1 forms.
const ESCAPE_SEQUENCE = /\u001b\[[0-?]*[ -/]*[@-~]?|\u009b[0-?]*[ -/]*[@-~]?|(?:\u001b[\]PX^_]|[\u0090\u0098\u009d\u009e\u009f])[^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)?|\u001b[\s\S]?/g;
// Remaining C0 controls except newline (tab handled before), DEL and C1.

const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g;
// Bidi embeddings/overrides (U+202A–U+202E), isolates (U+2066–U+2069), and the marks that can
// reorder as well (LRM, RLM, ALM).
const BIDI = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g;

export function sanitize(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(ESCAPE_SEQUENCE, '').replace(/\t/g, '    ').replace(CONTROL, '').replace(BIDI, '');
}
