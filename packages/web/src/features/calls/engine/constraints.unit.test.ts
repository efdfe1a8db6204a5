import { describe, expect, it } from 'vitest';
import { defaultVoiceSettings } from '../voiceSettings';
import { cameraConstraints, microphoneConstraints, shareConstraints, shareEncoding } from './constraints';

describe('media constraints', () => {
  it('asks the microphone for the chosen device and processing', () => {
    const settings = { ...defaultVoiceSettings(), inputDeviceId: 'mic-2', noiseSuppression: false };
    expect(microphoneConstraints(settings)).toEqual({ deviceId: { exact: 'mic-2' }, echoCancellation: true, noiseSuppression: false, autoGainControl: true });
    expect(microphoneConstraints(defaultVoiceSettings())).not.toHaveProperty('deviceId');
  });

  it('asks the camera for the chosen device at up to 720p', () => {
    expect(cameraConstraints({ videoDeviceId: 'cam' })).toMatchObject({ deviceId: { exact: 'cam' }, width: { max: 1280 }, height: { max: 720 } });
  });

  it('asks a screen capture for the chosen size and frame rate, or the source size', () => {
    expect(shareConstraints({ resolution: '1080p', frameRate: 15 })).toEqual({
      width: { ideal: 1920, max: 1920 },
      height: { ideal: 1080, max: 1080 },
      frameRate: { ideal: 15, max: 15 },
    });
    expect(shareConstraints({ resolution: 'source', frameRate: 60 })).toEqual({ frameRate: { ideal: 60, max: 60 } });
  });

  it('scales down a capture larger than the chosen size, never up', () => {
    expect(shareEncoding({ resolution: '720p', frameRate: 30 }, { width: 2560, height: 1440 }).scaleResolutionDownBy).toBe(2);
    expect(shareEncoding({ resolution: '720p', frameRate: 30 }, { width: 1280, height: 720 }).scaleResolutionDownBy).toBe(1);
    expect(shareEncoding({ resolution: '1080p', frameRate: 30 }, { width: 1280, height: 720 }).scaleResolutionDownBy).toBe(1);
    expect(shareEncoding({ resolution: 'source', frameRate: 5 }, { width: 3840, height: 2160 }).scaleResolutionDownBy).toBe(1);
  });

  it('caps the frame rate and gives more bits to more pixels, within bounds', () => {
    const small = shareEncoding({ resolution: '720p', frameRate: 5 }, { width: 1280, height: 720 });
    const large = shareEncoding({ resolution: '1080p', frameRate: 30 }, { width: 1920, height: 1080 });
    const huge = shareEncoding({ resolution: 'source', frameRate: 60 }, { width: 3840, height: 2160 });
    expect(small).toMatchObject({ maxFramerate: 5, maxBitrate: 1_000_000 });
    expect(large.maxBitrate).toBeGreaterThan(small.maxBitrate!);
    expect(huge.maxBitrate).toBe(8_000_000);
  });
});
