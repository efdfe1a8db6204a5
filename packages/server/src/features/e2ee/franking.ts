import { createHmac, timingSafeEqual } from 'node:crypto';
import { type EncryptedEnvelope, frankingInput } from '@parley/protocol';
import type { MessageRow } from '../../db/tables';
import { ApiError, fieldError } from '../../http/errors';

/**
 * The text of a reported encrypted message, proven (docs/e2ee.md, "Reporting"): the reporter
 * reveals the text and the franking key from inside the ciphertext, and the HMAC of the text
 * under that key must equal the commitment the author's own request stored with the message.
 * The server learns this one message's text, and nothing else of the conversation.
 */
export function revealedContent(message: MessageRow, reveal: { content: string; franking_key: string } | undefined): string {
  if (message.encrypted === null) return message.content;
  if (!reveal) throw fieldError('reveal', 'BASE_TYPE_REQUIRED', 'An encrypted message is reported with its text and franking key');
  const envelope = JSON.parse(message.encrypted) as EncryptedEnvelope;
  const expected = Buffer.from(envelope.commitment, 'base64');
  const actual = createHmac('sha256', Buffer.from(reveal.franking_key, 'base64'))
    .update(frankingInput(message.channel_id, message.author_id, reveal.content))
    .digest();
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) throw new ApiError('FRANKING_MISMATCH');
  return reveal.content;
}
