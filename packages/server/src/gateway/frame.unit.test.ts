import { describe, expect, it } from 'vitest';
import { binaryFrame, payloadOf, textFrame } from './frame';

describe('textFrame', () => {
  it.each([
    [0, [0x81, 0]],
    [125, [0x81, 125]],
    [126, [0x81, 126, 0, 126]],
    [65_535, [0x81, 126, 0xff, 0xff]],
    [65_536, [0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0]],
  ])('frames %i bytes with the shortest length form, unmasked', (length, header) => {
    const payload = Buffer.alloc(length, 'x');
    const frame = textFrame(payload);
    expect([...frame.subarray(0, header.length)]).toEqual(header);
    expect(frame.subarray(header.length).equals(payload)).toBe(true);
    // A compressed connection takes the payload back out of the shared frame.
    expect(payloadOf(frame).equals(payload)).toBe(true);
    const binary = binaryFrame(payload);
    expect(binary[0]).toBe(0x82);
    expect(payloadOf(binary).equals(payload)).toBe(true);
  });
});
