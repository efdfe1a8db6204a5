import { API_PREFIX, type Snowflake, TUS_CONTENT_TYPE, TUS_VERSION, encodeUploadMetadata, uploadsPath } from '@parley/protocol';
import { ParleyApiError, ParleyNetworkError } from './errors';
import type { RawResponse, RestClient } from './rest';

/** How far an upload has got, and how fast it goes (null until a rate can be told). */
export interface UploadProgress {
  sent: number;
  total: number;
  bytesPerSecond: number | null;
  secondsLeft: number | null;
}

export interface ResumableUploadOptions {
  /** Bytes per PATCH (default 4 MiB): a proxy's body limit never bites, and a drop costs at most what the server did not store. */
  chunkBytes?: number;
  /** Failures in a row (network, 5xx, 409) tried again before giving up; progress resets the count. Default 10. */
  retries?: number;
  /** The wait before the nth retry in a row (default 0.5 s doubling up to 20 s). */
  retryDelayMs?: (failures: number) => number;
  onProgress?: (progress: UploadProgress) => void;
  /** An upload created earlier for this file (its `Location`): continued where the server says it stands. */
  url?: string | null;
  /** For tests: the clock the speed is measured with. */
  now?: () => number;
}

const DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024;
const TUS_HEADERS = { 'tus-resumable': TUS_VERSION };

/** What a cancelled upload rejects with, as fetch does when aborted. */
function cancelled(): DOMException {
  return new DOMException('Upload cancelled', 'AbortError');
}

/**
 * Bytes per second over the last few seconds (a moving window, so a stall shows at once and an
 * old burst is forgotten), and the time left at that rate.
 */
export class RateMeter {
  private samples: { at: number; sent: number }[] = [];

  constructor(
    private readonly now: () => number = () => Date.now(),
    private readonly windowMs = 5000,
  ) {}

  /** Records `sent` bytes so far (of `total`) and tells the rate. */
  update(sent: number, total: number): UploadProgress {
    const at = this.now();
    this.samples.push({ at, sent });
    while (this.samples.length > 2 && this.samples[0]!.at < at - this.windowMs) this.samples.shift();
    const first = this.samples[0]!;
    const span = at - first.at;
    const bytesPerSecond = span >= 300 ? Math.max(0, ((sent - first.sent) * 1000) / span) : null;
    const secondsLeft = bytesPerSecond ? Math.ceil((total - sent) / bytesPerSecond) : sent >= total ? 0 : null;
    return { sent, total, bytesPerSecond, secondsLeft };
  }

  /** Forgets the rate (after a pause: the time paused is not slowness). */
  reset(): void {
    this.samples = [];
  }
}

/** Whether a failed step is worth trying again after a wait: the server was away, busy, or the offset moved. */
function retryable(error: unknown): boolean {
  if (error instanceof ParleyNetworkError) return true;
  if (!(error instanceof ParleyApiError)) return false;
  return error.status === 0 || error.status === 409 || error.status === 423 || error.status === 429 || error.status >= 500;
}

/**
 * One file uploaded with the resumable upload protocol (tus 1.0, docs/uploads.md) to a channel:
 * created, then sent in chunks, each PATCHed at the offset the server holds. A dropped
 * connection, a server restart or a closed laptop only costs a wait: the upload asks where it
 * stands (HEAD) and continues from there, a bounded number of times in a row (backing off, and
 * at once when the browser says it is online again). It can be paused (the request in flight is
 * stopped; the server keeps what it got) and cancelled (the server deletes it). `done` resolves
 * with the upload's ID, for a message's `attachments`.
 */
export class ResumableUpload {
  /** The upload's address once created (keep it to continue after a failure: `options.url`). */
  url: string | null;
  private offset = 0;
  private paused = false;
  private isCancelled = false;
  /** The request in flight, stopped by pause and cancel. */
  private inFlight: AbortController | null = null;
  /** Ends the current wait (retry backoff or pause) early. */
  private wake: (() => void) | null = null;
  private readonly meter: RateMeter;
  private started: Promise<Snowflake> | null = null;

  constructor(
    private readonly rest: RestClient,
    private readonly channelId: Snowflake,
    private readonly file: Blob & { name?: string },
    private readonly options: ResumableUploadOptions = {},
  ) {
    this.url = options.url ?? null;
    this.meter = new RateMeter(options.now);
  }

  /** The upload's ID (the last part of its address), once created. */
  get id(): Snowflake | null {
    return this.url ? (this.url.split('/').pop()! as Snowflake) : null;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Starts (once) and resolves with the upload's ID when every byte is on the server. */
  done(): Promise<Snowflake> {
    this.started ??= this.run();
    return this.started;
  }

  /** Stops sending; the server keeps what it received. `resume` continues from there. */
  pause(): void {
    if (this.paused || this.isCancelled) return;
    this.paused = true;
    this.inFlight?.abort();
    this.report();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.meter.reset();
    this.wakeUp();
  }

  /** Stops for good: `done` rejects with an AbortError and the server deletes what it had. */
  async cancel(): Promise<void> {
    if (this.isCancelled) return;
    this.isCancelled = true;
    this.inFlight?.abort();
    this.wakeUp();
    if (this.url) await this.rest.raw('DELETE', this.url, { headers: TUS_HEADERS }).catch(() => undefined);
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  /** Waits `ms` (or, with null, until woken), ending early on resume, cancel or the browser coming back online. */
  private wait(ms: number | null): Promise<void> {
    return new Promise((resolve) => {
      const timer = ms === null ? null : setTimeout(() => this.wakeUp(), ms);
      const online = () => this.wakeUp();
      const target = typeof globalThis.addEventListener === 'function' ? globalThis : null;
      target?.addEventListener('online', online);
      this.wake = () => {
        if (timer) clearTimeout(timer);
        target?.removeEventListener('online', online);
        resolve();
      };
    });
  }

  private report(sentInChunk = 0): void {
    const progress = this.meter.update(this.offset + sentInChunk, this.file.size);
    this.options.onProgress?.(this.paused ? { ...progress, bytesPerSecond: null, secondsLeft: null } : progress);
  }

  /** One request, stoppable by pause and cancel; a refusal becomes its ParleyApiError. */
  private async request(method: string, path: string, headers: Record<string, string>, body?: Blob, onProgress?: (sent: number) => void): Promise<RawResponse> {
    const controller = new AbortController();
    this.inFlight = controller;
    try {
      const response = await this.rest.raw(method, path, { headers: { ...TUS_HEADERS, ...headers }, signal: controller.signal, ...(body && { body }), ...(onProgress && { onProgress }) });
      if (response.status >= 300) throw response.error();
      return response;
    } finally {
      this.inFlight = null;
    }
  }

  private async create(): Promise<void> {
    const metadata = encodeUploadMetadata({ filename: this.file.name ?? 'file', filetype: this.file.type || 'application/octet-stream' });
    const response = await this.request('POST', `${API_PREFIX}${uploadsPath(this.channelId)}`, { 'upload-length': String(this.file.size), 'upload-metadata': metadata });
    const location = response.header('location');
    if (!location) throw new ParleyApiError(response.status, { code: 0, message: 'The server did not say where the upload is' });
    this.url = location;
    this.offset = 0;
  }

  private async run(): Promise<Snowflake> {
    const { chunkBytes = DEFAULT_CHUNK_BYTES, retries = 10, retryDelayMs = (n: number) => Math.min(20_000, 500 * 2 ** (n - 1)) } = this.options;
    let failures = 0;
    // A new upload starts at 0; one given by URL (or after any failure) first asks where it stands.
    let ask = this.url !== null;
    this.report();
    for (;;) {
      if (this.isCancelled) throw cancelled();
      if (this.paused) {
        await this.wait(null);
        ask = true;
        continue;
      }
      try {
        if (!this.url) await this.create();
        else if (ask) {
          const head = await this.request('HEAD', this.url, {});
          this.offset = Number(head.header('upload-offset') ?? 0);
          ask = false;
        }
        if (this.offset >= this.file.size) {
          this.report();
          return this.id!;
        }
        const end = Math.min(this.file.size, this.offset + chunkBytes);
        const response = await this.request('PATCH', this.url!, { 'content-type': TUS_CONTENT_TYPE, 'upload-offset': String(this.offset) }, this.file.slice(this.offset, end), (sent) =>
          this.report(sent),
        );
        const offset = Number(response.header('upload-offset'));
        this.offset = Number.isFinite(offset) && offset > this.offset ? offset : end;
        failures = 0;
        this.report();
      } catch (error) {
        if (this.isCancelled) throw cancelled();
        // Stopped by a pause (which may already be over): the loop asks where the upload stands.
        if (error instanceof DOMException && error.name === 'AbortError') {
          ask = true;
          continue;
        }
        if (!retryable(error) || failures >= retries) throw error;
        failures++;
        ask = this.url !== null;
        await this.wait(retryDelayMs(failures));
      }
    }
  }
}
