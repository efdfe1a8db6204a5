import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock';
import type { AttachmentRow, Tables } from '../../db/tables';
import { instanceSecret } from '../instance/secrets';

/** How long a download link works. */
const LINK_LIFETIME_MS = 24 * 60 * 60 * 1000;
/**
 * Links are issued on the hour, so every message load within an hour gives the same URL and
 * browsers can cache the file; a link therefore works for 23 to 24 hours.
 */
const ISSUE_STEP_MS = 60 * 60 * 1000;

/** The query parameters of a signed link, Discord's names: expiry and issue time (hex seconds), HMAC. */
export interface LinkSignature {
  ex?: string | undefined;
  is?: string | undefined;
  hm?: string | undefined;
}

type Linkable = Pick<AttachmentRow, 'channel_id' | 'id' | 'filename'>;

/**
 * Signed download links for attachments. `<img>` and `<video>` cannot send an Authorization
 * header, so the link itself carries the right to download: an HMAC (with a per-instance key
 * kept in the database, shared by every node) over the channel, the attachment and the
 * expiry. Only people who can read a channel's messages are ever given its links; like
 * Discord's, a link someone passes on works for others until it expires.
 */
export class AttachmentUrls {
  private key: Promise<Buffer> | null = null;

  /** `baseUrl`: the public address links start with (PUBLIC_URL), or '' for links relative to the server. */
  constructor(
    private readonly db: Kysely<Tables>,
    private readonly clock: Clock,
    private readonly baseUrl: string,
  ) {}

  /** A function that signs links (the key is loaded once, then kept): for a whole batch of messages. */
  async signer(): Promise<(row: Linkable, thumbnail?: boolean) => string> {
    const key = await this.secret();
    const issued = Math.floor(this.clock.now() / ISSUE_STEP_MS) * ISSUE_STEP_MS;
    const is = Math.floor(issued / 1000).toString(16);
    const ex = Math.floor((issued + LINK_LIFETIME_MS) / 1000).toString(16);
    return (row, thumbnail = false) => {
      const hm = mac(key, row.channel_id, row.id, ex, is);
      return `${this.baseUrl}/attachments/${row.channel_id}/${row.id}/${encodeURIComponent(row.filename)}?ex=${ex}&is=${is}&hm=${hm}${thumbnail ? '&thumbnail=1' : ''}`;
    };
  }

  /** Whether a link's signature is genuine for this attachment and has not expired. */
  async verify(channelId: string, attachmentId: string, signature: LinkSignature): Promise<boolean> {
    const { ex, is, hm } = signature;
    if (!ex || !is || !hm || !/^[0-9a-f]{1,12}$/.test(ex) || !/^[0-9a-f]{1,12}$/.test(is) || !/^[0-9a-f]{64}$/.test(hm)) return false;
    if (Number.parseInt(ex, 16) * 1000 <= this.clock.now()) return false;
    const expected = Buffer.from(mac(await this.secret(), channelId, attachmentId, ex, is), 'hex');
    return timingSafeEqual(expected, Buffer.from(hm, 'hex'));
  }

  private secret(): Promise<Buffer> {
    // A failed load (database briefly away) is tried again next time rather than remembered.
    this.key ??= instanceSecret(this.db, 'attachment_urls', this.clock.now()).catch((error: unknown) => {
      this.key = null;
      throw error;
    });
    return this.key;
  }
}

function mac(key: Buffer, channelId: string, attachmentId: string, ex: string, is: string): string {
  return createHmac('sha256', key).update(`${channelId}/${attachmentId}/${ex}/${is}`).digest('hex');
}
