import type { Snowflake } from '@parley/protocol';
import { type SendFileSignalBody, fileTransferRoutes } from '@parley/protocol/file-transfer';
import type { RestClient } from '../rest';

type Body = SendFileSignalBody extends infer B ? (B extends unknown ? Omit<B, 'to_user_id' | 'from_peer'> : never) : never;

/** Sends this tab's signals through the server (POST /channels/:id/file-signals), signed with its peer ID. */
export class Signaller {
  constructor(
    private readonly rest: RestClient,
    readonly peer: string,
  ) {}

  async send(channelId: Snowflake, toUserId: Snowflake, body: Body): Promise<void> {
    await this.rest.request(fileTransferRoutes.signal, { params: { channel_id: channelId }, body: { ...body, to_user_id: toUserId, from_peer: this.peer } as SendFileSignalBody });
  }
}
