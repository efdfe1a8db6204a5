import { constants } from 'node:zlib';
import compress from '@fastify/compress';
import type { FastifyInstance } from 'fastify';

/**
 * Compresses responses for clients that accept it (brotli, else gzip): API answers such as a
 * page of history shrink several times, which is what makes a 56 kbit/s link usable, and so do
 * the web client's scripts. Only compressible types (JSON, text, scripts: mime-db's list) over
 * 1 KiB; images and videos go as they are.
 *
 * BREACH does not apply to the API: a session travels in the Authorization header, which a
 * cross-site page cannot make the browser send, so an attacker cannot observe the size of a
 * response that mixes a secret with text they chose.
 */
export async function installCompression(app: FastifyInstance): Promise<void> {
  await app.register(compress, {
    global: true,
    threshold: 1024,
    encodings: ['br', 'gzip'],
    // Quality 4: most of brotli's gain for a fraction of its default (11) CPU, done per request.
    brotliOptions: { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } },
    zlibOptions: { level: 6 },
  });
}
