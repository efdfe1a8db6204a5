import { constants, createInflate } from 'node:zlib';
import { type ZlibDecoderFactory, type ZlibInflater, ZlibStreamReader } from './zlib-stream';

/** The gateway client's `inflater` in Node: `new GatewayClient({ …, compress: true, inflater: nodeZlibInflater })`. */
export const nodeZlibInflater: ZlibDecoderFactory = (onMessage, onError) => new ZlibStreamReader(nodeInflate(), onMessage, onError);

/**
 * `compress=zlib-stream` in Node (the terminal client, bots, tests): one node:zlib inflate
 * stream per connection. Its own entry point (`@parley/sdk/node-zlib`), so browser bundles never
 * see node:zlib. node:zlib inflates on its thread pool: each message's bytes come back through
 * the write's callback, after the stream has emitted them, and writes are answered in order.
 * Corrupt input destroys the stream without calling back: every waiting call is failed then.
 */
export function nodeInflate(): ZlibInflater {
  const inflate = createInflate({ flush: constants.Z_SYNC_FLUSH });
  let output: Buffer[] = [];
  let failure: Error | null = null;
  const waiting = new Set<(error: Error) => void>();
  inflate.on('data', (chunk: Buffer) => output.push(chunk));
  inflate.on('error', (error) => {
    failure ??= error;
    for (const fail of waiting) fail(error);
    waiting.clear();
  });
  return {
    inflate: (compressed) =>
      new Promise((resolve, reject) => {
        if (failure) return reject(failure);
        waiting.add(reject);
        inflate.write(compressed, (error) => {
          waiting.delete(reject);
          const inflated = output.length === 1 ? output[0]! : Buffer.concat(output);
          output = [];
          if (error || failure) reject(error ?? failure);
          else resolve(inflated);
        });
      }),
    close: () => inflate.destroy(),
  };
}
