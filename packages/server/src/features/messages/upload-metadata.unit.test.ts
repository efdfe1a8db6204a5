import { Limits } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { parseRange } from './attachment-routes';
import { contentDisposition, declaredContentType, isInlineType, sanitizeFilename } from './upload-metadata';

describe('sanitizeFilename', () => {
  it('keeps ordinary names as they are, in any script', () => {
    for (const name of ['photo.jpg', 'Quarterly report (final).pdf', 'résumé.docx', '報告書.txt', '🎉 party.png', '.env']) {
      expect(sanitizeFilename(name)).toBe(name);
    }
  });

  it('drops directories, control and direction characters, surrounding spaces and trailing dots', () => {
    expect(sanitizeFilename('../../etc/passwd')).toBe('passwd');
    expect(sanitizeFilename('C:\\Windows\\win.ini')).toBe('win.ini');
    expect(sanitizeFilename('a\u0000b\u001b[31mc\u007f.txt')).toBe('ab[31mc.txt');
    expect(sanitizeFilename('invoice\u202Egpj.exe')).toBe('invoicegpj.exe');
    expect(sanitizeFilename('  notes.txt. . ')).toBe('notes.txt');
    expect(sanitizeFilename('e\u0301t\u00e9.txt')).toBe('\u00e9t\u00e9.txt'); // NFC
  });

  it('names what is left of nothing "file"', () => {
    for (const name of ['', '   ', '.', '..', '/', 'dir/', '\u0000']) expect(sanitizeFilename(name)).toBe('file');
  });

  it('shortens long names to the limit by code point, keeping the extension', () => {
    const long = sanitizeFilename(`${'x'.repeat(400)}.jpeg`);
    expect(long).toHaveLength(Limits.filenameMax);
    expect(long.endsWith('x.jpeg')).toBe(true);
    const emoji = sanitizeFilename('😀'.repeat(300));
    expect(Array.from(emoji)).toHaveLength(Limits.filenameMax);
    expect(emoji).toBe('😀'.repeat(Limits.filenameMax)); // no half surrogate pair at the end
  });
});

describe('declaredContentType', () => {
  it('keeps a well-formed type, lowercased, without parameters', () => {
    expect(declaredContentType('Text/Plain; charset=UTF-8')).toBe('text/plain');
    expect(declaredContentType('application/vnd.openxmlformats-officedocument.wordprocessingml.document')).toBe('application/vnd.openxmlformats-officedocument.wordprocessingml.document');
  });

  it('turns missing, malformed and unverified image types into application/octet-stream', () => {
    for (const type of ['', 'nonsense', 'text/', '/plain', 'text/plain\r\nx-evil: 1', 'image/png', 'image/JPEG', 'image/gif', 'image/webp']) {
      expect(declaredContentType(type)).toBe('application/octet-stream');
    }
    expect(declaredContentType('image/svg+xml')).toBe('image/svg+xml');
  });

  it('lets only plain media render inline', () => {
    expect(['image/png', 'video/mp4', 'audio/mpeg', 'audio/ogg', 'audio/wav'].every(isInlineType)).toBe(true);
    expect(['text/html', 'image/svg+xml', 'text/javascript', 'application/pdf', 'application/xhtml+xml', 'text/xml'].some(isInlineType)).toBe(false);
  });
});

describe('contentDisposition', () => {
  it('gives an ASCII fallback and the exact name in RFC 5987 form, so no name escapes the header', () => {
    expect(contentDisposition('attachment', 'a "b"\\c;d.txt')).toBe(`attachment; filename="a _b__c;d.txt"; filename*=UTF-8''a%20%22b%22%5Cc%3Bd.txt`);
    expect(contentDisposition('inline', "it's (1)*.png")).toBe(`inline; filename="it's (1)*.png"; filename*=UTF-8''it%27s%20%281%29%2A.png`);
    expect(contentDisposition('attachment', 'naïve 100%.txt')).toBe(`attachment; filename="na_ve 100_.txt"; filename*=UTF-8''na%C3%AFve%20100%25.txt`);
  });
});

describe('parseRange', () => {
  it('reads one range in each form', () => {
    expect(parseRange('bytes=0-99', 1000)).toEqual({ start: 0, end: 99 });
    expect(parseRange('bytes=900-', 1000)).toEqual({ start: 900, end: 999 });
    expect(parseRange('bytes=-100', 1000)).toEqual({ start: 900, end: 999 });
    expect(parseRange('bytes=990-2000', 1000)).toEqual({ start: 990, end: 999 });
    expect(parseRange('bytes=-5000', 1000)).toEqual({ start: 0, end: 999 });
  });

  it('serves the whole file for no range, several ranges or nonsense', () => {
    for (const header of [undefined, '', 'bytes=0-1,5-6', 'items=0-1', 'bytes=-', 'bytes=5-2', 'bytes=a-b']) expect(parseRange(header, 1000)).toBeNull();
  });

  it('refuses ranges past the end', () => {
    expect(parseRange('bytes=1000-', 1000)).toBe('unsatisfiable');
    expect(parseRange('bytes=-0', 1000)).toBe('unsatisfiable');
    expect(parseRange('bytes=0-', 0)).toBe('unsatisfiable');
  });
});
