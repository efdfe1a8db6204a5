import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Answers a not-found page request with the client's index.html; null when it is not a page request. */
export type PageFallback = (request: FastifyRequest, reply: FastifyReply) => FastifyReply | null;

/**
 * Serves the built web client, from the build's compressed copies where the client takes them.
 * Hashed assets are cached for a year; index.html never, so a deploy is picked up on the next
 * load. Unknown page paths get index.html (client-side routes). Returns the fallback for the
 * not-found handler, or null when there is no built client.
 */
export async function installWebClient(app: FastifyInstance, webDir: string | null): Promise<PageFallback | null> {
  if (!webDir || !fs.existsSync(path.join(webDir, 'index.html'))) {
    app.log.warn({ webDir }, 'web client not built (run `npm run build`); serving the API only');
    return null;
  }
  await app.register(fastifyStatic, {
    root: webDir,
    wildcard: false,
    index: false,
    // The build writes .br and .gz copies (packages/web/vite.config.ts): sent as they are, not
    // compressed again per request.
    preCompressed: true,
    setHeaders: (reply, filePath) => {
      const immutable = filePath.includes(`${path.sep}assets${path.sep}`);
      reply.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  app.get('/', (_request, reply) => sendIndex(reply));
  return (request, reply) => {
    const isPage =
      (request.method === 'GET' || request.method === 'HEAD') && !request.url.startsWith('/api/') && !request.url.startsWith('/cdn/') && (request.headers.accept ?? '').includes('text/html');
    return isPage ? sendIndex(reply) : null;
  };
}

function sendIndex(reply: FastifyReply) {
  return reply.header('cache-control', 'no-cache').sendFile('index.html');
}
