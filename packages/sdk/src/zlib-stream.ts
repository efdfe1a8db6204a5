/**
 * Discord's `compress=zlib-stream` transport compression, client side, without any particular
 * zlib: the server compresses everything it sends through one deflate context for the whole
 * connection and ends each message with a sync flush (00 00 ff ff); the client holds one inflate
 * context for the connection and inflates each message once its last byte has arrived. The
 * inflater is handed in (`GatewayOptions.inflater`) so that node:zlib stays out of browser
 * bundles: Node clients use `nodeZlibInflater` from `@parley/sdk/node-zlib`.
 */

/** One inflate context for one connection: each call gets the next message's complete compressed bytes, in order. */
export interface ZlibInflater {
  /** The inflated bytes of one message (UTF-8 JSON); may answer later, but calls are answered in order. */
  inflate(compressed: Uint8Array): Promise<Uint8Array> | Uint8Array;
  /** Frees the context (the connection closed). */
  close(): void;
}

/**
 * What the gateway client holds per compressed connection: frames in, messages' text out, in
 * order (`ZlibStreamReader`). Handed in as a factory (`GatewayOptions.inflater`) so that none of
 * this code, nor any zlib, is in a bundle that does not compress (the web client's).
 */
export interface ZlibStreamDecoder {
  push(chunk: Uint8Array): void;
  then(step: () => void | Promise<void>): void;
  settled(): Promise<void>;
  close(): void;
}
export type ZlibDecoderFactory = (onMessage: (text: string) => void, onError: (error: unknown) => void) => ZlibStreamDecoder;

const SUFFIX = [0x00, 0x00, 0xff, 0xff] as const;

/**
 * Turns one connection's binary frames into its messages' text, in order. Input is buffered until
 * it ends with the 00 00 ff ff that closes a message (a message may span frames; Parley sends one
 * per frame, Discord says not to count on it), then inflated. Only the end of what is buffered
 * is looked at: the same four bytes may occur inside compressed data (a stored block), so a
 * frame holding several flushed messages is inflated whole and its text split into its JSON
 * payloads. After a failure (corrupt or unexpected data) nothing more is decoded: the context is
 * out of step for good, and `onError` should drop the connection.
 */
export class ZlibStreamReader implements ZlibStreamDecoder {
  private parts: Uint8Array[] = [];
  private buffered = 0;
  private chain: Promise<void> = Promise.resolve();
  private failed = false;
  private readonly text = new TextDecoder();

  constructor(
    private readonly inflater: ZlibInflater,
    private readonly onMessage: (text: string) => void,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Takes the next piece of the stream (a frame's payload). */
  push(chunk: Uint8Array): void {
    if (this.failed || chunk.length === 0) return;
    this.parts.push(chunk);
    this.buffered += chunk.length;
    if (!this.endsWithSuffix()) return;
    const compressed = this.parts.length === 1 ? this.parts[0]! : concat(this.parts, this.buffered);
    this.parts = [];
    this.buffered = 0;
    this.then(async () => {
      for (const text of splitPayloads(this.text.decode(await this.inflater.inflate(compressed)))) this.onMessage(text);
    });
  }

  /** Runs `step` after every message pushed so far has been handed on (for a close that follows them). */
  then(step: () => void | Promise<void>): void {
    this.chain = this.chain.then(async () => {
      if (this.failed) return;
      try {
        await step();
      } catch (error) {
        this.failed = true;
        this.onError(error);
      }
    });
  }

  /** Resolves once everything pushed so far has been handed on (or failed). */
  settled(): Promise<void> {
    return this.chain;
  }

  close(): void {
    this.parts = [];
    this.inflater.close();
  }

  /** Whether the last four bytes buffered (possibly across pieces) are 00 00 ff ff. */
  private endsWithSuffix(): boolean {
    if (this.buffered < SUFFIX.length) return false;
    let part = this.parts.length - 1;
    let index = this.parts[part]!.length;
    for (let i = SUFFIX.length - 1; i >= 0; i--) {
      while (index === 0) index = this.parts[--part]!.length;
      if (this.parts[part]![--index] !== SUFFIX[i]) return false;
    }
    return true;
  }
}

/**
 * The JSON payloads in a text holding one or more of them back to back (`{…}{…}`): cut where the
 * outermost object closes, strings and escapes skipped. Almost always one, returned as is.
 */
export function splitPayloads(text: string): string[] {
  const payloads: string[] = [];
  let depth = 0;
  let start = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
    } else if ((c === 0x7d || c === 0x5d) && --depth === 0) {
      payloads.push(start === 0 && i === text.length - 1 ? text : text.slice(start, i + 1).trim());
      start = i + 1;
    }
  }
  const rest = text.slice(start).trim();
  if (rest) payloads.push(rest); // not JSON: the gateway client ignores what it cannot parse
  return payloads;
}

function concat(parts: Uint8Array[], length: number): Uint8Array {
  const whole = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    whole.set(part, offset);
    offset += part.length;
  }
  return whole;
}
