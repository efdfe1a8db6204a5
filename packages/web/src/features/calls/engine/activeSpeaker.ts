/** How long someone must speak without pause to become the active speaker (a cough or a beep does not). */
export const ACTIVE_SPEAKER_AFTER_MS = 1_000;

/**
 * Who the call shows large (and receives at the SFU's full layer): the last person to speak for a
 * full second without pause. They stay until someone else does, so short sounds do not make
 * the big picture (and its bandwidth) jump around.
 */
export class ActiveSpeaker<Id extends string = string> {
  current: Id | null = null;
  private readonly since = new Map<Id, number>();

  /** Who speaks now (ourselves excluded); returns true when the active speaker changed. */
  update(speaking: ReadonlySet<Id>, now: number): boolean {
    for (const id of [...this.since.keys()]) if (!speaking.has(id)) this.since.delete(id);
    for (const id of speaking) if (!this.since.has(id)) this.since.set(id, now);
    let next: Id | null = null;
    let latest = -Infinity;
    for (const [id, start] of this.since) {
      if (now - start < ACTIVE_SPEAKER_AFTER_MS || start <= latest) continue;
      next = id;
      latest = start;
    }
    if (next === null || next === this.current) return false;
    this.current = next;
    return true;
  }

  /** Someone left the call: they are nobody's active speaker any more. */
  forget(id: Id): void {
    this.since.delete(id);
    if (this.current === id) this.current = null;
  }
}
