import type { FastifyInstance } from 'fastify';

/**
 * The web client loads nothing from elsewhere and runs no inline script, so the policy can be
 * strict: a stored-XSS bug in rendered content still cannot run script or send data out.
 * Exported for the call-encryption e2e spec, which serves its test page under this policy.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  // 'wasm-unsafe-eval' lets libsodium (call encryption) compile its WebAssembly; it allows no JavaScript eval.
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "font-src 'self'",
  // The service worker (/sw.js), the call-encryption worker and the PWA manifest; default-src says the same, this says it on purpose.
  "worker-src 'self'",
  "manifest-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Security headers on every response. The API docs page sets its own CSP, and so may any
 * response that needs a stricter one (downloads are sandboxed): theirs is kept.
 */
export function installSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
    reply.header('cross-origin-opener-policy', 'same-origin');
    if (!request.url.startsWith('/api/docs') && !reply.hasHeader('content-security-policy')) reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
  });
}
