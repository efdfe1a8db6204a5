/**
 * The calls bench's probe, run in every participant's page before the web client loads
 * (`context.addInitScript({ path })`). It only watches: it notes every RTCPeerConnection the
 * page creates (when, and when it connected) and reads their getStats. Plain JavaScript in a
 * file of its own because Playwright sends the text as is, and the bench runs under tsx, whose
 * compiled functions call a helper (`__name`) that does not exist in the page.
 * Types: call-probe.ts. Every time is performance.now() of this page.
 */
(() => {
  /** @type {{ pc: RTCPeerConnection; createdAt: number; connectedAt: number | null }[]} */
  const peers = [];
  const Native = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Native {
    constructor(...args) {
      super(...args);
      const entry = { pc: this, createdAt: performance.now(), connectedAt: null };
      peers.push(entry);
      this.addEventListener('connectionstatechange', () => {
        if (this.connectionState === 'connected' && entry.connectedAt === null) entry.connectedAt = performance.now();
      });
    }
  };

  const live = (since) => peers.filter((entry) => entry.createdAt >= since && entry.pc.connectionState !== 'closed');
  const stopwatch = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  /** Inbound and outbound RTP of one connection, by kind, and what limits the video it sends. */
  const rtpOf = async (pc) => {
    const totals = { audioIn: 0, audioPacketsIn: 0, videoIn: 0, framesDecoded: 0, audioOut: 0, videoOut: 0, framesEncoded: 0, videoSent: [] };
    (await pc.getStats()).forEach((stat) => {
      if (stat.type === 'inbound-rtp' && stat.kind === 'audio') {
        totals.audioIn += stat.bytesReceived ?? 0;
        totals.audioPacketsIn += stat.packetsReceived ?? 0;
      } else if (stat.type === 'inbound-rtp' && stat.kind === 'video') {
        totals.videoIn += stat.bytesReceived ?? 0;
        totals.framesDecoded += stat.framesDecoded ?? 0;
      } else if (stat.type === 'outbound-rtp' && stat.kind === 'audio') {
        totals.audioOut += stat.bytesSent ?? 0;
      } else if (stat.type === 'outbound-rtp' && stat.kind === 'video') {
        totals.videoOut += stat.bytesSent ?? 0;
        totals.framesEncoded += stat.framesEncoded ?? 0;
        // Only streams being encoded (the screen-share slot idles without a track).
        if (stat.frameHeight) totals.videoSent.push({ height: stat.frameHeight, limitation: stat.qualityLimitationReason ?? 'none' });
      }
    });
    return totals;
  };

  /** @type {Promise<import('./call-probe').JoinTiming> | null} */
  let timing = null;

  window.callProbe = {
    armJoin(pollMs, timeoutMs) {
      timing = new Promise((resolve) => {
        // The click's own time stamp (same clock as performance.now()): when the browser took the
        // click, before any of the app's handlers ran.
        window.addEventListener('click', (event) => void measure(event.timeStamp).then(resolve), { capture: true, once: true });
      });
      const measure = async (clickAt) => {
        const result = { clickAt, joinedAt: null, firstPeerAt: null, connectedAt: null, firstAudioAt: null, packetsAtFirstAudio: 0, polls: 0 };
        // "Voice connected" appears in the call panel once the server's VOICE_STATE_UPDATE for the join is back.
        const status = new MutationObserver(() => {
          if (document.querySelector('[data-testid="call-status"]')?.textContent?.trim() !== 'Voice connected') return;
          result.joinedAt = performance.now();
          status.disconnect();
        });
        status.observe(document.body, { subtree: true, childList: true, characterData: true });
        const deadline = clickAt + timeoutMs;
        while (result.firstAudioAt === null && performance.now() < deadline) {
          result.polls++;
          const links = live(clickAt);
          const totals = await Promise.all(links.map((entry) => rtpOf(entry.pc)));
          const heard = totals.find((t) => t.audioIn > 0);
          if (heard) [result.firstAudioAt, result.packetsAtFirstAudio] = [performance.now(), heard.audioPacketsIn];
          else await stopwatch(pollMs);
        }
        status.disconnect();
        const mine = peers.filter((entry) => entry.createdAt >= clickAt);
        const first = (values) => (values.length ? Math.min(...values) : null);
        result.firstPeerAt = first(mine.map((entry) => entry.createdAt));
        result.connectedAt = first(mine.flatMap((entry) => (entry.connectedAt === null ? [] : [entry.connectedAt])));
        return result;
      };
    },

    joinTiming: () => timing,

    async traffic() {
      const totals = await Promise.all(live(0).map((entry) => rtpOf(entry.pc)));
      const sum = { at: performance.now(), links: totals.length, audioIn: 0, audioPacketsIn: 0, videoIn: 0, framesDecoded: 0, audioOut: 0, videoOut: 0, framesEncoded: 0, videoSent: [] };
      for (const t of totals) {
        for (const key of Object.keys(t)) {
          if (key === 'videoSent') sum.videoSent.push(...t.videoSent);
          else sum[key] += t[key];
        }
      }
      return sum;
    },
  };
})();
