import { afterEach, describe, expect, it } from 'vitest';
import { PushToTalkKey, isPushToTalkKey, transmits } from './pushToTalk';

describe('transmitting', () => {
  const base = { selfMute: false, selfDeaf: false, inputMode: 'voice_activity' as const, keyHeld: false };

  it('sends with voice activity unless muted or deafened', () => {
    expect(transmits(base)).toBe(true);
    expect(transmits({ ...base, selfMute: true })).toBe(false);
    expect(transmits({ ...base, selfDeaf: true })).toBe(false);
  });

  it('sends with push-to-talk only while the key is held', () => {
    expect(transmits({ ...base, inputMode: 'push_to_talk' })).toBe(false);
    expect(transmits({ ...base, inputMode: 'push_to_talk', keyHeld: true })).toBe(true);
    expect(transmits({ ...base, inputMode: 'push_to_talk', keyHeld: true, selfMute: true })).toBe(false);
  });
});

describe('the push-to-talk key', () => {
  let key: PushToTalkKey | null = null;
  afterEach(() => {
    key?.close();
    document.body.innerHTML = '';
  });

  it('leaves a typing key to a focused text field, but not a key that types nothing', () => {
    const input = document.createElement('input');
    const button = document.createElement('button');
    expect(isPushToTalkKey({ code: 'KeyV', key: 'v', target: input }, 'KeyV')).toBe(false);
    expect(isPushToTalkKey({ code: 'KeyV', key: 'v', target: button }, 'KeyV')).toBe(true);
    expect(isPushToTalkKey({ code: 'F13', key: 'F13', target: input }, 'F13')).toBe(true);
    expect(isPushToTalkKey({ code: 'KeyB', key: 'b', target: button }, 'KeyV')).toBe(false);
  });

  it('is held between keydown and keyup, and released when the window loses focus', () => {
    const changes: boolean[] = [];
    key = new PushToTalkKey(
      () => 'KeyV',
      (held) => changes.push(held),
    );
    window.dispatchEvent(new KeyboardEvent('keydown', { code: 'KeyV', key: 'v' }));
    window.dispatchEvent(new KeyboardEvent('keydown', { code: 'KeyV', key: 'v', repeat: true }));
    expect(key.held).toBe(true);
    window.dispatchEvent(new KeyboardEvent('keyup', { code: 'KeyV', key: 'v' }));
    window.dispatchEvent(new KeyboardEvent('keydown', { code: 'KeyV', key: 'v' }));
    window.dispatchEvent(new Event('blur'));
    expect(changes).toEqual([true, false, true, false]);
  });
});
