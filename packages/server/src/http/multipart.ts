import { PassThrough, type Readable } from 'node:stream';
import multipart, { type Multipart } from '@fastify/multipart';
import { Limits } from '@parley/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError, fieldError } from './errors';
import type { Auth } from './routes';

/** One file of a multipart request, as it streams in: nothing of it is buffered. */
export interface IncomingFile {
  /** As the client named it (unsanitised: it is the receiver's to clean). */
  filename: string;
  /** As the client declared it (untrusted). */
  contentType: string;
  stream: Readable;
}

/**
 * Where the files sent to a route go (see RouteDef.files). `open` runs once per multipart
 * request, before a single part is read: refusing there (no permission, say) stores nothing.
 * It returns the function that stores each file as it streams in, which must enforce its own
 * byte limit and leave nothing behind when it throws. `discard` removes the files of a request
 * that failed before its handler took them (bad payload_json, a later file too large…).
 */
export interface FileReceiver<Params, Stored> {
  open(input: { params: Params; auth: Auth | null }): Promise<(file: IncomingFile) => Promise<Stored>>;
  discard(files: readonly Stored[]): Promise<void>;
}

/**
 * Accepts multipart/form-data bodies. Only routes that declare `files` read them (through
 * readMultipartBody); every other route refuses them with 415, as it would without the plugin.
 */
export async function installMultipart(app: FastifyInstance): Promise<void> {
  await app.register(multipart, {
    // Receivers count each file's bytes as they store it: busboy need not (and its default,
    // the JSON body limit, would be wrong here).
    limits: { fileSize: Infinity },
    throwFileSizeLimit: false,
  });
}

const MALFORMED = 'Malformed multipart/form-data body';

/**
 * Reads a multipart request the way Discord takes one: the JSON body as a `payload_json` part
 * (any other field is refused), any number of file parts up to `maxCount`, each handed to
 * `store` as it arrives and pushed to `received` once stored, so the caller can discard them
 * if anything later fails. Returns the body, still to be validated by the route's schema ({}
 * when there is no payload_json).
 */
export async function readMultipartBody<Stored>(request: FastifyRequest, options: { maxCount: number }, store: (file: IncomingFile) => Promise<Stored>, received: Stored[]): Promise<unknown> {
  const parts = request.parts({
    limits: { files: options.maxCount + 1, fields: 4, parts: options.maxCount + 4, fieldSize: Limits.jsonBodyMaxBytes },
  });
  let body: unknown;
  for (;;) {
    let part: Multipart;
    try {
      const next = await parts.next();
      if (next.done) break;
      part = next.value;
    } catch (error) {
      throw parserError(error, options.maxCount);
    }
    if (part.type === 'file') {
      if (received.length === options.maxCount) {
        part.file.destroy();
        throw tooManyFiles(options.maxCount);
      }
      const stream = guarded(part.file);
      try {
        received.push(await store({ filename: part.filename, contentType: part.mimetype, stream }));
      } catch (error) {
        stream.destroy(); // a receiver that failed before reading to the end must not stall the parser
        throw error;
      }
    } else if (part.fieldname === 'payload_json' && body === undefined) {
      body = parsePayloadJson(part.value, part.mimetype, part.valueTruncated);
    } else {
      throw new ApiError('BAD_REQUEST', { message: `${MALFORMED}: unexpected field "${part.fieldname.slice(0, 64)}" (send the JSON body once, as payload_json, and files as files[n])` });
    }
  }
  return body ?? {};
}

function parsePayloadJson(value: unknown, mimetype: string, truncated: boolean): unknown {
  if (truncated) throw new ApiError('PAYLOAD_TOO_LARGE', { message: `payload_json must be at most ${Limits.jsonBodyMaxBytes / 1024} KiB` });
  // The plugin has already parsed a part declared as application/json.
  if (mimetype.startsWith('application/json')) return value;
  try {
    return JSON.parse(String(value));
  } catch {
    throw new ApiError('INVALID_JSON', { message: 'payload_json is not valid JSON' });
  }
}

function tooManyFiles(maxCount: number): ApiError {
  return fieldError('files', 'BASE_TYPE_MAX_LENGTH', `Must be ${maxCount} or fewer in length`);
}

/** What the parser (busboy, through the plugin) throws becomes a client error saying what went wrong. */
function parserError(error: unknown, maxCount: number): ApiError {
  const code = (error as { code?: string }).code;
  if (code === 'FST_FILES_LIMIT') return tooManyFiles(maxCount);
  if (code === 'FST_INVALID_JSON_FIELD_ERROR') return new ApiError('INVALID_JSON', { message: 'payload_json is not valid JSON' });
  if (code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') return new ApiError('BAD_REQUEST', { message: `${MALFORMED}: too many parts` });
  const detail = error instanceof Error ? error.message : '';
  return new ApiError('BAD_REQUEST', { message: detail ? `${MALFORMED}: ${detail}` : MALFORMED });
}

/**
 * The file part's stream as a receiver gets it. A part that breaks off (the body ends or its
 * boundary is garbled) fails with a 400 saying so, not with busboy's bare error (a 500 after
 * a store rethrows it); a receiver that stops reading (too large) stops the parser too.
 */
function guarded(file: Readable): Readable {
  const out = new PassThrough();
  const brokenOff = (error: Error | null) => out.destroy(new ApiError('BAD_REQUEST', { message: `${MALFORMED}: ${error?.message ?? 'a file part ended early'}` }));
  // The receiver may still be getting ready (creating a directory) when the part breaks off: the
  // error must not go unheard meanwhile. It stays on the stream, and the receiver's pipeline
  // fails with it as soon as it starts reading.
  out.on('error', () => undefined);
  // When the whole body had already arrived, the parser may have given up on this part before
  // it was handed over: it is destroyed already and will never say so again.
  if (file.destroyed) {
    brokenOff(file.errored);
    return out;
  }
  file.on('error', brokenOff);
  out.on('close', () => {
    if (!file.readableEnded) file.destroy();
  });
  file.pipe(out);
  return out;
}
