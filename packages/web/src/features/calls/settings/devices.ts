/** A choice in a device picker: `id` null follows the system's default device. */
export interface DeviceOption {
  id: string | null;
  label: string;
}

const KIND_NAMES: Record<MediaDeviceKind, string> = { audioinput: 'Microphone', audiooutput: 'Speaker', videoinput: 'Camera' };

/**
 * The options of one device picker: "System default" first, then each device of that kind.
 * Browsers hide labels (and sometimes IDs) until the page may use a camera or microphone, so
 * unnamed devices get a numbered name. Chromium also lists virtual "default" and
 * "communications" entries that only repeat a real device: they are left out, since "System
 * default" already stands for them. A chosen device that is not plugged in stays listed, so the
 * picker shows the truth rather than silently switching.
 */
export function deviceOptions(devices: readonly MediaDeviceInfo[], kind: MediaDeviceKind, selected: string | null): DeviceOption[] {
  const options: DeviceOption[] = [{ id: null, label: 'System default' }];
  const seen = new Set<string>();
  for (const device of devices) {
    if (device.kind !== kind || !device.deviceId || device.deviceId === 'default' || device.deviceId === 'communications' || seen.has(device.deviceId)) continue;
    seen.add(device.deviceId);
    options.push({ id: device.deviceId, label: device.label || `${KIND_NAMES[kind]} ${options.length}` });
  }
  if (selected !== null && !seen.has(selected)) options.push({ id: selected, label: `${KIND_NAMES[kind]} not connected (chosen before)` });
  return options;
}

/** Whether the browser has told us device names yet (it does once a camera or microphone was allowed). */
export function devicesNamed(devices: readonly MediaDeviceInfo[]): boolean {
  return devices.some((d) => d.label !== '');
}
