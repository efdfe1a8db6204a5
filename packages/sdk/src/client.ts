import { routes } from '@parley/protocol';
import { ParleyCache } from './cache';
import { GatewayClient, type GatewayOptions } from './gateway';
import { RestClient } from './rest';

export interface ClientOptions {
  /** Where Parley runs: "https://chat.example.org", or "" in a page it serves. */
  baseUrl: string;
  token: string;
  intents?: number;
  WebSocket?: GatewayOptions['WebSocket'];
  backoff?: GatewayOptions['backoff'];
  /** Transport compression (see GatewayOptions); needs `inflater`. */
  compress?: boolean;
  inflater?: GatewayOptions['inflater'];
}

/** REST, gateway and cache together: what an app or bot built on Parley holds. */
export interface ParleyClient {
  rest: RestClient;
  gateway: GatewayClient;
  cache: ParleyCache;
}

/** Makes a client and connects its gateway (the URL comes from GET /api/v10/gateway). */
export async function connect(options: ClientOptions): Promise<ParleyClient> {
  const rest = new RestClient({ baseUrl: options.baseUrl, token: options.token });
  const { url } = await rest.request(routes.applications.gateway);
  const gateway = new GatewayClient({
    url,
    token: options.token,
    ...(options.intents !== undefined && { intents: options.intents }),
    ...(options.WebSocket && { WebSocket: options.WebSocket }),
    ...(options.backoff && { backoff: options.backoff }),
    ...(options.compress && { compress: true, inflater: options.inflater! }),
  });
  const cache = new ParleyCache(gateway);
  await gateway.connect();
  return { rest, gateway, cache };
}
