import type { VoiceSettings } from '../voiceSettings';

/**
 * Whether our microphone goes out. Muted or deafened: never. Push-to-talk: only while the key
 * is held. Voice activity: always (the speaking ring shows when it carries speech).
 */
export function transmits(state: { selfMute: boolean; selfDeaf: boolean; inputMode: VoiceSettings['inputMode']; keyHeld: boolean }): boolean {
  if (state.selfMute || state.selfDeaf) return false;
  return state.inputMode === 'voice_activity' || state.keyHeld;
}

/**
 * Whether a key event is the push-to-talk key. Like Discord in a browser, it works wherever
 * focus is in the page, with one exception: a key that types a character (the default, V) is
 * left to a text field that has focus, so writing a message never opens the microphone. Keys
 * that type nothing (F-keys, Control, CapsLock…) work everywhere.
 */
export function isPushToTalkKey(event: Pick<KeyboardEvent, 'code' | 'key' | 'target'>, pushToTalkKey: string): boolean {
  if (event.code !== pushToTalkKey) return false;
  return event.key.length !== 1 || !isTextEntry(event.target);
}

function isTextEntry(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  return target instanceof HTMLInputElement && !['button', 'checkbox', 'radio', 'range', 'submit', 'reset', 'color', 'file'].includes(target.type);
}

/**
 * Tracks whether the push-to-talk key is held, from keydown/keyup on the window. Losing focus
 * releases it: the keyup would never arrive and the microphone would stay open.
 */
export class PushToTalkKey {
  held = false;
  private readonly cleanups: (() => void)[] = [];

  constructor(
    private readonly key: () => string,
    private readonly changed: (held: boolean) => void,
  ) {
    const listen = <K extends keyof WindowEventMap>(name: K, handler: (event: WindowEventMap[K]) => void) => {
      window.addEventListener(name, handler, true);
      this.cleanups.push(() => window.removeEventListener(name, handler, true));
    };
    listen('keydown', (event) => {
      if (!event.repeat && isPushToTalkKey(event, this.key())) this.set(true);
    });
    listen('keyup', (event) => {
      if (event.code === this.key()) this.set(false);
    });
    listen('blur', () => this.set(false));
  }

  close(): void {
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }

  private set(held: boolean): void {
    if (held === this.held) return;
    this.held = held;
    this.changed(held);
  }
}
