import type { DeviceStore, SavedDevice } from '@parley/sdk/e2ee';
import { sealedTable } from './sealedStorage';

/** This browser's encryption device for one account, sealed at rest in IndexedDB. */
export function browserDeviceStore(userId: string): DeviceStore & { forget(): Promise<void> } {
  const devices = sealedTable<SavedDevice>('parley-e2ee', 'devices');
  return {
    load: () => devices.get(userId),
    save: (device) => devices.put(userId, device),
    forget: () => devices.delete(userId),
  };
}
