import type { Snowflake } from '@parley/protocol';
import { e2eeRoutes } from '@parley/protocol/e2ee';
import { type E2eeEventSource, EncryptedConversations, LocalSearch, type LocalSearchQuery, type SearchEventSource } from '@parley/sdk/e2ee';
import { api } from '../../api';
import { browserDeviceStore } from './deviceStore';
import { browserSearchIndexStore } from './searchIndexStore';

/*
 * The encryption engine (MLS, libsodium): loaded once the gateway is ready, never with the
 * first screen.
 */

/** What the device list shows for this browser, e.g. "Chrome on Linux". */
function deviceName(): string {
  const agent = navigator.userAgent;
  const browser = /Firefox\//.test(agent) ? 'Firefox' : /Edg\//.test(agent) ? 'Edge' : /Chrom(e|ium)\//.test(agent) ? 'Chrome' : /Safari\//.test(agent) ? 'Safari' : 'Browser';
  const system = /Android/.test(agent)
    ? 'Android'
    : /iPhone|iPad/.test(agent)
      ? 'iOS'
      : /Mac OS/.test(agent)
        ? 'macOS'
        : /Windows/.test(agent)
          ? 'Windows'
          : /Linux/.test(agent)
            ? 'Linux'
            : 'this computer';
  return `${browser} on ${system}`;
}

/** Each running engine's search of this browser's indexes. */
const searches = new WeakMap<EncryptedConversations, LocalSearch>();

/**
 * Starts the engine once this page holds the device's lock. One device's MLS state must have
 * one writer: a page being replaced (a reload, a navigation) or a second tab would otherwise
 * save over each other's groups. The lock goes with the page; a second tab waits for it.
 */
export function startEngine(userId: Snowflake, events: E2eeEventSource & SearchEventSource): Promise<EncryptedConversations> {
  return new Promise((resolve, reject) => {
    void navigator.locks
      .request(`parley-e2ee-device-${userId}`, async () => {
        const engine = await EncryptedConversations.start({ rest: api, events, userId, store: browserDeviceStore(userId), deviceName: deviceName() });
        // Edits and deletions reach the search indexes from now on, searched or not yet.
        const search = new LocalSearch(api, engine, browserSearchIndexStore(userId));
        searches.set(engine, search);
        const unfollow = search.follow(events);
        resolve(engine);
        // Held until the engine is closed (sign-out) or the page goes.
        await new Promise<void>((release) => engine.on('closed', release));
        unfollow();
      })
      .catch(reject);
  });
}

/** Signing out: this browser's device leaves the account, and its keys and search indexes leave the browser. */
export async function forgetDevice(userId: Snowflake, engine: EncryptedConversations | null): Promise<void> {
  engine?.close();
  if (engine) await api.request(e2eeRoutes.removeDevice, { params: { device_id: engine.device.deviceId } }).catch(() => undefined);
  await browserDeviceStore(userId).forget();
  await browserSearchIndexStore(userId).forget();
}

/** Searches an encrypted conversation on this device (its index kept sealed in this browser). */
export function searchEncrypted(engine: EncryptedConversations, channelId: Snowflake, query: LocalSearchQuery) {
  return searches.get(engine)!.search(channelId, query);
}
