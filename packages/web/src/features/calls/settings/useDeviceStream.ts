import { onBeforeUnmount, ref } from 'vue';
import { mediaErrorMessage } from './useMediaDevices';

/**
 * The one camera or microphone stream of a device test: opening replaces the previous stream,
 * an open that finishes after a newer open (or a close) lets go of its device at once, and
 * leaving the screen closes it. `error` says in words why a device did not open.
 */
export function useDeviceStream() {
  const error = ref<string | null>(null);
  let stream: MediaStream | null = null;
  /** Bumped by every open and close, so an open that finishes late knows it is no longer wanted. */
  let generation = 0;

  async function open(constraints: MediaStreamConstraints): Promise<MediaStream | null> {
    const mine = ++generation;
    release();
    error.value = null;
    try {
      const opened = await navigator.mediaDevices.getUserMedia(constraints);
      if (mine !== generation) {
        stopTracks(opened);
        return null;
      }
      stream = opened;
      return opened;
    } catch (e) {
      if (mine === generation) error.value = mediaErrorMessage(e);
      return null;
    }
  }

  function release() {
    if (stream) stopTracks(stream);
    stream = null;
  }

  function close() {
    generation++;
    release();
  }

  onBeforeUnmount(close);
  return { error, open, close };
}

function stopTracks(stream: MediaStream) {
  for (const track of stream.getTracks()) track.stop();
}
