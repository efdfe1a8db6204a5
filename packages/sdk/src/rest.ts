import { API_PREFIX, ErrorBody, type RouteDef, type RequiredInputKeys, type RouteInput, type RouteResponse, buildPath } from '@parley/protocol';
import { ParleyApiError, ParleyNetworkError } from './errors';

export interface RestOptions {
  /** Where Parley runs, e.g. "https://chat.example.org" or "" for the page's own origin. */
  baseUrl: string;
  token?: string | null;
  /** Defaults to the global fetch. */
  fetch?: typeof fetch;
}

/** What any call may add to its route's input. */
export interface RequestExtras {
  /** Why a moderator does this: recorded in the server's audit log (sent URL-encoded as X-Audit-Log-Reason, as Discord takes it). */
  reason?: string;
}

/** The arguments a route needs: none at all when it has no params, query or body. */
export type RouteArgs<R extends RouteDef> = [RequiredInputKeys<R>] extends [never] ? [input?: RouteInput<R> & RequestExtras] : [input: RouteInput<R> & RequestExtras];

export interface UploadOptions {
  /** Called with bytes sent so far and the total. */
  onProgress?: (sent: number, total: number) => void;
  signal?: AbortSignal;
}

/**
 * Typed REST calls: `rest.request(routes.users.getMe)` returns a PrivateUser. The route
 * definitions come from @parley/protocol, the same ones the server registers.
 */
export class RestClient {
  token: string | null;
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;

  constructor(options: RestOptions) {
    this.baseUrl = options.baseUrl.replace(/\/$/, '');
    this.token = options.token ?? null;
    this.fetchImpl = options.fetch ?? ((...args) => globalThis.fetch(...args));
  }

  async request<R extends RouteDef>(route: R, ...[input]: RouteArgs<R>): Promise<RouteResponse<R>> {
    const { url, headers, body } = this.prepare(route, input);
    let response: Response;
    try {
      response = await this.fetchImpl(url, { method: route.method, headers, body });
    } catch (error) {
      throw new ParleyNetworkError(error);
    }
    return this.parse(response) as Promise<RouteResponse<R>>;
  }

  /**
   * `request` with upload progress and cancelling, for sends that carry files (a message with
   * attachments). Browsers report progress only through XMLHttpRequest; elsewhere this falls
   * back to fetch and reports once at the end.
   */
  async send<R extends RouteDef>(route: R, input: RouteInput<R> & RequestExtras, options: UploadOptions = {}): Promise<RouteResponse<R>> {
    const { url, headers, body } = this.prepare(route, input);
    if (typeof XMLHttpRequest === 'undefined') {
      let response: Response;
      try {
        response = await this.fetchImpl(url, { method: route.method, headers, body, ...(options.signal && { signal: options.signal }) });
      } catch (error) {
        throw options.signal?.aborted ? cancelled() : new ParleyNetworkError(error);
      }
      const result = (await this.parse(response)) as RouteResponse<R>;
      options.onProgress?.(1, 1);
      return result;
    }
    return this.sendWithProgress(route.method, url, headers, body, options) as Promise<RouteResponse<R>>;
  }

  /**
   * A raw-body upload with progress. Browsers report progress only through XMLHttpRequest;
   * elsewhere this falls back to fetch and reports once at the end.
   */
  async upload<R extends RouteDef>(route: R, file: Blob, options: UploadOptions = {}): Promise<RouteResponse<R>> {
    if (typeof XMLHttpRequest === 'undefined') {
      const result = await this.request(route, ...([{ body: file }] as unknown as RouteArgs<R>));
      options.onProgress?.(file.size, file.size);
      return result;
    }
    const { url, headers, body } = this.prepare(route, { body: file });
    return this.sendWithProgress(route.method, url, headers, body, options) as Promise<RouteResponse<R>>;
  }

  /**
   * A request outside the typed routes, for protocols whose state travels in headers (the tus
   * upload protocol: uploads.ts). `path` starts at the server's root (`/api/v10/…`, or a
   * `Location` the server gave). Any status is returned; only an unreachable server throws
   * (ParleyNetworkError; an abort through `signal` rejects with an AbortError). With
   * `onProgress` in a browser the body goes through XMLHttpRequest, which reports its progress.
   */
  async raw(method: string, path: string, init: RawRequest = {}): Promise<RawResponse> {
    const url = /^https?:/.test(path) ? path : `${this.baseUrl}${path}`;
    const headers: Record<string, string> = { ...init.headers };
    if (this.token) headers.authorization = this.token;
    if (init.signal?.aborted) throw cancelled();
    if (init.onProgress && typeof XMLHttpRequest !== 'undefined') return this.rawWithProgress(method, url, headers, init);
    let response: Response;
    try {
      response = await this.fetchImpl(url, { method, headers, ...(init.body && { body: init.body }), ...(init.signal && { signal: init.signal }) });
    } catch (error) {
      throw init.signal?.aborted ? cancelled() : new ParleyNetworkError(error);
    }
    const text = method === 'HEAD' ? '' : await response.text().catch(() => '');
    init.onProgress?.(init.body?.size ?? 0);
    return { status: response.status, header: (name) => response.headers.get(name), error: () => apiError(response.status, response.statusText, text), text };
  }

  private rawWithProgress(method: string, url: string, headers: Record<string, string>, init: RawRequest): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(method, url);
      for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
      xhr.upload.onprogress = (event) => init.onProgress?.(event.loaded);
      xhr.onerror = () => reject(new ParleyNetworkError(null));
      xhr.ontimeout = () => reject(new ParleyNetworkError(null));
      xhr.onabort = () => reject(cancelled());
      xhr.onload = () => {
        const text = xhr.responseText;
        resolve({ status: xhr.status, header: (name) => xhr.getResponseHeader(name), error: () => apiError(xhr.status, xhr.statusText, text), text });
      };
      init.signal?.addEventListener('abort', () => xhr.abort());
      xhr.send(init.body ?? null);
    });
  }

  /** A file the server serves (an attachment's `url`, relative to the server or whole), as bytes. */
  async file(url: string): Promise<Uint8Array> {
    let response: Response;
    try {
      response = await this.fetchImpl(/^https?:/.test(url) ? url : `${this.baseUrl}${url}`);
    } catch (cause) {
      throw new ParleyNetworkError(cause);
    }
    if (!response.ok) throw new ParleyApiError(response.status, { code: 0, message: `The server answered ${response.status} for ${url}` });
    return new Uint8Array(await response.arrayBuffer());
  }

  /** The URL, headers and body of a call, the same for fetch and XMLHttpRequest. */
  private prepare(route: RouteDef, input: unknown): { url: string; headers: Record<string, string>; body: BodyInit | undefined } {
    const { params, query, body, files, reason } = (input ?? {}) as { params?: Record<string, string>; query?: Record<string, unknown>; body?: unknown; files?: readonly File[]; reason?: string };
    const headers: Record<string, string> = {};
    if (this.token) headers.authorization = this.token;
    if (reason) headers['x-audit-log-reason'] = encodeURIComponent(reason);
    let payload: BodyInit | undefined;
    if (files?.length) {
      // Discord's shape: the JSON body as payload_json, files as files[0], files[1]…; the client sets the boundary.
      const form = new FormData();
      files.forEach((file, index) => form.append(`files[${index}]`, file, file.name));
      form.append('payload_json', JSON.stringify(body ?? {}));
      payload = form;
    } else if (route.rawBody) {
      payload = body as Blob;
      headers['content-type'] = (body as Blob).type || 'application/octet-stream';
    } else if (route.body) {
      // An optional body left out is sent as {}, so the server always sees valid JSON.
      payload = JSON.stringify(body ?? {});
      headers['content-type'] = 'application/json';
    }
    return { url: this.url(route, params, query), headers, body: payload };
  }

  private sendWithProgress(method: string, url: string, headers: Record<string, string>, body: BodyInit | undefined, options: UploadOptions): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (options.signal?.aborted) return reject(cancelled());
      const xhr = new XMLHttpRequest();
      xhr.open(method, url);
      for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
      const size = body instanceof Blob ? body.size : 0;
      xhr.upload.onprogress = (event) => options.onProgress?.(event.loaded, event.lengthComputable ? event.total : size);
      xhr.onerror = () => reject(new ParleyNetworkError(null));
      xhr.onabort = () => reject(cancelled());
      xhr.onload = () => {
        const response = new Response(xhr.status === 204 ? null : xhr.responseText, {
          status: xhr.status,
          headers: { 'content-type': xhr.getResponseHeader('content-type') ?? '' },
        });
        this.parse(response).then(resolve, reject);
      };
      options.signal?.addEventListener('abort', () => xhr.abort());
      xhr.send(body as XMLHttpRequestBodyInit | undefined);
    });
  }

  private url(route: RouteDef, params: Record<string, string> | undefined, query: Record<string, unknown> | undefined): string {
    let url = `${this.baseUrl}${API_PREFIX}${buildPath(route.path, params)}`;
    if (query) {
      const search = new URLSearchParams();
      for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== null) search.set(key, String(value));
      const text = search.toString();
      if (text) url += `?${text}`;
    }
    return url;
  }

  private async parse(response: Response): Promise<unknown> {
    if (response.status === 204) return undefined;
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (response.ok) return json;
    throw apiError(response.status, response.statusText, text);
  }
}

/** A request for `RestClient.raw`. */
export interface RawRequest {
  headers?: Record<string, string>;
  body?: Blob;
  signal?: AbortSignal;
  /** Bytes of the body sent so far. */
  onProgress?: (sent: number) => void;
}

/** What `RestClient.raw` answers: the status, the headers, and the refusal as a ParleyApiError. */
export interface RawResponse {
  status: number;
  header(name: string): string | null;
  /** The answer as the error it is (for a status that is not 2xx). */
  error(): ParleyApiError;
  text: string;
}

/** An error answer as a ParleyApiError: the API's code and message, or the status when the body has none. */
function apiError(status: number, statusText: string, text: string): ParleyApiError {
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  const error = ErrorBody.safeParse(json);
  return new ParleyApiError(status, error.success ? error.data : { code: 0, message: `The server answered ${status} ${statusText}`.trim() });
}

/** What a cancelled upload rejects with, as fetch does when aborted. */
function cancelled(): DOMException {
  return new DOMException('Upload cancelled', 'AbortError');
}
