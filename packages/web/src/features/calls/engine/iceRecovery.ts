/** Consecutive ICE restarts tried before a connection waits for the network to change again. */
const MAX_ICE_RESTARTS = 5;
/** How long a "disconnected" connection may recover by itself before ICE is restarted. */
const DISCONNECTED_GRACE_MS = 2_500;
/**
 * How long a connection may stay "connecting" before ICE is restarted: one that never gets
 * through (a check or handshake lost with nothing left to retry) is not always declared failed,
 * and would leave someone unheard for the rest of the call. Loaded machines take a few seconds.
 */
const CONNECTING_GRACE_MS = 20_000;

/**
 * When to restart ICE on one RTCPeerConnection (a mesh link, or either connection to the SFU):
 * at once when it failed, after a grace period when it stays disconnected or connecting, a few
 * times in a row at most; always after a network change, as the old paths may all be gone.
 */
export class IceRecovery {
  private restarts = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly pc: RTCPeerConnection,
    private readonly restart: () => void,
  ) {}

  /** Call on every connectionstatechange. */
  changed(): void {
    this.clearTimer();
    const state = this.pc.connectionState;
    if (state === 'connected') this.restarts = 0;
    if (state === 'failed') this.attempt();
    if (state === 'disconnected') this.restartAfter(DISCONNECTED_GRACE_MS, () => this.pc.connectionState === 'disconnected' || this.pc.connectionState === 'failed');
    // A restart need not move it out of "connecting": then it is waited for again.
    if (state === 'connecting') this.restartAfter(CONNECTING_GRACE_MS, () => this.pc.connectionState === 'connecting', true);
  }

  /** Restarts unless it was tried too often in a row (`networkChanged` starts counting afresh). */
  attempt(networkChanged = false): void {
    if (networkChanged) this.restarts = 0;
    if (this.restarts >= MAX_ICE_RESTARTS) return;
    this.restarts++;
    this.restart();
  }

  close(): void {
    this.clearTimer();
  }

  /** Restarts after `ms` if `still()` holds then (and again each `ms` while it does, when `repeat`). */
  private restartAfter(ms: number, still: () => boolean, repeat = false): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!still()) return;
      this.attempt();
      if (repeat && !this.timer && this.restarts < MAX_ICE_RESTARTS) this.restartAfter(ms, still, repeat);
    }, ms);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
