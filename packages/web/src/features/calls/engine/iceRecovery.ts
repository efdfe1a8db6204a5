/** Consecutive ICE restarts tried before a connection waits for the network to change again. */
const MAX_ICE_RESTARTS = 5;
/** How long a "disconnected" connection may recover by itself before ICE is restarted. */
const DISCONNECTED_GRACE_MS = 2_500;

/**
 * When to restart ICE on one RTCPeerConnection (a mesh link, or either connection to the SFU):
 * at once when it failed, after a grace period when it stays disconnected, a few times in a
 * row at most; always after a network change, as the old paths may all be gone.
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
    if (state === 'disconnected') {
      this.timer = setTimeout(() => {
        if (this.pc.connectionState === 'disconnected' || this.pc.connectionState === 'failed') this.attempt();
      }, DISCONNECTED_GRACE_MS);
    }
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

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
