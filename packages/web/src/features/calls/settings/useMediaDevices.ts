import { onBeforeUnmount, onMounted, ref, shallowRef } from 'vue';

/**
 * The browser's cameras, microphones and speakers, kept current as devices are plugged in or
 * out (devicechange), and a way to ask for permission, after which the browser names them.
 */
export function useMediaDevices() {
  const supported = typeof navigator !== 'undefined' && !!navigator.mediaDevices?.enumerateDevices;
  const devices = shallowRef<MediaDeviceInfo[]>([]);
  /** Why permission was not given, in words a person can act on. */
  const permissionError = ref<string | null>(null);

  async function refresh(): Promise<void> {
    if (supported) devices.value = await navigator.mediaDevices.enumerateDevices();
  }

  /** Opens the microphone (and camera, if there is one) for a moment, only so the browser asks and names the devices. */
  async function askPermission(): Promise<void> {
    permissionError.value = null;
    const hasCamera = devices.value.some((d) => d.kind === 'videoinput');
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: hasCamera });
      for (const track of stream.getTracks()) track.stop();
    } catch (error) {
      permissionError.value = mediaErrorMessage(error);
    }
    await refresh();
  }

  const onDeviceChange = () => void refresh();
  onMounted(() => {
    if (!supported) return;
    navigator.mediaDevices.addEventListener('devicechange', onDeviceChange);
    void refresh();
  });
  onBeforeUnmount(() => {
    if (supported) navigator.mediaDevices.removeEventListener('devicechange', onDeviceChange);
  });

  return { supported, devices, permissionError, refresh, askPermission };
}

/** Whether this browser can play into a chosen speaker (HTMLMediaElement.setSinkId). */
export const canChooseSpeaker = typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype;

/** What went wrong opening a camera or microphone, in words a person can act on. */
export function mediaErrorMessage(error: unknown): string {
  const name = error instanceof DOMException ? error.name : '';
  if (name === 'NotAllowedError' || name === 'SecurityError') return 'Your browser blocks the camera and microphone for this site. Allow them in the site settings (the icon left of the address bar).';
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return 'That device is not connected. Choose another one.';
  if (name === 'NotReadableError' || name === 'AbortError') return 'The device is in use by another program, or the system does not let the browser use it.';
  return 'The device could not be opened.';
}
