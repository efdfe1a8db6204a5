import type { Attachment } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { fitWithin, isImage } from './media';

describe('image previews', () => {
  it('fit within their box keeping their shape, never enlarged', () => {
    expect(fitWithin(800, 600, 400, 300)).toEqual({ width: 400, height: 300 });
    expect(fitWithin(1000, 200, 400, 300)).toEqual({ width: 400, height: 80 });
    expect(fitWithin(200, 2000, 400, 300)).toEqual({ width: 30, height: 300 });
    expect(fitWithin(120, 80, 400, 300)).toEqual({ width: 120, height: 80 });
    expect(fitWithin(10_000, 1, 400, 300)).toEqual({ width: 400, height: 1 });
  });

  it('are the attachments the server measured as images', () => {
    const base = { id: '1', filename: 'f', size: 1, url: '', proxy_url: '' } as Attachment;
    expect(isImage({ ...base, width: 10, height: 10 })).toBe(true);
    expect(isImage({ ...base, width: null, height: null })).toBe(false);
    expect(isImage(base)).toBe(false);
  });
});
