import { isSealedFileSize, sealedFileSize } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { SealedFileError, openFile, sealFile } from './files';

describe('sealed files', () => {
  it('come out at the size the upload limit is checked against, and open to the same bytes', async () => {
    for (const size of [0, 1, 1000, 65_536, 65_537, 300_000]) {
      const bytes = new Uint8Array(size).map((_, i) => i % 251);
      const { sealed, meta } = await sealFile(new Blob([bytes]));
      expect(sealed.size, `sealed ${size}`).toBe(sealedFileSize(size));
      expect(isSealedFileSize(sealed.size)).toBe(true);
      expect(new Uint8Array(await (await openFile(await sealed.arrayBuffer(), meta)).arrayBuffer())).toEqual(bytes);
    }
  });

  it('refuses a sealed file cut short', async () => {
    const { sealed, meta } = await sealFile(new Blob([new Uint8Array(200_000)]));
    await expect(openFile(await sealed.slice(0, sealed.size - 70_000).arrayBuffer(), meta)).rejects.toBeInstanceOf(SealedFileError);
  });
});
