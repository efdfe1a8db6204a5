import { z } from 'zod';
import { Signal } from './file-transfer';
import { Snowflake } from './ids';
import { defineRoute } from './route';

/*
 * The peer-to-peer signaling route (`@parley/protocol/file-transfer`): apart from the main entry,
 * so clients load it with the transfer code, on first use (the offer and the FILE_SIGNAL dispatch
 * are in file-transfer.ts).
 */

/** POST /channels/:channel_id/file-signals: to another member of the channel. */
export const SendFileSignalBody = Signal({ to_user_id: Snowflake });
export type SendFileSignalBody = z.input<typeof SendFileSignalBody>;

export const fileTransferRoutes = {
  signal: defineRoute({
    method: 'POST',
    path: '/channels/:channel_id/file-signals',
    summary: 'Relay peer-to-peer file transfer signaling to another member of the channel (both must be able to read it)',
    tag: 'Messages',
    auth: 'user',
    requires: { channel: ['VIEW_CHANNEL', 'READ_MESSAGE_HISTORY'] },
    params: z.object({ channel_id: Snowflake }),
    body: SendFileSignalBody,
    response: null,
  }),
};
