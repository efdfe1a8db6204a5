import { constants, createDeflate } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { nodeInflate } from './node-zlib';
import { splitPayloads, ZlibStreamReader } from './zlib-stream';

/** What a zlib-stream server sends: each payload deflated in one context and sync-flushed. */
async function compressAll(payloads: string[]): Promise<Buffer[]> {
  const deflate = createDeflate({ flush: constants.Z_SYNC_FLUSH });
  let output: Buffer[] = [];
  deflate.on('data', (chunk: Buffer) => output.push(chunk));
  const messages: Buffer[] = [];
  for (const payload of payloads) {
    await new Promise<void>((resolve) => deflate.write(payload, () => resolve()));
    messages.push(Buffer.concat(output));
    output = [];
  }
  deflate.destroy();
  return messages;
}

function read(): { reader: ZlibStreamReader; texts: string[]; errors: unknown[] } {
  const texts: string[] = [];
  const errors: unknown[] = [];
  const reader = new ZlibStreamReader(
    nodeInflate(),
    (text) => texts.push(text),
    (error) => errors.push(error),
  );
  return { reader, texts, errors };
}

const payloads = Array.from({ length: 30 }, (_, i) => JSON.stringify({ op: 0, t: 'MESSAGE_CREATE', s: i + 1, d: { content: `message ${i} {"quoted"} \\ ${'ü'.repeat(i)}`, n: i } }));

describe('ZlibStreamReader', () => {
  it('inflates one message per frame, in order, through one context', async () => {
    const messages = await compressAll(payloads);
    for (const m of messages) expect([...m.subarray(-4)]).toEqual([0, 0, 0xff, 0xff]);
    const { reader, texts, errors } = read();
    for (const m of messages) reader.push(m);
    await reader.settled();
    expect(errors).toEqual([]);
    expect(texts).toEqual(payloads);
    reader.close();
  });

  it('waits for the rest of a message split across frames, even inside its 00 00 ff ff', async () => {
    const messages = await compressAll(payloads);
    const { reader, texts } = read();
    for (const [n, m] of messages.entries()) {
      // Byte by byte, then in pieces of varying size: the suffix itself gets cut everywhere.
      const step = (n % 5) + 1;
      for (let i = 0; i < m.length; i += step) {
        reader.push(m.subarray(i, i + step));
        if (i + step < m.length) {
          await reader.settled();
          expect(texts).toHaveLength(n); // nothing until its last byte
        }
      }
    }
    await reader.settled();
    expect(texts).toEqual(payloads);
  });

  it('hands on each message of a frame holding several, in order', async () => {
    const messages = await compressAll(payloads);
    const { reader, texts } = read();
    reader.push(Buffer.concat(messages.slice(0, 3)));
    reader.push(messages[3]!);
    reader.push(Buffer.concat(messages.slice(4)));
    await reader.settled();
    expect(texts).toEqual(payloads);
  });

  it('stops at data it cannot inflate and reports it once', async () => {
    const messages = await compressAll(payloads.slice(0, 3));
    const { reader, texts, errors } = read();
    reader.push(messages[0]!);
    reader.push(Buffer.from([0xde, 0xad, 0xbe, 0xef, 0, 0, 0xff, 0xff]));
    reader.push(messages[1]!);
    await reader.settled();
    expect(texts).toEqual([payloads[0]]);
    expect(errors).toHaveLength(1);
  });
});

describe('splitPayloads', () => {
  it('cuts back-to-back JSON objects where each closes, not inside strings', () => {
    expect(splitPayloads('{"a":"}{"}')).toEqual(['{"a":"}{"}']);
    expect(splitPayloads('{"a":"\\"}"}{"b":[1,{"c":2}]}')).toEqual(['{"a":"\\"}"}', '{"b":[1,{"c":2}]}']);
  });
});
