import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Download, Page } from '@playwright/test';
import { type ChromiumPerson, chromiumProcessKind, launchPerson } from '../lib/chromium';
import type { BenchOptions } from '../lib/options';
import { Deployment } from '../lib/parley';
import { progress } from '../lib/parley-target';
import { type ScenarioReport, printTable, target } from '../lib/report';
import { createGuests, createGuild } from '../lib/setup';
import { round } from '../lib/stats';
import { cpuMillisBetween, cpuMillisOfTrees, delay, machineCpuTicks, machineInfo, rssOf, waitForQuietMachine } from '../lib/system';

const MiB = 1024 * 1024;
const MB = 1_000_000;
/** Bounds of the waits around the transfer (none of them is measured). */
const UI_TIMEOUT_MS = 30_000;
const SAMPLE_EVERY_MS = 500;
const FILE_NAME = 'bench-p2p.bin';

/**
 * Run in the receiver's page before the web client loads. Without a save dialog (the File System
 * Access picker is removed, as headless Chromium has none) the client streams to the
 * origin-private file system and then hands the file over as a normal download. It also notes,
 * on the page's high-resolution clock as epoch milliseconds: the click on Download, the first
 * and last binary data-channel message received (the file's bytes; control messages are text)
 * and when the finished file was handed over (the download link's click). It only watches.
 */
const RECEIVER_SCRIPT = `(() => {
  delete window.showSaveFilePicker;
  const now = () => performance.timeOrigin + performance.now();
  const probe = { clickAt: null, firstByteAt: null, lastByteAt: null, handedOverAt: null, bytes: 0, messages: 0 };
  window.__parleyFilesBench = probe;
  document.addEventListener('click', (event) => {
    const button = event.target instanceof Element ? event.target.closest('[data-testid="file-offer"] button') : null;
    if (button && button.textContent.trim() === 'Download' && probe.clickAt === null) probe.clickAt = performance.timeOrigin + event.timeStamp;
  }, true);
  const click = HTMLAnchorElement.prototype.click;
  HTMLAnchorElement.prototype.click = function () {
    if (this.download) probe.handedOverAt = now();
    return click.call(this);
  };
  const Native = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('datachannel', ({ channel }) => {
        channel.addEventListener('message', ({ data }) => {
          if (typeof data === 'string') return;
          const at = now();
          if (probe.firstByteAt === null) probe.firstByteAt = at;
          probe.lastByteAt = at;
          probe.bytes += data.byteLength ?? data.size;
          probe.messages++;
        });
      });
    }
  };
})();`;

interface ReceiverProbe {
  clickAt: number | null;
  firstByteAt: number | null;
  lastByteAt: number | null;
  handedOverAt: number | null;
  bytes: number;
  messages: number;
}

/** CPU seconds of one process tree over the transfer, in total and by Chromium process kind. */
interface TreeUsage {
  cpuSeconds: number;
  /** % of one core over the transfer. */
  meanPercent: number;
  byKind: Record<string, number>;
  /** Sum of VmRSS over the tree's processes: before the click, and the highest sample during the transfer. */
  rssBeforeMiB: number;
  peakRssMiB: number;
  /** By Chromium process kind: before the click, and at the sample where the tree's sum peaked. */
  rssBeforeByKindMiB: Record<string, number>;
  peakRssByKindMiB: Record<string, number>;
}

const mib = (byKind: Record<string, number>) => Object.fromEntries(Object.entries(byKind).map(([kind, bytes]) => [kind, round(bytes / MiB, 1)]));

/**
 * Peer-to-peer file transfer between two Chromiums on loopback: a sender and a receiver, each in
 * a Chromium process of their own, in one text channel of a real Parley server. Through the UI,
 * as e2e/calls/file-transfer.spec.ts does: the sender picks a generated file (`--file-mib`,
 * every 1 MiB block different) in the composer's file input and sends it peer to peer, the
 * receiver clicks Download on the offer card. Measures the throughput from the click to the
 * browser's download event, the time to the first byte, CPU seconds of each browser's process
 * tree and of the server over the transfer, the browsers' peak RSS, and checks the downloaded
 * file's SHA-256 against the original.
 */
export async function filesScenario(options: BenchOptions): Promise<ScenarioReport> {
  const o = options.files;
  const startedAt = new Date();
  const notes: string[] = [];
  const size = o.fileMiB * MiB;
  // At least 0.5 MiB/s, and never under two minutes: a stalled transfer ends the run.
  const transferTimeoutMs = Math.max(120, 2 * o.fileMiB) * 1000;
  const deployment = new Deployment({
    ...options.deployment,
    nodes: 1,
    web: true,
    // Anything over 1 MiB is "too large to upload", so the composer offers it peer to peer at any --file-mib.
    env: { ATTACHMENT_MAX_BYTES: String(MiB), ...options.deployment.env },
  });
  const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-bench-files-'));
  const people: ChromiumPerson[] = [];
  const cleanUp = () => fs.rmSync(tempDir, { recursive: true, force: true });
  process.once('exit', cleanUp);
  try {
    progress(`writing a ${o.fileMiB} MiB file`);
    const file = path.join(tempDir, FILE_NAME);
    const sha256 = writeFile(file, size);

    const [node] = await deployment.start();
    const baseUrl = node!.baseUrl;
    progress('creating 2 guests, a server');
    const users = await createGuests(baseUrl, 2);
    const guild = await createGuild(baseUrl, users[0]!, [users[1]!], 'Files bench');
    const channelPath = `/channels/${guild.guildId}/${guild.channelId}`;
    progress('launching the sender’s Chromium');
    const sender = await launchPerson(baseUrl, users[0]!.token, { callProbe: false });
    people.push(sender);
    progress('launching the receiver’s Chromium');
    const receiver = await launchPerson(baseUrl, users[1]!.token, { callProbe: false, initScripts: [RECEIVER_SCRIPT] });
    people.push(receiver);

    progress('the sender offers the file peer to peer');
    await sender.page.goto(channelPath);
    // Playwright copies the file into the browser's side first (the browser is connected as a server).
    await sender.page.getByTestId('file-input').setInputFiles(file, { timeout: transferTimeoutMs });
    await sender.page.getByTestId('send-peer-to-peer').click({ timeout: UI_TIMEOUT_MS });
    await sender.page.getByTestId('file-offer-sharing').waitFor({ timeout: UI_TIMEOUT_MS });

    await receiver.page.goto(channelPath);
    const card = receiver.page.getByTestId('file-offer').filter({ hasText: FILE_NAME });
    await card.waitFor({ timeout: UI_TIMEOUT_MS });
    const busyBeforePercent = options.waitIdleSeconds ? await waitForQuietMachine(options.waitIdleSeconds) : null;
    if (busyBeforePercent !== null) progress(`machine ${busyBeforePercent}% busy before the transfer`);

    const roots = [sender.pid, receiver.pid, node!.pid];
    const rssBefore = treesRss(roots);
    const peakRss = [...rssBefore];
    const cpuStart = cpuMillisOfTrees(roots);
    const machineStart = machineCpuTicks();
    const loadBefore = os.loadavg();
    progress(`the receiver downloads ${o.fileMiB} MiB`);
    const downloaded = receiver.page.waitForEvent('download', { timeout: transferTimeoutMs });
    // Never left rejected unheard when the click below fails.
    downloaded.catch(() => undefined);
    await card.getByRole('button', { name: 'Download' }).click({ timeout: UI_TIMEOUT_MS });
    let downloadEventAt: number | null = null;
    let download: Download | null = null;
    const event = downloaded.then((d) => {
      downloadEventAt = now();
      download = d;
    });
    // Samples RSS while the bytes flow, until the download event (bounded by the transfer timeout).
    let failure: unknown = null;
    event.catch((error: unknown) => (failure = error));
    const deadline = Date.now() + transferTimeoutMs + 5000;
    for (let i = 0; downloadEventAt === null && failure === null && Date.now() < deadline && i < transferTimeoutMs / SAMPLE_EVERY_MS + 20; i++) {
      await Promise.race([event.catch(() => undefined), delay(SAMPLE_EVERY_MS)]);
      treesRss(roots).forEach((rss, k) => {
        if (rss.total > peakRss[k]!.total) peakRss[k] = rss;
      });
    }
    const cpuEnd = cpuMillisOfTrees(roots);
    const machineEnd = machineCpuTicks();
    const loadAfter = os.loadavg();
    if (failure !== null || downloadEventAt === null || download === null) {
      const status = await statusText(receiver.page);
      throw new Error(`No download within ${transferTimeoutMs / 1000} s (card says "${status}"): ${failure instanceof Error ? failure.message : String(failure)}`);
    }
    const probe = await receiver.page.evaluate(() => (window as unknown as { __parleyFilesBench: ReceiverProbe }).__parleyFilesBench);
    progress('download event; waiting for the browser to finish saving, then checking the SHA-256');
    const finishedDownload: Download = download;
    const saveFailure = await finishedDownload.failure();
    const savedAt = now();
    const received = saveFailure === null ? await sha256OfStream(finishedDownload) : null;
    const status = await statusText(receiver.page);
    const senderView = await sender.page
      .getByTestId('file-offer-receiver')
      .first()
      .textContent({ timeout: 5000 })
      .catch(() => null);

    const clickAt = probe.clickAt;
    const seconds = clickAt === null ? null : (downloadEventAt - clickAt) / 1000;
    const wireSeconds = probe.firstByteAt !== null && probe.lastByteAt !== null ? (probe.lastByteAt - probe.firstByteAt) / 1000 : null;
    const usage = roots.map((root, k): TreeUsage => {
      const before = cpuStart.get(root)!;
      const after = cpuEnd.get(root)!;
      const byKind: Record<string, number> = {};
      if (k < 2)
        for (const [pid, millis] of after) {
          const kind = chromiumProcessKind(pid);
          byKind[kind] = round((byKind[kind] ?? 0) + (millis - (before.get(pid) ?? 0)) / 1000, 2);
        }
      const cpuSeconds = cpuMillisBetween(before, after) / 1000;
      return {
        cpuSeconds: round(cpuSeconds, 2),
        meanPercent: seconds ? round((cpuSeconds / seconds) * 100, 1) : Number.NaN,
        byKind,
        rssBeforeMiB: round(rssBefore[k]!.total / MiB, 1),
        peakRssMiB: round(peakRss[k]!.total / MiB, 1),
        rssBeforeByKindMiB: mib(rssBefore[k]!.byKind),
        peakRssByKindMiB: mib(peakRss[k]!.byKind),
      };
    });
    const machineBusyPercent = round(((machineEnd.busy - machineStart.busy) / Math.max(1, machineEnd.total - machineStart.total)) * 100, 1);
    const results = {
      bytes: size,
      sha256,
      receivedSha256: received,
      saveFailure,
      identical: received === sha256,
      /** Click on Download → the browser's download event (the whole file received, checked and handed over). */
      seconds: seconds === null ? null : round(seconds, 2),
      mbPerSecond: seconds ? round(size / MB / seconds, 2) : null,
      mibPerSecond: seconds ? round(size / MiB / seconds, 2) : null,
      /** Click → first binary data-channel message in the receiver's page (asking, signaling, ICE, DTLS, SCTP). */
      timeToFirstByteMs: clickAt !== null && probe.firstByteAt !== null ? round(probe.firstByteAt - clickAt, 1) : null,
      /** First → last binary message: the data channel alone. */
      wireMbPerSecond: wireSeconds ? round(probe.bytes / MB / wireSeconds, 2) : null,
      /** Last binary message → download link clicked (last block's check, final digest, OPFS file closed). */
      lastByteToHandOverMs: probe.lastByteAt !== null && probe.handedOverAt !== null ? round(probe.handedOverAt - probe.lastByteAt, 1) : null,
      /** Download link clicked → Playwright's download event in the bench. */
      handOverToEventMs: probe.handedOverAt !== null ? round(downloadEventAt - probe.handedOverAt, 1) : null,
      /** Download event → the browser finished saving the download (a copy out of the private file system). */
      eventToSavedMs: round(savedAt - downloadEventAt, 1),
      bytesOnWire: probe.bytes,
      binaryMessages: probe.messages,
      receiverStatus: status,
      senderView,
      sender: usage[0]!,
      receiver: usage[1]!,
      server: usage[2]!,
      machineBusyPercent,
      busyBeforePercent,
      loadAverageBefore: loadBefore.map((l) => round(l, 2)),
      loadAverageAfter: loadAfter.map((l) => round(l, 2)),
    };

    printTable(`Peer-to-peer file transfer, ${o.fileMiB} MiB, Chromium → Chromium on loopback`, [
      {
        'MB/s': results.mbPerSecond,
        seconds: results.seconds,
        'first byte ms': results.timeToFirstByteMs,
        'wire MB/s': results.wireMbPerSecond,
        'last byte → hand-over ms': results.lastByteToHandOverMs,
        'hand-over → event ms': results.handOverToEventMs,
        identical: results.identical ? 'yes' : 'NO',
        'machine %': machineBusyPercent,
        'load 1 min': round(loadAfter[0]!, 2),
      },
    ]);
    printTable(
      'CPU over the transfer (seconds, and % of one core) and memory (sum of VmRSS over the process tree)',
      (['sender', 'receiver', 'server'] as const).map((who, k) => ({
        '': who,
        'CPU s': usage[k]!.cpuSeconds,
        '% of a core': usage[k]!.meanPercent,
        'RSS before MiB': usage[k]!.rssBeforeMiB,
        'peak RSS MiB': usage[k]!.peakRssMiB,
        'by process kind (CPU s)': Object.entries(usage[k]!.byKind)
          .filter(([, s]) => s >= 0.05)
          .sort((a, b) => b[1] - a[1])
          .map(([kind, s]) => `${kind} ${s}`)
          .join(', '),
        'RSS growth by kind MiB': Object.entries(usage[k]!.peakRssByKindMiB)
          .map(([kind, peak]) => [kind, round(peak - (usage[k]!.rssBeforeByKindMiB[kind] ?? 0), 1)] as const)
          .filter(([, growth]) => Math.abs(growth) >= 1)
          .map(([kind, growth]) => `${kind} ${growth}`)
          .join(', '),
      })),
    );
    if (machineBusyPercent > 90)
      notes.push(`machine ${machineBusyPercent}% busy during the transfer (load average ${loadAfter.map((l) => l.toFixed(2)).join(' ')}): others took cores, throughput is capped by that`);
    if (status !== 'Downloaded and checked.') notes.push(`the receiver's card said "${status}"`);
    const output = deployment.recentOutput();
    if (output) notes.push(`server output: ${output.slice(-2000)}`);
    return {
      scenario: 'files',
      startedAt: startedAt.toISOString(),
      durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
      machine: machineInfo(),
      server: { engine: options.deployment.engine, nodes: 1, redis: options.deployment.redis, target: 'parley + 2 chromium' },
      params: { ...o, transferTimeoutSeconds: transferTimeoutMs / 1000 },
      results,
      targets: [
        target('downloaded file identical (SHA-256)', 'identical', results.identical ? 1 : 0, '(1 = yes)', (v) => v === 1),
        target('throughput, click on Download → download event', 'reported', results.mbPerSecond, 'MB/s', () => true),
      ],
      notes,
    };
  } finally {
    await Promise.all(people.map((p) => p.close().catch(() => undefined)));
    await deployment.dispose();
    cleanUp();
    process.removeListener('exit', cleanUp);
  }
}

/** Epoch milliseconds on the high-resolution clock (comparable with the page's performance.timeOrigin + now()). */
const now = () => performance.timeOrigin + performance.now();

/** Writes `bytes` to `file`, every 1 MiB block different (its index in its first 4 bytes), and returns its SHA-256. */
function writeFile(file: string, bytes: number): string {
  const hash = createHash('sha256');
  const block = Buffer.alloc(MiB);
  for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((i * 2654435761) >>> 0, i);
  const fd = fs.openSync(file, 'w');
  try {
    for (let offset = 0; offset < bytes; offset += MiB) {
      block.writeUInt32LE(offset / MiB, 0);
      const chunk = block.subarray(0, Math.min(MiB, bytes - offset));
      fs.writeSync(fd, chunk);
      hash.update(chunk);
    }
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

/** SHA-256 of a finished download, streamed from the browser's side (the browser is connected as a server). */
async function sha256OfStream(download: Download): Promise<string> {
  const hash = createHash('sha256');
  const stream = await download.createReadStream();
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function statusText(page: Page): Promise<string> {
  return (
    (await page
      .getByTestId('file-offer-status')
      .first()
      .textContent({ timeout: 2000 })
      .catch(() => null)) ?? ''
  ).trim();
}

/**
 * For each root, the sum of VmRSS over it and all its descendants, in bytes (shared pages count
 * in each process), and the same by Chromium process kind.
 */
function treesRss(roots: readonly number[]): { total: number; byKind: Record<string, number> }[] {
  const trees = cpuMillisOfTrees(roots);
  return roots.map((root) => {
    let total = 0;
    const byKind: Record<string, number> = {};
    for (const pid of trees.get(root)!.keys()) {
      const rss = rssOf(pid);
      if (Number.isNaN(rss)) continue;
      total += rss;
      const kind = chromiumProcessKind(pid);
      byKind[kind] = (byKind[kind] ?? 0) + rss;
    }
    return { total, byKind };
  });
}
