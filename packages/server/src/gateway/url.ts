import type { IncomingMessage } from 'node:http';

/** The path the WebSocket gateway listens on. */
export const GATEWAY_PATH = '/gateway';

/**
 * The gateway's address as the client reached this server: PUBLIC_URL when set (behind a
 * proxy), else the Host the request came to. A leaf module, so features (gateway discovery)
 * can use it without importing the gateway, which imports them.
 */
export function gatewayUrl(request: Pick<IncomingMessage, 'headers' | 'socket'>, publicUrl: string | null): string {
  if (publicUrl) return `${publicUrl.replace(/^http/, 'ws')}${GATEWAY_PATH}`;
  const secure = (request.socket as { encrypted?: boolean }).encrypted === true;
  return `${secure ? 'wss' : 'ws'}://${request.headers.host ?? 'localhost'}${GATEWAY_PATH}`;
}
