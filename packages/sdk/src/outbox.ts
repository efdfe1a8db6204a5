import { type EncryptedEnvelope, type Message, type Snowflake, routes } from '@parley/protocol';
import { ParleyApiError, ParleyNetworkError, errorText } from './errors';
import type { GatewayEvents } from './gateway';
import { newNonce, sendMessage } from './messages';
import type { RestClient } from './rest';
import type { ResumableUpload, ResumableUploadOptions, UploadProgress } from './uploads';

/** A message the user sent that the server has not confirmed yet (or refused). */
export interface PendingMessage {
  nonce: string;
  channelId: Snowflake;
  content: string;
  replyTo: Snowflake | null;
  /** The files going with it, kept so a failed or cancelled send can be retried. */
  files: readonly File[];
  /** `queued`: waits for the server to be reachable again (ordered outboxes only). */
  state: 'sending' | 'failed' | 'queued';
  error: string | null;
  /** Share of the upload sent (0–1) while files are on their way; null without files. */
  progress: number | null;
  /** Resumable uploads: bytes sent of all the files, speed, time left, and whether paused; null without files. */
  upload: (UploadProgress & { paused: boolean }) | null;
}

/** Everything the outbox holds, in one object so a UI framework can make it reactive. */
export interface OutboxState {
  /** Pending messages per channel, in the order they were sent. */
  channels: Map<Snowflake, PendingMessage[]>;
}

/** A message sealed with its files (EncryptedConversations.sealWithFiles). */
export interface SealedMessage {
  encrypted: EncryptedEnvelope;
  files: readonly File[];
}

/** Where echoed messages come from: a GatewayClient, or anything relaying its events. */
export interface OutboxEventSource {
  on(name: 'MESSAGE_CREATE', listener: (payload: GatewayEvents['MESSAGE_CREATE']) => void): () => void;
}

export interface OutboxOptions {
  /** Wraps the state on creation, e.g. Vue's `reactive`, so views update as sends progress. */
  reactive?: <T extends object>(state: T) => T;
  /** A failed send as the user should see it (default: the error's message). */
  describeError?: (error: unknown) => string;
  /** The server stored a message (its answer to the send): e.g. MessageHistory's `add`. */
  onConfirmed?: (message: Message) => void;
  /** A pending message left (confirmed or discarded): e.g. to release what a UI made for it. */
  onRemoved?: (pending: PendingMessage) => void;
  /**
   * One send at a time per channel, in the order typed. A message the server could not be
   * reached for (offline, a restart's 502–504, 429) waits as `queued`, and those after it wait
   * behind it; it is tried again by itself (after Retry-After, or backing off up to 30 s), and
   * at once on `resume()` (call it when the gateway is back). One the server refused (400,
   * 403, 500…) fails as usual and does not hold the others up. For clients that queue what is
   * typed offline, like the terminal client.
   */
  ordered?: boolean;
  /**
   * End-to-end encrypted conversations: the envelope a message's text goes in (sent as
   * `encrypted` instead of `content`), with its files sealed to upload in their place, or null
   * where the conversation is not encrypted. Sealed at each try, so a failed one is sealed again
   * for the group as it is then. A bare envelope for a message with files is refused: the files
   * would go out in the clear. `editing`: the message an edit replaces (its files stay with it).
   */
  seal?: (channelId: Snowflake, content: string, files: readonly File[], editing?: Snowflake) => Promise<EncryptedEnvelope | SealedMessage | null>;
  /**
   * Files go ahead of their message with the resumable upload protocol (uploads.ts: progress,
   * pause, resume after a drop), and the message names them once all are in. Default on;
   * false sends them in the message's own multipart request, as before.
   */
  resumableUploads?: boolean | ResumableUploadOptions;
}

/** A message's files on their way (resumable): the uploads so far, kept for a retry to continue them. */
interface UploadJob {
  /** Per file: the File it is for and its upload, once started. */
  uploads: { file: File; upload: ResumableUpload }[];
  current: ResumableUpload | null;
  paused: boolean;
}

/**
 * How long to wait before sending again when the server was not there to answer (offline, a
 * proxy's 502–504, 429 with its Retry-After), or null for a refusal, which no wait changes.
 */
function waitBeforeRetry(error: unknown, failures: number): number | null {
  if (error instanceof ParleyApiError && error.status === 429) return Math.max(0.05, error.retryAfter ?? 1) * 1000;
  const away = error instanceof ParleyNetworkError || (error instanceof ParleyApiError && (error.status === 0 || (error.status >= 502 && error.status <= 504)));
  return away ? Math.min(30_000, 1000 * 2 ** failures) : null;
}

/**
 * Optimistic sends: a message shows at once as pending, is sent with a nonce (so however often
 * it is retried the server stores it once), and leaves the outbox when the server's answer or
 * the gateway's echo of it (same nonce) arrives, whichever is first. A send that fails stays,
 * as failed with the reason, to retry (same nonce, same place) or discard.
 */
export class Outbox {
  readonly state: OutboxState;
  /** Cancels the upload of a pending message, by nonce. */
  private readonly uploads = new Map<string, AbortController>();
  /** Resumable uploads of pending messages, by nonce: kept after a failure so a retry continues them. */
  private readonly jobs = new Map<string, UploadJob>();
  private readonly stop: () => void;
  /** Ordered outboxes: the channels whose queue is being sent, with the run doing it. */
  private readonly draining = new Map<Snowflake, Promise<void>>();
  /** Ordered outboxes: a channel's next try after the server could not be reached, and how many tries failed in a row. */
  private readonly later = new Map<Snowflake, { timer: ReturnType<typeof setTimeout>; failures: number }>();

  constructor(
    private readonly rest: RestClient,
    events: OutboxEventSource,
    private readonly options: OutboxOptions = {},
  ) {
    const state: OutboxState = { channels: new Map() };
    this.state = options.reactive ? options.reactive(state) : state;
    this.stop = events.on('MESSAGE_CREATE', (message) => this.settle(message));
  }

  /** Stops following the gateway (and trying queued messages again). */
  close(): void {
    this.stop();
    for (const { timer } of this.later.values()) clearTimeout(timer);
    this.later.clear();
  }

  /**
   * Edits a message the user sent: its new text, sealed like a send where the conversation is
   * end-to-end encrypted (never sent in the clear there). Resolves with the stored message.
   */
  async edit(channelId: Snowflake, messageId: Snowflake, content: string): Promise<Message> {
    const sealed = this.options.seal ? await this.options.seal(channelId, content, [], messageId) : null;
    // A bare envelope does not say it kept what the message's sealed text carried (its files' keys).
    if (sealed && !('encrypted' in sealed)) throw new Error('This client cannot edit encrypted messages, so nothing was changed.');
    const encrypted = sealed?.encrypted ?? null;
    const body = encrypted ? { content: '', encrypted } : { content };
    return this.rest.request(routes.messages.edit, { params: { channel_id: channelId, message_id: messageId }, body });
  }

  /** A channel's pending messages, in the order they were sent. */
  pending(channelId: Snowflake): readonly PendingMessage[] {
    return this.state.channels.get(channelId) ?? [];
  }

  /**
   * Sends optimistically: the message is pending at once, then confirmed (it leaves) or failed.
   * Resolves when settled; in an ordered outbox, when the channel's queue stops (the message may
   * still be queued, to be tried again by itself).
   */
  async send(channelId: Snowflake, content: string, options: { replyTo?: Snowflake | null; files?: readonly File[]; nonce?: string } = {}): Promise<void> {
    const files = options.files ?? [];
    const pending: PendingMessage = {
      nonce: options.nonce ?? newNonce(),
      channelId,
      content,
      replyTo: options.replyTo ?? null,
      files,
      state: this.options.ordered ? 'queued' : 'sending',
      error: null,
      progress: files.length ? 0 : null,
      upload: files.length ? { sent: 0, total: files.reduce((sum, f) => sum + f.size, 0), bytesPerSecond: null, secondsLeft: null, paused: false } : null,
    };
    const list = this.state.channels.get(channelId);
    if (list) list.push(pending);
    else this.state.channels.set(channelId, [pending]);
    if (this.options.ordered) await this.drain(channelId);
    // Through the state (a reactive proxy in Vue), so the UI sees the send progress and fail.
    else await this.attempt(this.find(channelId, pending.nonce)!);
  }

  /** Ordered outboxes: sends what is queued in every channel now, oldest first (after a reconnect). */
  async resume(): Promise<void> {
    await Promise.all([...this.state.channels.keys()].map((id) => this.drain(id)));
  }

  /**
   * Sends a channel's queued messages one by one, oldest first; at one the server could not be
   * reached for, stops and tries again later by itself.
   */
  private drain(channelId: Snowflake): Promise<void> {
    const running = this.draining.get(channelId);
    if (running) return running;
    const scheduled = this.later.get(channelId);
    if (scheduled) clearTimeout(scheduled.timer);
    const run = (async () => {
      for (;;) {
        const next = this.pending(channelId).find((p) => p.state === 'queued');
        if (!next) return void this.later.delete(channelId);
        const failures = this.later.get(channelId)?.failures ?? 0;
        const outcome = await this.attempt(next, failures);
        if (typeof outcome === 'number') {
          this.later.set(channelId, { failures: failures + 1, timer: setTimeout(() => void this.drain(channelId), outcome) });
          return;
        }
        this.later.delete(channelId);
      }
    })().finally(() => this.draining.delete(channelId));
    this.draining.set(channelId, run);
    return run;
  }

  /** Stops a message's upload; it stays, as failed, to retry or discard (a retry uploads its files again). */
  cancelUpload(nonce: string): void {
    this.uploads.get(nonce)?.abort();
    this.dropJob(nonce);
  }

  /** Pauses a message's resumable upload (the server keeps what it received). */
  pauseUpload(channelId: Snowflake, nonce: string): void {
    const job = this.jobs.get(nonce);
    if (!job || job.paused) return;
    job.paused = true;
    job.current?.pause();
    const target = this.find(channelId, nonce);
    if (target?.upload) target.upload = { ...target.upload, paused: true, bytesPerSecond: null, secondsLeft: null };
  }

  /** Continues a paused upload from where the server says it stands. */
  resumeUpload(channelId: Snowflake, nonce: string): void {
    const job = this.jobs.get(nonce);
    if (!job?.paused) return;
    job.paused = false;
    job.current?.resume();
    const target = this.find(channelId, nonce);
    if (target?.upload) target.upload = { ...target.upload, paused: false };
  }

  /** Drops a pending message (a failed one the user gave up on), and the uploads it left on the server. */
  discard(channelId: Snowflake, nonce: string): void {
    const gone = this.find(channelId, nonce);
    this.dropJob(nonce);
    if (gone) this.take(channelId, gone);
  }

  /** Cancels a message's resumable uploads: the server deletes what they sent. */
  private dropJob(nonce: string): void {
    const job = this.jobs.get(nonce);
    if (!job) return;
    this.jobs.delete(nonce);
    for (const { upload } of job.uploads) void upload.cancel();
  }

  /**
   * Uploads a message's files one after the other, resumably, reporting their progress on the
   * pending message, and resolves with their upload IDs. A retry continues the uploads a failed
   * try left (the same File objects: sealed files are new at each try, so they start again).
   */
  private async uploadFiles(target: PendingMessage, files: readonly File[], signal: AbortSignal): Promise<Snowflake[]> {
    // Loaded with the first message that carries files: most sends have none.
    const { RateMeter, ResumableUpload } = await import('./uploads');
    const settings = typeof this.options.resumableUploads === 'object' ? this.options.resumableUploads : {};
    const previous = this.jobs.get(target.nonce);
    const job: UploadJob = { uploads: [], current: null, paused: previous?.paused ?? false };
    // Uploads of files no longer in the message (sealed again) are of no use: the server may delete them.
    for (const old of previous?.uploads ?? []) if (!files.includes(old.file)) void old.upload.cancel();
    this.jobs.set(target.nonce, job);
    const total = files.reduce((sum, f) => sum + f.size, 0);
    const meter = new RateMeter(settings.now);
    let before = 0;
    const ids: Snowflake[] = [];
    const onAbort = () => job.current && void job.current.cancel();
    signal.addEventListener('abort', onAbort);
    try {
      for (const file of files) {
        if (signal.aborted) throw new DOMException('Upload cancelled', 'AbortError');
        const kept = previous?.uploads.find((u) => u.file === file)?.upload;
        const upload = new ResumableUpload(this.rest, target.channelId, file, {
          ...settings,
          url: kept?.url ?? null,
          onProgress: (progress) => {
            const sent = before + progress.sent;
            const rate = meter.update(sent, total);
            target.progress = total ? sent / total : null;
            target.upload = { ...rate, paused: job.paused, ...(job.paused && { bytesPerSecond: null, secondsLeft: null }) };
          },
        });
        job.uploads.push({ file, upload });
        job.current = upload;
        if (job.paused) upload.pause();
        try {
          ids.push(await upload.done());
        } catch (error) {
          // An upload the server no longer has (expired, cancelled elsewhere) starts afresh next time.
          if (error instanceof ParleyApiError && error.status === 404) job.uploads.pop();
          throw error;
        }
        before += file.size;
      }
      return ids;
    } finally {
      signal.removeEventListener('abort', onAbort);
      job.current = null;
    }
  }

  private find(channelId: Snowflake, nonce: string): PendingMessage | undefined {
    return this.state.channels.get(channelId)?.find((p) => p.nonce === nonce);
  }

  private take(channelId: Snowflake, pending: PendingMessage): void {
    const rest = this.pending(channelId).filter((p) => p.nonce !== pending.nonce);
    if (rest.length) this.state.channels.set(channelId, rest);
    else this.state.channels.delete(channelId);
    this.options.onRemoved?.(pending);
  }

  /** A message arrived (the answer to a send or the gateway's echo): its pending twin leaves. */
  private settle(message: Message): void {
    if (message.nonce === undefined || message.nonce === null) return;
    const twin = this.find(message.channel_id, String(message.nonce));
    if (twin) this.take(message.channel_id, twin);
  }

  /**
   * Sends a failed message again, with its nonce (stored once even if the first try reached the
   * server). In an ordered outbox it takes its place in the queue again.
   */
  async retry(channelId: Snowflake, nonce: string): Promise<void> {
    const target = this.find(channelId, nonce);
    if (!target || target.state === 'sending') return;
    if (!this.options.ordered) return void (await this.attempt(target));
    target.state = 'queued';
    await this.drain(channelId);
  }

  /**
   * One try at sending: the message leaves (confirmed) or stays, failed, or (ordered outboxes,
   * the server not reached) queued again: then the milliseconds to wait before the next try.
   */
  private async attempt(target: PendingMessage, failures = 0): Promise<'sent' | 'refused' | number> {
    const { channelId, nonce } = target;
    target.state = 'sending';
    target.error = null;
    try {
      // Only an outbox that seals waits for it: a plain send goes out in the same tick.
      const sealed = this.options.seal ? await this.options.seal(channelId, target.content, target.files) : null;
      const encrypted = sealed && 'encrypted' in sealed ? sealed.encrypted : sealed;
      if (sealed && !('encrypted' in sealed) && target.files.length) throw new Error('Files cannot be encrypted here, so nothing was sent.');
      const files = sealed && 'encrypted' in sealed ? sealed.files : target.files;
      const body = {
        ...(encrypted ? { encrypted } : { content: target.content }),
        nonce,
        ...(target.replyTo && { message_reference: { message_id: target.replyTo } }),
      };
      let message: Message;
      if (files.length && this.options.resumableUploads !== false) {
        const controller = new AbortController();
        this.uploads.set(nonce, controller);
        target.progress = 0;
        const ids = await this.uploadFiles(target, files, controller.signal);
        message = await sendMessage(this.rest, channelId, { ...body, attachments: ids.map((upload_id, id) => ({ id, upload_id })) });
        this.jobs.delete(nonce);
      } else if (files.length) {
        const controller = new AbortController();
        this.uploads.set(nonce, controller);
        target.progress = 0;
        message = await sendMessage(this.rest, channelId, body, {
          files,
          signal: controller.signal,
          onProgress: (sent, total) => (target.progress = total ? sent / total : null),
        });
      } else {
        message = await sendMessage(this.rest, channelId, body);
      }
      this.settle(message);
      this.options.onConfirmed?.(message);
      return 'sent';
    } catch (error) {
      // The server no longer has an upload this message named (expired): a retry uploads afresh.
      if (error instanceof ParleyApiError && error.code === 90180) this.jobs.delete(nonce);
      const wait = this.options.ordered ? waitBeforeRetry(error, failures) : null;
      if (wait !== null) {
        target.state = 'queued';
        return wait;
      }
      target.state = 'failed';
      target.error = error instanceof DOMException && error.name === 'AbortError' ? 'Upload cancelled.' : (this.options.describeError ?? errorText)(error);
      return 'refused';
    } finally {
      this.uploads.delete(nonce);
    }
  }
}
