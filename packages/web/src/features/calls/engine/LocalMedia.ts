import type { VoiceSettings } from '../voiceSettings';
import { type ShareQuality, cameraConstraints, microphoneConstraints, shareConstraints, shareEncoding } from './constraints';

/**
 * Our own devices during a call: the microphone (open for the whole call), the camera and a
 * screen capture (open while on). Switching a device opens the new one before the old one
 * stops, so the call never goes silent for longer than the swap.
 */
export class LocalMedia {
  microphone: MediaStreamTrack | null = null;
  camera: MediaStreamTrack | null = null;
  screen: MediaStreamTrack | null = null;
  shareEncoding: RTCRtpEncodingParameters | null = null;

  /** Opens (or reopens, after a device or processing change) the microphone; returns the old track to stop once replaced. */
  async openMicrophone(settings: VoiceSettings): Promise<MediaStreamTrack | null> {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: microphoneConstraints(settings) });
    const previous = this.microphone;
    this.microphone = stream.getAudioTracks()[0] ?? null;
    return previous;
  }

  async openCamera(settings: VoiceSettings): Promise<MediaStreamTrack | null> {
    const stream = await navigator.mediaDevices.getUserMedia({ video: cameraConstraints(settings) });
    const previous = this.camera;
    this.camera = stream.getVideoTracks()[0] ?? null;
    return previous;
  }

  /**
   * Asks the browser for a screen or window (its own picker) at the chosen quality. `onEnded`
   * runs when the person stops sharing from the browser's own "Stop sharing" bar.
   */
  async openScreen(quality: ShareQuality, onEnded: () => void): Promise<void> {
    const stream = await navigator.mediaDevices.getDisplayMedia({ video: shareConstraints(quality), audio: false });
    const track = stream.getVideoTracks()[0];
    if (!track) throw new Error('The browser shared no video');
    // Tells the encoder this is content to read: sharpness over smooth motion.
    track.contentHint = 'detail';
    track.addEventListener('ended', onEnded, { once: true });
    this.stopScreen();
    this.screen = track;
    const { width = 1920, height = 1080 } = track.getSettings();
    this.shareEncoding = shareEncoding(quality, { width, height });
  }

  stopCamera(): void {
    this.camera?.stop();
    this.camera = null;
  }

  stopScreen(): void {
    this.screen?.stop();
    this.screen = null;
    this.shareEncoding = null;
  }

  stopAll(): void {
    this.microphone?.stop();
    this.microphone = null;
    this.stopCamera();
    this.stopScreen();
  }
}
