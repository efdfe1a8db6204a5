import { type CreateMessageBody, type Message, type Snowflake, routes } from '@parley/protocol';
import { ParleyNetworkError } from './errors';
import type { RestClient, UploadOptions } from './rest';

/** A fresh nonce for a message send (at most 25 characters, as the API allows). */
export function newNonce(): string {
  const random = crypto.getRandomValues(new Uint32Array(2));
  return `${Date.now().toString(36)}${random[0]!.toString(36)}${random[1]!.toString(36)}`.slice(0, 25);
}

export interface SendMessageOptions extends UploadOptions {
  files?: readonly File[];
  /** How many times a send whose answer was lost (network error) is tried in all; default 3. */
  attempts?: number;
}

/**
 * Sends a message so that it is stored once however often it is sent: it carries a nonce (the
 * body's, or a new one) with enforce_nonce, so the server answers a repeat with the message it
 * already stored. A send that failed on the network (the answer may have been lost after the
 * server stored it) is therefore simply tried again, a bounded number of times; a caller's own
 * "retry" should pass the same nonce too.
 */
export async function sendMessage(rest: RestClient, channelId: Snowflake, body: CreateMessageBody, options: SendMessageOptions = {}): Promise<Message> {
  const { files, attempts = 3, ...upload } = options;
  const input = {
    params: { channel_id: channelId },
    body: { ...body, nonce: body.nonce ?? newNonce(), enforce_nonce: true },
    ...(files?.length && { files }),
  };
  for (let attempt = 1; ; attempt++) {
    try {
      return files?.length ? await rest.send(routes.messages.create, input, upload) : await rest.request(routes.messages.create, input);
    } catch (error) {
      if (!(error instanceof ParleyNetworkError) || attempt >= attempts || upload.signal?.aborted) throw error;
    }
  }
}
