import { describe, expect, it } from 'vitest';
import { admitFiles, formatBytes } from './uploads';

const file = (name: string, size: number) => new File([new Uint8Array(size)], name);
const limits = { maxBytes: 1024 * 1024, maxCount: 3 };

describe('sizes as people read them', () => {
  it('uses bytes, then KB, MB and GB of 1,024', () => {
    expect(formatBytes(1)).toBe('1 byte');
    expect(formatBytes(812)).toBe('812 bytes');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(25 * 1024 * 1024)).toBe('25 MB');
    expect(formatBytes(2.25 * 1024 ** 3)).toBe('2.3 GB');
  });
});

describe('which chosen files can go with a message', () => {
  it('accepts files within the limits', () => {
    const chosen = [file('a.txt', 10), file('b.txt', 1024 * 1024)];
    expect(admitFiles(0, chosen, limits)).toEqual({ accepted: chosen, oversized: [], problems: [] });
  });

  it('says which file is too large, which is empty, and which is one too many', () => {
    const result = admitFiles(1, [file('huge.iso', 2 * 1024 * 1024), file('empty.txt', 0), file('a.txt', 1), file('b.txt', 1), file('c.txt', 1)], limits);
    expect(result.accepted.map((f) => f.name)).toEqual(['a.txt', 'b.txt']);
    // Too large to upload: it can go peer to peer instead.
    expect(result.oversized.map((f) => f.name)).toEqual(['huge.iso']);
    expect(result.problems).toEqual(['huge.iso is 2 MB; files can be at most 1 MB.', 'empty.txt is empty.', 'A message can carry at most 3 files; c.txt was left out.']);
  });

  it('in an encrypted conversation, measures a file as it will be uploaded: sealed, a little larger', () => {
    const nearLimit = file('lecture.pdf', 1_040_000);
    expect(admitFiles(0, [nearLimit], limits).accepted).toEqual([nearLimit]);
    const result = admitFiles(0, [nearLimit, file('small.txt', 100)], { ...limits, sealed: true });
    expect(result.accepted.map((f) => f.name)).toEqual(['small.txt']);
    expect(result.problems).toEqual(['lecture.pdf is 1016 KB: too large once encrypted, which adds up to 12%; files can be at most 1 MB.']);
  });
});
