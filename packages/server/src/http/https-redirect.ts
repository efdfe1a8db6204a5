import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';

/**
 * The URL on the HTTPS port for a request that came in over plain HTTP: same host name (from
 * the Host header, without its port), same path and query. Null when the Host header is missing
 * or is not a host name: then there is nowhere sensible to send the client.
 */
export function httpsUrlFor(request: Pick<IncomingMessage, 'headers' | 'url'>, httpsPort: number): string | null {
  // host[:port], the host a name, an IPv4 address or a bracketed IPv6 address; nothing else.
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/.exec(request.headers.host ?? '');
  if (!match) return null;
  const hostname = match[1]!;
  // Origin-form targets only ("/path?query"); anything else (absolute-form, "*") goes to the root.
  const target = request.url?.startsWith('/') ? request.url : '/';
  return `https://${hostname}${httpsPort === 443 ? '' : `:${httpsPort}`}${target}`;
}

/**
 * A plain-HTTP listener that only redirects to HTTPS (HTTP_REDIRECT_PORT), so people who type the
 * address without https:// still arrive. 308 keeps the method and body, so an API client that
 * posted to http:// is not silently turned into a GET. Nothing is served over plain HTTP.
 */
export function startHttpsRedirect(options: { port: number; host: string; httpsPort: number }): Promise<Server> {
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const location = httpsUrlFor(request, options.httpsPort);
    if (!location) {
      response.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' }).end('Bad Request: no Host header to redirect with.\n');
      return;
    }
    response.writeHead(308, { location, 'content-type': 'text/plain; charset=utf-8', connection: 'close' }).end(`Moved to ${location}\n`);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
