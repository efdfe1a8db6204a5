import { describe, expect, it } from 'vitest';
import { ACTIVE_SPEAKER_AFTER_MS, ActiveSpeaker } from './activeSpeaker';

describe('ActiveSpeaker', () => {
  it('takes someone who speaks a full second without pause, and keeps them until another does', () => {
    const active = new ActiveSpeaker();
    expect(active.update(new Set(['ada']), 0)).toBe(false);
    expect(active.update(new Set(['ada']), ACTIVE_SPEAKER_AFTER_MS - 1)).toBe(false);
    expect(active.update(new Set(['ada']), ACTIVE_SPEAKER_AFTER_MS)).toBe(true);
    expect(active.current).toBe('ada');
    // Ada falls silent: she stays the active speaker.
    expect(active.update(new Set(), 2_000)).toBe(false);
    expect(active.current).toBe('ada');
    // Bob speaks briefly (a cough), then for long enough.
    active.update(new Set(['bob']), 2_100);
    active.update(new Set(), 2_300);
    expect(active.current).toBe('ada');
    active.update(new Set(['bob']), 3_000);
    expect(active.update(new Set(['bob']), 3_000 + ACTIVE_SPEAKER_AFTER_MS)).toBe(true);
    expect(active.current).toBe('bob');
  });

  it('prefers whoever started speaking last when several qualify, and forgets who left', () => {
    const active = new ActiveSpeaker();
    active.update(new Set(['ada']), 0);
    active.update(new Set(['ada', 'bob']), 500);
    active.update(new Set(['ada', 'bob']), 1_600);
    expect(active.current).toBe('bob');
    active.forget('bob');
    expect(active.current).toBeNull();
    expect(active.update(new Set(['ada']), 1_700)).toBe(true);
    expect(active.current).toBe('ada');
  });
});
