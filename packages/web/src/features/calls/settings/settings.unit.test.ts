import { describe, expect, it } from 'vitest';
import { deviceOptions, devicesNamed } from './devices';
import { keyLabel, recordedKey } from './keys';
import { meterLevel } from './level';

const device = (kind: MediaDeviceKind, deviceId: string, label = '') => ({ kind, deviceId, label, groupId: 'g' }) as MediaDeviceInfo;

describe('device pickers', () => {
  it('list each device of their kind after "System default", without Chromium\'s virtual entries', () => {
    const devices = [
      device('audioinput', 'default', 'Default - Headset'),
      device('audioinput', 'communications', 'Communications - Headset'),
      device('audioinput', 'a1', 'Headset'),
      device('audioinput', 'a2', 'Webcam microphone'),
      device('videoinput', 'v1', 'Webcam'),
      device('audiooutput', 'o1', 'Speakers'),
    ];
    expect(deviceOptions(devices, 'audioinput', null)).toEqual([
      { id: null, label: 'System default' },
      { id: 'a1', label: 'Headset' },
      { id: 'a2', label: 'Webcam microphone' },
    ]);
    expect(deviceOptions(devices, 'videoinput', null).map((o) => o.label)).toEqual(['System default', 'Webcam']);
    expect(deviceOptions(devices, 'audiooutput', 'o1').map((o) => o.id)).toEqual([null, 'o1']);
  });

  it('number devices the browser has not named yet, and skip those without an ID', () => {
    const devices = [device('audioinput', ''), device('videoinput', 'v1'), device('videoinput', 'v2'), device('videoinput', 'v2')];
    expect(deviceOptions(devices, 'audioinput', null)).toEqual([{ id: null, label: 'System default' }]);
    expect(deviceOptions(devices, 'videoinput', null).map((o) => o.label)).toEqual(['System default', 'Camera 1', 'Camera 2']);
    expect(devicesNamed(devices)).toBe(false);
    expect(devicesNamed([device('videoinput', 'v1', 'Webcam')])).toBe(true);
  });

  it('keep a chosen device that is unplugged, saying so', () => {
    expect(deviceOptions([device('audioinput', 'a1', 'Headset')], 'audioinput', 'gone').at(-1)).toEqual({ id: 'gone', label: 'Microphone not connected (chosen before)' });
  });
});

describe('push-to-talk keys', () => {
  it('are shown by a readable name', () => {
    expect(keyLabel('KeyV')).toBe('V');
    expect(keyLabel('Digit7')).toBe('7');
    expect(keyLabel('Space')).toBe('Space');
    expect(keyLabel('ControlLeft')).toBe('Left Ctrl');
    expect(keyLabel('ShiftRight')).toBe('Right Shift');
    expect(keyLabel('ArrowUp')).toBe('Up Arrow');
    expect(keyLabel('Numpad5')).toBe('Numpad 5');
    expect(keyLabel('Backquote')).toBe('`');
    expect(keyLabel('F13')).toBe('F13');
    expect(keyLabel('MediaPlayPause')).toBe('Media Play Pause');
  });

  it('are recorded from the next key, except Escape (cancels) and Tab (moves focus)', () => {
    expect(recordedKey({ code: 'KeyB', key: 'b' })).toEqual({ action: 'record', code: 'KeyB' });
    expect(recordedKey({ code: 'ControlRight', key: 'Control' })).toEqual({ action: 'record', code: 'ControlRight' });
    expect(recordedKey({ code: 'Escape', key: 'Escape' })).toEqual({ action: 'cancel' });
    expect(recordedKey({ code: 'Tab', key: 'Tab' })).toEqual({ action: 'ignore' });
    expect(recordedKey({ code: '', key: 'Unidentified' })).toEqual({ action: 'ignore' });
  });
});

describe('the microphone meter', () => {
  const sine = (amplitude: number) => Float32Array.from({ length: 1024 }, (_, i) => amplitude * Math.sin((2 * Math.PI * i) / 64));

  it('reads 0 for silence and for sound under the floor', () => {
    expect(meterLevel(new Float32Array(1024))).toBe(0);
    expect(meterLevel(new Float32Array(0))).toBe(0);
    expect(meterLevel(sine(0.0001))).toBe(0);
  });

  it('rises with loudness in decibels, capped at 1', () => {
    // A full-scale sine has an RMS of 1/√2 (-3 dBFS); one at a tenth of that is 20 dB quieter.
    expect(meterLevel(sine(1))).toBeCloseTo(0.95, 2);
    expect(meterLevel(sine(0.1))).toBeCloseTo(0.62, 2);
    expect(meterLevel(new Float32Array(1024).fill(1))).toBe(1);
    expect(meterLevel(sine(0.5))).toBeGreaterThan(meterLevel(sine(0.1)));
  });
});
