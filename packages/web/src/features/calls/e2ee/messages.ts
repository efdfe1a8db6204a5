import type { FrameKey } from './frames';
import type { E2eeCounters } from './index';

/** What the page tells the frame worker (worker.ts), and what it answers. */

/** The options of each RTCRtpScriptTransform: which way frames go, and whose they are. */
export type TransformOptions = { role: 'sender' } | { role: 'receiver'; userId: string };

export type ToWorker =
  /** Our key; after a rotation used from `delayMs` on (KEY_SWITCH_DELAY_MS). */
  { type: 'sender-key'; key: FrameKey; delayMs: number } | { type: 'receiver-key'; userId: string; key: FrameKey } | { type: 'forget'; userId: string } | { type: 'counters'; requestId: number };

export type FromWorker = { type: 'counters'; requestId: number; sent: E2eeCounters; received: Record<string, E2eeCounters> };
