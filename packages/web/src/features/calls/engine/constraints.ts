import type { ShareFrameRate, ShareResolution, VoiceSettings } from '../voiceSettings';

/** What we ask of the microphone: the chosen device and the user's processing toggles. */
export function microphoneConstraints(settings: Pick<VoiceSettings, 'inputDeviceId' | 'echoCancellation' | 'noiseSuppression' | 'autoGainControl'>): MediaTrackConstraints {
  return {
    ...(settings.inputDeviceId && { deviceId: { exact: settings.inputDeviceId } }),
    echoCancellation: settings.echoCancellation,
    noiseSuppression: settings.noiseSuppression,
    autoGainControl: settings.autoGainControl,
  };
}

/** The camera: the chosen device, at most 720p (a mesh sends it to everyone; more rarely helps). */
export function cameraConstraints(settings: Pick<VoiceSettings, 'videoDeviceId'>): MediaTrackConstraints {
  return {
    ...(settings.videoDeviceId && { deviceId: { exact: settings.videoDeviceId } }),
    width: { ideal: 1280, max: 1280 },
    height: { ideal: 720, max: 720 },
    frameRate: { ideal: 30, max: 30 },
  };
}

export interface ShareQuality {
  resolution: ShareResolution;
  frameRate: ShareFrameRate;
}

const SHARE_SIZES: Record<Exclude<ShareResolution, 'source'>, { width: number; height: number }> = {
  '720p': { width: 1280, height: 720 },
  '1080p': { width: 1920, height: 1080 },
};

/** Bits per second we allow a share to use: text must stay sharp, so generous, scaled by pixels and frame rate. */
const BITS_PER_PIXEL_FRAME = 0.08;
const MIN_SHARE_BITRATE = 1_000_000;
const MAX_SHARE_BITRATE = 8_000_000;

/**
 * getDisplayMedia constraints for a share. A size asks the browser to scale the capture to
 * fit it (keeping the aspect ratio); "source" sends the captured size as it is.
 */
export function shareConstraints(quality: ShareQuality): MediaTrackConstraints {
  const frameRate = { ideal: quality.frameRate, max: quality.frameRate };
  if (quality.resolution === 'source') return { frameRate };
  const size = SHARE_SIZES[quality.resolution];
  return { width: { ideal: size.width, max: size.width }, height: { ideal: size.height, max: size.height }, frameRate };
}

/**
 * Encoder settings for a share, from the size actually captured: scale down whatever the
 * browser captured beyond the chosen size, cap the frame rate, and allow enough bits that the
 * encoder does not shrink the picture to save bandwidth (with degradationPreference
 * "maintain-resolution" it drops frames instead, which is what a viewer reading text wants).
 */
export function shareEncoding(quality: ShareQuality, captured: { width: number; height: number }): RTCRtpEncodingParameters {
  const target = quality.resolution === 'source' ? captured : SHARE_SIZES[quality.resolution];
  const scale = Math.max(1, captured.width / target.width, captured.height / target.height);
  const pixels = (captured.width / scale) * (captured.height / scale);
  const bitrate = Math.round(Math.min(MAX_SHARE_BITRATE, Math.max(MIN_SHARE_BITRATE, pixels * quality.frameRate * BITS_PER_PIXEL_FRAME)));
  return { active: true, maxFramerate: quality.frameRate, scaleResolutionDownBy: scale, maxBitrate: bitrate };
}

/**
 * Screens are for reading: a share's sender keeps the chosen resolution (dropping frames rather
 * than shrinking the picture when bandwidth is short) at the chosen frame rate and bitrate.
 * For a sender that is negotiated and carries a track (a mesh link's, or the SFU publisher's).
 */
export async function keepShareQuality(sender: RTCRtpSender, encoding: RTCRtpEncodingParameters): Promise<void> {
  const parameters = sender.getParameters();
  if (!parameters.encodings.length) return;
  parameters.encodings = parameters.encodings.map((e) => ({ ...e, ...encoding }));
  (parameters as RTCRtpSendParameters & { degradationPreference?: string }).degradationPreference = 'maintain-resolution';
  await sender.setParameters(parameters).catch((error: unknown) => console.warn('Call: could not apply the screen share quality', error));
}
