import { reactive, watch } from 'vue';

/** Screen-share sizes the sharer can choose; "source" sends the captured size as is. */
export type ShareResolution = '720p' | '1080p' | 'source';
export type ShareFrameRate = 5 | 15 | 30 | 60;

/**
 * The user's voice and video choices, remembered per browser (devices differ between
 * machines, so they are not synced to the server). The call engine reads them when it opens
 * devices; the Voice & Video settings screen edits them.
 */
export interface VoiceSettings {
  /** deviceId of the microphone, camera and speaker; null follows the system default. */
  inputDeviceId: string | null;
  videoDeviceId: string | null;
  outputDeviceId: string | null;
  echoCancellation: boolean;
  noiseSuppression: boolean;
  autoGainControl: boolean;
  /** Voice activity sends whenever you speak; push-to-talk only while the key is held. */
  inputMode: 'voice_activity' | 'push_to_talk';
  /** KeyboardEvent.code of the push-to-talk key. */
  pushToTalkKey: string;
  /** Per-person playback volume in percent (0–200), by user ID; absent means 100. */
  userVolumes: Record<string, number>;
  /** Encrypt call media end to end (every participant must support it for a call to use it). */
  endToEndEncryption: boolean;
  shareResolution: ShareResolution;
  shareFrameRate: ShareFrameRate;
  /**
   * Send call media only through the instance's TURN server, never straight to peers: they
   * then never learn your IP address (calls need a TURN server for this).
   */
  relayOnly: boolean;
  /**
   * Receive others' cameras and screens. Off ("audio only", for a poor link): in a big call the
   * SFU then forwards nothing but their audio; in a small one video is simply not shown.
   */
  receiveVideo: boolean;
}

const STORAGE_KEY = 'parley.voice';

export const defaultVoiceSettings = (): VoiceSettings => ({
  inputDeviceId: null,
  videoDeviceId: null,
  outputDeviceId: null,
  echoCancellation: true,
  noiseSuppression: true,
  autoGainControl: true,
  inputMode: 'voice_activity',
  pushToTalkKey: 'KeyV',
  userVolumes: {},
  endToEndEncryption: true,
  shareResolution: '1080p',
  shareFrameRate: 30,
  relayOnly: false,
  receiveVideo: true,
});

function load(): VoiceSettings {
  try {
    const stored = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '{}') as Partial<VoiceSettings>;
    return { ...defaultVoiceSettings(), ...stored };
  } catch {
    return defaultVoiceSettings();
  }
}

export const voiceSettings = reactive<VoiceSettings>(load());

watch(voiceSettings, (value) => localStorage.setItem(STORAGE_KEY, JSON.stringify(value)), { deep: true });
