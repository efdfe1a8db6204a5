import type { VoiceSettings } from '../voiceSettings';

/** getUserMedia's audio constraints for the chosen microphone and voice processing. */
export function microphoneConstraints(settings: VoiceSettings): MediaTrackConstraints {
  return {
    ...(settings.inputDeviceId && { deviceId: { exact: settings.inputDeviceId } }),
    echoCancellation: settings.echoCancellation,
    noiseSuppression: settings.noiseSuppression,
    autoGainControl: settings.autoGainControl,
  };
}

/** getUserMedia's video constraints for the chosen camera. */
export function cameraConstraints(settings: VoiceSettings): MediaTrackConstraints {
  return settings.videoDeviceId ? { deviceId: { exact: settings.videoDeviceId } } : {};
}

/** Whether this browser can play into a chosen speaker (HTMLMediaElement.setSinkId). */
export const canChooseSpeaker = typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype;
