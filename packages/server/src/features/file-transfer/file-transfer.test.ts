import { RelationshipType, type Snowflake, routes } from '@parley/protocol';
import { fileTransferRoutes } from '@parley/protocol/file-transfer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect } from '../../testing/collector';
import { failure, makeGuild, signUp } from '../../testing/fixtures';
import { startTestServer, type TestServer } from '../../testing/server';

/*
 * Files offered peer to peer: the offer is part of a message (name, size, type, never the file),
 * and the server relays signaling only between two people who can both read the channel. The
 * transfer itself runs between browsers: e2e/calls/file-transfer.spec.ts.
 */

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const offer = { id: 'o'.repeat(22), filename: 'lecture.mp4', size: 3 * 1024 ** 3, content_type: 'video/mp4' };
const peer = (name: string) => name.padEnd(16, '_');

describe('peer-to-peer file offers', () => {
  it('are messages carrying the offer, larger than any upload, checked field by field', async () => {
    const { owner, general, members } = await makeGuild(server, { members: 1 });
    const reader = await server.connect(members[0]!.client.token!);
    const created = collect(reader.gateway, 'MESSAGE_CREATE');

    const sent = await owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { file_offer: offer } });
    expect(sent.file_offer).toEqual(offer);
    expect(sent.content).toBe('');
    expect(sent.attachments).toEqual([]);
    const [live] = await created.count(1);
    expect(live!.file_offer).toEqual(offer);
    const history = await members[0]!.client.request(routes.messages.list, { params: { channel_id: general.id }, query: { limit: 1 } });
    expect(history[0]!.file_offer).toEqual(offer);

    const refused = async (fileOffer: object, field: string) => {
      const error = await failure(owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { file_offer: fileOffer as typeof offer } }));
      expect(error.code).toBe(50035);
      expect(error.fieldMessage(`file_offer.${field}`)).toBeTruthy();
    };
    await refused({ ...offer, size: 0 }, 'size');
    await refused({ ...offer, id: 'short' }, 'id');
    await refused({ ...offer, filename: 'two\nlines' }, 'filename');
    await refused({ ...offer, content_type: 'not a type' }, 'content_type');
  });

  it('are refused in the clear in an encrypted conversation (the offer travels sealed there)', async () => {
    const { owner, guild } = await makeGuild(server);
    const sealed = await owner.client.request(routes.channels.create, { params: { guild_id: guild.id }, body: { name: 'sealed', type: 0, private: true, e2ee: true } });
    const error = await failure(owner.client.request(routes.messages.create, { params: { channel_id: sealed.id }, body: { file_offer: offer } }));
    expect(error.code).toBe(90075);
  });
});

describe('peer-to-peer signaling', () => {
  it('reaches the other member, only between people who can both read the channel', async () => {
    const { owner, general, guild, members } = await makeGuild(server, { members: 1 });
    const receiver = members[0]!;
    const ownerLive = await server.connect(owner.client.token!);
    const receiverLive = await server.connect(receiver.client.token!);
    const toOwner = collect(ownerLive.gateway, 'FILE_SIGNAL');
    const toReceiver = collect(receiverLive.gateway, 'FILE_SIGNAL');
    const signal = (from: typeof owner, to: Snowflake, body: object, channelId: Snowflake = general.id) =>
      from.client.request(fileTransferRoutes.signal, { params: { channel_id: channelId }, body: { to_user_id: to, offer_id: offer.id, from_peer: peer('from'), ...body } as never });

    // The receiver asks; every tab of the sender hears it.
    await signal(receiver, owner.userId as Snowflake, { type: 'request', offset: 1024 });
    const [request] = await toOwner.count(1);
    expect(request).toEqual({ type: 'request', offset: 1024, offer_id: offer.id, from_peer: peer('from'), channel_id: general.id, from_user_id: receiver.userId });
    // The sender answers that tab with a WebRTC offer.
    await signal(owner, receiver.userId as Snowflake, { type: 'description', to_peer: peer('from'), description: { type: 'offer', sdp: 'v=0\r\n' } });
    const [description] = await toReceiver.count(1);
    expect(description).toMatchObject({ type: 'description', to_peer: peer('from'), from_user_id: owner.userId, description: { type: 'offer', sdp: 'v=0\r\n' } });

    // Strangers and non-readers: no relay either way.
    const stranger = await signUp(server);
    expect((await failure(signal(stranger, owner.userId as Snowflake, { type: 'request', offset: 0 }))).code).toBe(10003);
    expect((await failure(signal(owner, stranger.userId as Snowflake, { type: 'request', offset: 0 }))).code).toBe(10013);
    // A private channel the receiver cannot read.
    const hidden = await owner.client.request(routes.channels.create, { params: { guild_id: guild.id }, body: { name: 'staff', type: 0, private: true } });
    expect((await failure(signal(owner, receiver.userId as Snowflake, { type: 'request', offset: 0 }, hidden.id))).code).toBe(10013);
    // Someone who blocked you.
    await receiver.client.request(routes.relationships.block, { params: { user_id: owner.userId as Snowflake }, body: { type: RelationshipType.BLOCKED } });
    expect((await failure(signal(owner, receiver.userId as Snowflake, { type: 'cancel' }))).code).toBe(50007);

    // Malformed signals are form errors.
    const bad = await failure(signal(receiver, owner.userId as Snowflake, { type: 'description', description: { type: 'offer', sdp: 'x'.repeat(30_001) } }));
    expect(bad.code).toBe(50035);
    expect((await failure(signal(receiver, owner.userId as Snowflake, { type: 'request', offset: -1 }))).code).toBe(50035);
    expect((await failure(signal(receiver, owner.userId as Snowflake, { type: 'request', offset: 0, from_peer: 'bad peer' }))).code).toBe(50035);
    expect((await failure(signal(receiver, owner.userId as Snowflake, { type: 'unknown' }))).code).toBe(50035);
    // Nothing refused reached the owner: the next signal to arrive is the next good one.
    await receiver.client.request(routes.relationships.remove, { params: { user_id: owner.userId as Snowflake } });
    await signal(receiver, owner.userId as Snowflake, { type: 'cancel', reason: 'Changed my mind' });
    const [, next] = await toOwner.count(2);
    expect(next).toMatchObject({ type: 'cancel', reason: 'Changed my mind' });
    expect(toOwner.items).toHaveLength(2);
  });

  it('is rate limited per person', async () => {
    const { owner, general, members } = await makeGuild(server, { members: 1 });
    const send = () =>
      members[0]!.client.request(fileTransferRoutes.signal, {
        params: { channel_id: general.id },
        body: { to_user_id: owner.userId as Snowflake, offer_id: offer.id, from_peer: peer('spam'), type: 'cancel' },
      });
    for (let i = 0; i < 120; i++) await send();
    const limited = await failure(send());
    expect(limited.status).toBe(429);
  });
});
