import { routes } from '@parley/protocol';
import { ParleyApiError } from '@parley/sdk';
import { api } from '../../api';

/**
 * The instance's STUN/TURN servers, for calls and peer-to-peer files. None when it has none,
 * or cannot say (a server without the route, a failed request): peers on one network still
 * connect directly.
 */
export async function iceServers(): Promise<RTCIceServer[]> {
  try {
    const { ice_servers } = await api.request(routes.calls.iceServers);
    return ice_servers;
  } catch (error) {
    if (!(error instanceof ParleyApiError && error.status === 404)) console.warn('No ICE servers', error);
    return [];
  }
}
