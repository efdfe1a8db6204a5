import { peakRms } from './speaking';

interface Voice {
  /** Chromium plays a remote WebRTC stream through WebAudio only while a media element also consumes it. */
  element: HTMLAudioElement;
  source: MediaStreamAudioSourceNode;
  /** Closed (0) while a moderator has server-muted them: nothing of theirs is played or measured. */
  gate: GainNode;
  gain: GainNode;
  analyser: AnalyserNode;
}

/**
 * Everyone's voice, through one AudioContext: a gain per person (0–200 %: an audio element
 * stops at 100 %), a master gain for deafen, the chosen speaker (AudioContext.setSinkId), and
 * an analyser per person for the speaking ring (measured before the volume, so turning
 * someone down does not hide that they speak). Our own microphone gets an analyser too.
 * A person who is server-muted is blocked: a gate before everything else closes, so a client
 * modified to keep sending is still not heard (and shows no speaking ring).
 */
export class AudioOut {
  readonly context = new AudioContext({ latencyHint: 'interactive' });
  private readonly master = this.context.createGain();
  private readonly voices = new Map<string, Voice>();
  private readonly blocked = new Set<string>();
  private local: { source: MediaStreamAudioSourceNode; analyser: AnalyserNode } | null = null;
  /** 8,192 samples: 170 ms at 48 kHz, more than the 100 ms between two polls of the levels. */
  private readonly buffer = new Float32Array(8192);

  constructor() {
    this.master.connect(this.context.destination);
    // Created during the click that joined, so the browser lets it play.
    void this.context.resume();
  }

  /** Plays a person's audio track (replacing an earlier one of theirs) at their volume. */
  play(userId: string, track: MediaStreamTrack, volumePercent: number): void {
    this.stop(userId);
    const stream = new MediaStream([track]);
    const element = new Audio();
    element.muted = true;
    element.srcObject = stream;
    void element.play().catch(() => undefined);
    const source = this.context.createMediaStreamSource(stream);
    const gate = this.context.createGain();
    gate.gain.value = this.blocked.has(userId) ? 0 : 1;
    const gain = this.context.createGain();
    gain.gain.value = volumePercent / 100;
    const analyser = this.analyser();
    source.connect(gate);
    gate.connect(analyser);
    gate.connect(gain).connect(this.master);
    this.voices.set(userId, { element, source, gate, gain, analyser });
  }

  stop(userId: string): void {
    const voice = this.voices.get(userId);
    if (!voice) return;
    voice.source.disconnect();
    voice.gate.disconnect();
    voice.gain.disconnect();
    voice.element.srcObject = null;
    this.voices.delete(userId);
  }

  setVolume(userId: string, percent: number): void {
    const voice = this.voices.get(userId);
    if (voice) voice.gain.gain.value = percent / 100;
  }

  /** Blocks (server mute) or unblocks a person's audio, now and for any later track of theirs. */
  setBlocked(userId: string, blocked: boolean): void {
    if (blocked) this.blocked.add(userId);
    else this.blocked.delete(userId);
    const voice = this.voices.get(userId);
    if (voice) voice.gate.gain.value = blocked ? 0 : 1;
  }

  /** Deafened: nobody is heard (the graph keeps running, so speaking rings still show). */
  setDeafened(deafened: boolean): void {
    this.master.gain.value = deafened ? 0 : 1;
  }

  /** The speaker to play through (null: the system default). */
  async setSink(deviceId: string | null): Promise<void> {
    const context = this.context as AudioContext & { setSinkId?: (id: string) => Promise<void> };
    if (!context.setSinkId) return;
    try {
      await context.setSinkId(deviceId ?? '');
    } catch (error) {
      console.warn('Call: could not switch the speaker', error);
    }
  }

  /** Measures our own microphone (not played back). */
  listenToMicrophone(track: MediaStreamTrack | null): void {
    this.local?.source.disconnect();
    this.local = null;
    if (!track) return;
    const source = this.context.createMediaStreamSource(new MediaStream([track]));
    const analyser = this.analyser();
    source.connect(analyser);
    this.local = { source, analyser };
  }

  /** Current levels (RMS, 0–1) of our microphone (key "me") and of each person. */
  levels(): Map<string, number> {
    const levels = new Map<string, number>();
    if (this.local) levels.set('me', this.level(this.local.analyser));
    for (const [userId, voice] of this.voices) levels.set(userId, this.level(voice.analyser));
    return levels;
  }

  close(): void {
    for (const userId of [...this.voices.keys()]) this.stop(userId);
    this.listenToMicrophone(null);
    void this.context.close();
  }

  private analyser(): AnalyserNode {
    const analyser = this.context.createAnalyser();
    analyser.fftSize = this.buffer.length;
    return analyser;
  }

  private level(analyser: AnalyserNode): number {
    analyser.getFloatTimeDomainData(this.buffer);
    // About 10 ms blocks, the scale of a syllable's loudest moment.
    return peakRms(this.buffer, 512);
  }
}
