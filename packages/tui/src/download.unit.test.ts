import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { download, safeFileName } from './download';

it('keeps a downloaded name inside the folder, visible and printable', () => {
  expect(safeFileName('../../.ssh/authorized_keys')).toBe('_.._.ssh_authorized_keys');
  expect(safeFileName('..')).toBe('download');
  expect(safeFileName('.bashrc')).toBe('bashrc');
  expect(safeFileName('a\\b\u001b[31m.txt')).toBe('a_b.txt');
  expect(safeFileName(`${'x'.repeat(300)}.pdf`)).toBe(`${'x'.repeat(196)}.pdf`);
  // Bytes, not characters, are what the file system limits: 250 CJK characters are 750 bytes.
  const cjk = safeFileName(`${'文'.repeat(250)}.txt`);
  expect(Buffer.byteLength(cjk)).toBeLessThanOrEqual(200);
  expect(cjk.endsWith('.txt')).toBe(true);
  expect(Buffer.byteLength(safeFileName(`a.${'b'.repeat(250)}`))).toBeLessThanOrEqual(200);
  expect(safeFileName('report 2026.pdf')).toBe('report 2026.pdf');
});

it('writes a new file beside an existing one of the same name, never over it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-dl-'));
  writeFileSync(join(dir, 'notes.txt'), 'mine');
  const fetchImpl = (async () => new Response('theirs')) as unknown as typeof fetch;
  const path = await download(fetchImpl, 'http://127.0.0.1/x', dir, 'notes.txt');
  expect(path).toBe(join(dir, 'notes (1).txt'));
  expect(readFileSync(path, 'utf8')).toBe('theirs');
  expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine');
});

it('leaves no partial file when the download breaks on the way', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-dl-'));
  const broken = new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('half of it'));
      controller.error(new Error('connection reset'));
    },
  });
  const fetchImpl = (async () => new Response(broken)) as unknown as typeof fetch;
  await expect(download(fetchImpl, 'http://127.0.0.1/x', dir, 'big.iso')).rejects.toThrow('connection reset');
  expect(readdirSync(dir)).toEqual([]);
});
