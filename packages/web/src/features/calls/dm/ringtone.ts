/**
 * The incoming-call ringtone, synthesised with WebAudio (no sound file to download): a soft
 * two-note chime every 2.5 s. A browser that refuses to play sound before the page was
 * clicked (autoplay policy) leaves it silent; the prompt on screen still says who is calling.
 */
const PERIOD_S = 2.5;
const NOTES_HZ = [660, 880];
const NOTE_S = 0.35;
/** Ringing ends after 30 s on the server; never ring longer than this, whatever happens. */
const MAX_RINGS = 16;

export class Ringtone {
  private context: AudioContext | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;

  get playing(): boolean {
    return this.timer !== null;
  }

  start(): void {
    if (this.timer !== null || typeof AudioContext === 'undefined') return;
    try {
      this.context = new AudioContext();
    } catch {
      return;
    }
    void this.context.resume().catch(() => undefined);
    let rings = 0;
    const ring = () => {
      if (++rings > MAX_RINGS) return this.stop();
      this.chime();
    };
    ring();
    this.timer = setInterval(ring, PERIOD_S * 1000);
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    void this.context?.close().catch(() => undefined);
    this.context = null;
  }

  private chime(): void {
    const context = this.context;
    if (!context || context.state !== 'running') return;
    NOTES_HZ.forEach((frequency, i) => {
      const start = context.currentTime + i * NOTE_S;
      const oscillator = context.createOscillator();
      const gain = context.createGain();
      oscillator.type = 'sine';
      oscillator.frequency.value = frequency;
      // A quick rise and a gentle fade: no clicks, nothing harsh.
      gain.gain.setValueAtTime(0, start);
      gain.gain.linearRampToValueAtTime(0.2, start + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.001, start + NOTE_S);
      oscillator.connect(gain).connect(context.destination);
      oscillator.start(start);
      oscillator.stop(start + NOTE_S);
    });
  }
}
