import { ChannelType, type EncryptedEnvelope, type FileOffer, type HistoryRequest, type Message, type SealedFile, type Snowflake, routes } from '@parley/protocol';
import { e2eeRoutes } from '@parley/protocol/e2ee';
import { Emitter } from '../emitter';
import { ParleyApiError } from '../errors';
import type { GatewayEvents } from '../gateway';
import type { RestClient } from '../rest';
import { fromBase64, toBase64 } from './bytes';
import { type BackupSecret, type PassphraseCost, backUpKeys, formatRecoveryKey, newBackupKey, restoreKeys } from './key-backup';
import { DecryptionError, MlsDevice, type MessagePlaintext, type SavedDevice, type SavedEpochs } from './mls-device';
import { openFile, sealFile } from './files';
import { type HistoryKeyPair, historyCode, historySigned, newHistoryKeyPair, openHistory, sealHistory } from './history-sharing';
import { openReactions, sealedReaction } from './reactions';

/*
 * What a client does with its device so that encrypted conversations just work (issue 14): it
 * keeps the device (registered on first use, saved after every change), joins the groups it is
 * welcomed into, follows commits, adds people's new devices, and seals and opens messages. A web
 * client and a terminal client hold one each; they only store the device and show the results.
 *
 * Every MLS operation of the device runs one after the other (one queue): a commit built while
 * another is applied would be built on a state that is about to change.
 */

/** Where a client keeps its device between runs (encrypted at rest: it holds private keys). */
export interface DeviceStore {
  load(): Promise<SavedDevice | null>;
  save(device: SavedDevice): Promise<void>;
}

/** The gateway events this needs: a GatewayClient, or anything relaying its events. */
export interface E2eeEventSource {
  on<
    K extends
      | 'MLS_WELCOME'
      | 'MLS_COMMIT'
      | 'E2EE_DEVICES_UPDATE'
      | 'E2EE_HISTORY_REQUEST'
      | 'E2EE_HISTORY_REQUEST_DONE'
      | 'CHANNEL_RECIPIENT_ADD'
      | 'CHANNEL_RECIPIENT_REMOVE'
      | 'CHANNEL_MEMBER_ADD'
      | 'CHANNEL_MEMBER_REMOVE'
      | 'E2EE_ROSTER_UPDATE'
      | 'READY'
      | 'RESUMED',
  >(
    name: K,
    listener: (payload: GatewayEvents[K]) => void,
  ): () => void;
}

/**
 * A message opened, or why it could not be: `waiting`, this device is not in the conversation's
 * group yet; `before-joined`, it was sealed before this device joined (another device's approval
 * or the key backup brings it). Neither is a failure; every other reason is.
 */
export type Revealed =
  | { content: string; frankingKey: string; files?: SealedFile[]; reactionKey?: string; sharesHistory?: boolean; fileOffer?: FileOffer }
  | { error: DecryptionError['reason'] | 'waiting' | 'before-joined' };

export type EncryptedConversationsEvents = {
  /** A message that could not be opened before may open now (this device joined or caught up): ask again. */
  changed: { channelId: Snowflake };
  /** Something done on an event failed (a welcome, a commit, adding devices): for the client's log. */
  error: { error: unknown };
  /** close() was called: the client stops using this device. */
  closed: undefined;
  /** Another of the person's devices asks for the history: show its code and let the person approve or decline. */
  'history-request': PendingHistoryRequest;
  /** A request was approved, declined or withdrawn (on any device): its prompt closes. */
  'history-request-done': { id: Snowflake; approved: boolean };
  /** This device's own request was answered: approved (the history opens now) or declined. */
  'history-answered': { approved: boolean };
};

/** Another device's request for the history, with the code to compare with what that device shows. */
export type PendingHistoryRequest = HistoryRequest & { code: string };

/** A person as this device sees them in a conversation: the code to compare in person, and whether it still matches what was verified. */
export interface Verification {
  code: { digits: string; emoji: string[] };
  /** What to keep when the person is verified (their devices and keys). */
  fingerprint: string;
  state: 'unverified' | 'verified' | 'changed';
}

/** Sealing waits for this device to be let into the group (by another of the person's devices or a member's). */
const NO_BACKUP = 90077;

export class NotInGroupError extends Error {
  constructor(readonly channelId: Snowflake) {
    super('This device is not in the conversation yet: one of the other members’ devices has to let it in. Try again in a moment.');
    this.name = 'NotInGroupError';
  }
}

export class EncryptedConversations extends Emitter<EncryptedConversationsEvents> {
  /** Messages opened (or not), by message ID and envelope (an edit is a new envelope). */
  private readonly revealed = new Map<string, Revealed>();
  /** Conversations whose group may miss someone's device: synced before this device next seals there. */
  private readonly stale = new Set<Snowflake>();
  /** Channels learnt to be threads (their channel's ID) or not (null): see groupOf. */
  private readonly threadParents = new Map<Snowflake, Snowflake | null>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly stops: (() => void)[] = [];
  /** The key of the person's backup, once set up or restored here: the backup then follows every new epoch. */
  private backupKey: Uint8Array | null = null;
  private backedUpEpochs = 0;
  /** This device's request for the history while it waits for another device to approve it. */
  private asking: { id: Snowflake; keys: HistoryKeyPair } | null = null;
  /** Messages this device could not open, by reason: what a client shows and what should stay at zero. */
  readonly failures = new Map<string, number>();

  private constructor(
    readonly device: MlsDevice,
    private readonly rest: RestClient,
    private readonly store: DeviceStore,
  ) {
    super();
  }

  /**
   * The signed-in person's device on this client: the saved one, or a new one registered
   * (also when the saved one belongs to someone else or was removed from the account).
   */
  static async start(options: { rest: RestClient; events: E2eeEventSource; userId: Snowflake; store: DeviceStore; deviceName: string }): Promise<EncryptedConversations> {
    const { rest, events, userId, store, deviceName } = options;
    const saved = await store.load();
    let conversations: EncryptedConversations | null = null;
    const persist = (device: MlsDevice) => store.save(conversations?.snapshot() ?? device.save());
    let device: MlsDevice | null = null;
    if (saved?.userId === userId) {
      const devices = await rest.request(e2eeRoutes.userDevices, { params: { user_id: userId } });
      if (devices.some((d) => d.id === saved.deviceId)) {
        device = await MlsDevice.load(rest, saved);
        const loaded = device;
        loaded.persist = () => persist(loaded);
        // A client stopped while publishing its key packages publishes them now.
        await device.replenishKeyPackages();
      }
    }
    // Saved as soon as it exists, so a client stopped while registering does not leave a device it cannot use.
    device ??= await MlsDevice.register(rest, userId, deviceName, persist);
    conversations = new EncryptedConversations(device, rest, store);
    if (saved?.deviceId === device.deviceId && saved.backupKey) conversations.backupKey = fromBase64(saved.backupKey);
    conversations.backedUpEpochs = device.knownEpochs();
    await store.save(conversations.snapshot());
    conversations.listen(events);
    await conversations.run(() => conversations.catchUpAll());
    return conversations;
  }

  close(): void {
    for (const stop of this.stops.splice(0)) stop();
    this.emit('closed', undefined);
  }

  /** Whether this device keeps the person's key backup current (it set it up or restored it). */
  get backingUp(): boolean {
    return this.backupKey !== null;
  }

  /** Whether the person has a key backup (made on some device). */
  async backupExists(): Promise<boolean> {
    try {
      await this.rest.request(e2eeRoutes.getBackup);
      return true;
    } catch (error) {
      if (error instanceof ParleyApiError && error.code === NO_BACKUP) return false;
      throw error;
    }
  }

  /**
   * Starts the person's key backup (or replaces its key): every message key this device holds,
   * sealed under a new key the server never sees. Answers the recovery key, to show once.
   * `passphrase` also opens it (Argon2id).
   */
  setUpBackup(options: { passphrase?: string; cost?: PassphraseCost } = {}): Promise<string> {
    return this.run(async () => {
      const key = await newBackupKey();
      await backUpKeys(this.rest, this.device, key, options);
      this.backupKey = key;
      this.backedUpEpochs = this.device.knownEpochs();
      return formatRecoveryKey(key);
    });
  }

  /**
   * Restores the person's backup on this device (a new one, or one replacing a lost one): what
   * was sent before it joined opens, and from now on it keeps the backup current too.
   */
  restoreBackup(secret: BackupSecret): Promise<void> {
    return this.run(async () => {
      this.backupKey = await restoreKeys(this.rest, this.device, secret);
      await backUpKeys(this.rest, this.device, this.backupKey);
      this.backedUpEpochs = this.device.knownEpochs();
      // What failed for want of these keys is opened again when asked.
      for (const [key, result] of [...this.revealed]) if ('error' in result) this.revealed.delete(key);
      for (const channelId of Object.keys(this.device.exportEpochs())) this.emit('changed', { channelId: channelId as Snowflake });
    });
  }

  /**
   * Asks the person's other devices for the history (what was sent before this device joined).
   * Answers the code to show: the person approves on another device when it shows the same.
   * The answer arrives as 'history-answered'; asking again replaces the request.
   */
  async askForHistory(): Promise<{ id: Snowflake; code: string }> {
    const keys = newHistoryKeyPair();
    const publicKey = toBase64(keys.publicKey);
    const request = await this.rest.request(e2eeRoutes.requestHistory, { params: { device_id: this.device.deviceId }, body: { public_key: publicKey } });
    this.asking = { id: request.id, keys };
    return { id: request.id, code: historyCode(publicKey) };
  }

  /** Other devices' requests for the history, waiting for this person's approval (none for a device that holds no history to give). */
  async historyRequests(): Promise<PendingHistoryRequest[]> {
    if (this.device.knownEpochs() === 0) return [];
    const requests = await this.rest.request(e2eeRoutes.historyRequests);
    return requests.filter((r) => r.device_id !== this.device.deviceId).map((r) => ({ ...r, code: historyCode(r.public_key) }));
  }

  /**
   * Approves another device's request (the person compared the codes): the history's keys,
   * sealed to it and signed by this device, so the asking device can tell they came from a
   * device of this person (a sealed box alone says nothing of who sealed it).
   */
  approveHistory(request: HistoryRequest): Promise<void> {
    return this.run(
      async () => {
        const sealed = sealHistory(this.device, this.backupKey, request.public_key);
        const signature = toBase64(await this.device.signAsDevice(historySigned(request.id, request.public_key, sealed)));
        await this.rest.request(e2eeRoutes.approveHistoryRequest, { params: { request_id: request.id }, body: { device_id: this.device.deviceId, sealed, signature } });
      },
      () => false,
    );
  }

  /** Declines another device's request (or withdraws this device's own). */
  async declineHistory(requestId: Snowflake): Promise<void> {
    await this.rest.request(e2eeRoutes.deleteHistoryRequest, { params: { request_id: requestId } });
  }

  /** This device's request was approved: takes the keys, then the history opens and the backup (if any) is kept here too. */
  private async takeHistory(): Promise<void> {
    const asking = this.asking;
    if (!asking) return;
    let request: HistoryRequest;
    try {
      request = await this.rest.request(e2eeRoutes.historyRequest, { params: { request_id: asking.id } });
    } catch (error) {
      if (!(error instanceof ParleyApiError && error.status === 404)) throw error;
      // Declined, withdrawn or expired while this client was away.
      this.asking = null;
      this.emit('history-answered', { approved: false });
      return;
    }
    if (!request.sealed || !request.signature || !request.approved_by) return;
    // Only a device of this person that a shared group knows may hand over history: anyone else
    // holding the session (or the server) could seal a made-up history to the same public key.
    const signed = historySigned(request.id, toBase64(asking.keys.publicKey), request.sealed);
    if (!(await this.device.verifyDevice(this.device.userId, request.approved_by, signed, fromBase64(request.signature)))) {
      this.asking = null;
      await this.rest.request(e2eeRoutes.deleteHistoryRequest, { params: { request_id: asking.id } }).catch(() => undefined);
      this.emit('error', { error: new Error('A history approval was not signed by one of your devices: it was ignored') });
      this.emit('history-answered', { approved: false });
      return;
    }
    const { epochs, backupKey } = openHistory(request.sealed, asking.keys);
    this.device.importEpochs(epochs);
    this.backupKey ??= backupKey;
    this.asking = null;
    // Saved before the request is forgotten and anyone is told: a client that goes right after keeps the keys.
    await this.store.save(this.snapshot());
    await this.rest.request(e2eeRoutes.deleteHistoryRequest, { params: { request_id: asking.id } }).catch(() => undefined);
    for (const [key, result] of [...this.revealed]) if ('error' in result) this.revealed.delete(key);
    for (const channelId of Object.keys(epochs)) this.emit('changed', { channelId: channelId as Snowflake });
    this.emit('history-answered', { approved: true });
  }

  /** The envelope for a message's text in an encrypted conversation (the body's `encrypted`). */
  seal(channelId: Snowflake, content: string): Promise<EncryptedEnvelope> {
    return this.sealPlaintext(channelId, { content });
  }

  /**
   * A message as the Outbox's `seal` takes it: each file sealed under a key of its own
   * (files.ts), to upload in its place, and the envelope whose text names them with their keys.
   * An edit (`editing`: the message it replaces) keeps the files that message named.
   */
  async sealMessage(channelId: Snowflake, content: string, files: readonly File[] = [], editing?: Snowflake): Promise<{ encrypted: EncryptedEnvelope; files: File[] }> {
    if (editing !== undefined) {
      // An edit keeps what only the sealed text knows (its files' keys, its reactions' key): the
      // message must have been opened here, or they would be lost for everyone.
      const original = this.opened(editing);
      if (!original) throw new Error('This message has not been opened on this device, so it cannot be edited here.');
      const encrypted = await this.sealPlaintext(channelId, {
        content,
        ...(original.files?.length && { files: original.files }),
        ...(original.reactionKey && { reactionKey: original.reactionKey }),
        ...(original.fileOffer && { fileOffer: original.fileOffer }),
      });
      return { encrypted, files: [] };
    }
    const sealed = await Promise.all(files.map((file) => sealFile(file)));
    const encrypted = await this.sealPlaintext(channelId, { content, ...(sealed.length && { files: sealed.map((s) => s.meta) }) });
    return { encrypted, files: sealed.map((s) => new File([s.sealed], 'encrypted.bin', { type: 'application/octet-stream' })) };
  }

  /** The envelope of a message offering a file peer to peer (file-transfer/): the offer is sealed with it. */
  sealFileOffer(channelId: Snowflake, offer: FileOffer): Promise<EncryptedEnvelope> {
    return this.sealPlaintext(channelId, { content: '', fileOffer: offer });
  }

  /** A message this device opened (any version of it: what edits keep is the same in all). */
  private opened(messageId: Snowflake): Extract<Revealed, { content: string }> | undefined {
    for (const [key, result] of this.revealed) if (key.startsWith(`${messageId}:`) && 'content' in result) return result;
    return undefined;
  }

  private sealPlaintext(channelId: Snowflake, plaintext: MessagePlaintext): Promise<EncryptedEnvelope> {
    return this.run(async () => {
      const group = await this.groupOf(channelId);
      await this.enterGroup(group);
      if (this.device.epoch(group) === null) throw new NotInGroupError(group);
      if (this.stale.delete(group)) await this.device.syncMembers(group);
      return this.device.encryptMessage(group, plaintext, channelId);
    });
  }

  /**
   * The conversation whose group seals a channel's messages: the channel itself, or for a thread
   * the channel it is in (bound to the thread all the same: a message cannot be moved between
   * them). Learnt once per channel.
   */
  private async groupOf(channelId: Snowflake): Promise<Snowflake> {
    if (this.device.epoch(channelId) !== null) return channelId;
    let parent = this.threadParents.get(channelId);
    if (parent === undefined) {
      try {
        const channel = await this.rest.request(routes.channels.get, { params: { channel_id: channelId } });
        parent = channel.type === ChannelType.PUBLIC_THREAD ? (channel.parent_id ?? null) : null;
      } catch (error) {
        // Out of reach (removed from it): what it is matters no more, its messages stay closed.
        if (!(error instanceof ParleyApiError && (error.status === 403 || error.status === 404))) throw error;
        parent = null;
      }
      this.threadParents.set(channelId, parent);
    }
    return parent ?? channelId;
  }

  /**
   * Shares what this device reads of a conversation's history with its members as they are now,
   * so those added later read what came before they joined (those added after this message do
   * not): the message keys of every epoch it holds there, in a sealed file of a sealed message,
   * which members' devices take in when they open it. A member trusts it as they trust the one
   * who shares it (see docs/e2ee.md).
   */
  async shareHistory(channelId: Snowflake): Promise<Message> {
    const epochs = this.device.exportEpochs()[channelId];
    if (!epochs || Object.keys(epochs).length === 0) throw new Error('This device holds none of this conversation’s history to share');
    const history = new File([JSON.stringify({ [channelId]: epochs } satisfies SavedEpochs)], 'history.json', { type: 'application/json' });
    const { sealed, meta } = await sealFile(history);
    const encrypted = await this.sealPlaintext(channelId, { content: 'Shared the conversation’s earlier history with its members.', files: [meta], sharesHistory: true });
    return this.rest.request(routes.messages.create, { params: { channel_id: channelId }, body: { encrypted }, files: [new File([sealed], 'encrypted.bin', { type: 'application/octet-stream' })] });
  }

  /**
   * Takes in a history shared with the conversation's members: only that conversation's, only
   * epochs older than any this device holds (nothing it holds is replaced), and then opens again
   * what failed for want of them. False when it brought nothing.
   */
  private async takeSharedHistory(channelId: Snowflake, message: Partial<Pick<Message, 'attachments'>>, opened: Extract<Revealed, { content: string }>): Promise<boolean> {
    const meta = opened.files?.[0];
    const url = message.attachments?.[0]?.url;
    if (!meta || !url) return false;
    const first = this.device.firstEpoch(channelId) ?? Infinity;
    let shared: SavedEpochs;
    try {
      shared = JSON.parse(await (await openFile(await this.rest.file(url), meta)).text()) as SavedEpochs;
    } catch {
      return false;
    }
    const earlier = Object.entries(shared[channelId] ?? {}).filter(([epoch]) => Number(epoch) < first);
    if (earlier.length === 0) return false;
    try {
      this.device.importEpochs({ [channelId]: Object.fromEntries(earlier) });
    } catch {
      // Not the shape of message keys: a careless or hostile member's file is left aside.
      return false;
    }
    for (const [key, result] of [...this.revealed]) if ('error' in result) this.revealed.delete(key);
    this.emit('changed', { channelId });
    return true;
  }

  /** What this device has made of a message so far (undefined: not asked yet or still opening). */
  peek(message: Pick<Message, 'id' | 'encrypted'>): Revealed | undefined {
    return message.encrypted ? this.revealed.get(keyOf(message.id, message.encrypted)) : undefined;
  }

  /**
   * Opens a message of an encrypted conversation. One this device cannot open yet (it was
   * not in the group then, or has not caught up) is tried again after catching up; a failure
   * is counted once per message, by reason.
   */
  reveal(message: Pick<Message, 'id' | 'channel_id' | 'author' | 'encrypted'> & Partial<Pick<Message, 'attachments'>>): Promise<Revealed> {
    const envelope = message.encrypted;
    if (!envelope) return Promise.resolve({ content: '', frankingKey: '' });
    const key = keyOf(message.id, envelope);
    const known = this.revealed.get(key);
    if (known && !('error' in known && known.error === 'waiting')) return Promise.resolve(known);
    // A message that opens at once changed nothing this device holds: nothing to save.
    let changed = false;
    return this.run(
      async () => {
        const group = await this.groupOf(message.channel_id);
        const open = () => this.open(group, message.author.id, envelope, message.channel_id);
        let result = await open();
        // Sealed before the oldest epoch this device holds: no catching up brings it (approval or the backup does).
        const beforeJoined = 'error' in result && result.error === 'unknown-epoch' && envelope.epoch < (this.device.firstEpoch(group) ?? Infinity);
        if ('error' in result && !beforeJoined && result.error !== 'bad-signature' && result.error !== 'bad-ciphertext' && result.error !== 'bad-commitment') {
          changed = true;
          try {
            await this.enterGroup(group);
            await this.device.catchUp(group);
            result = await open();
          } catch (error) {
            // No longer allowed in the conversation (removed from it): the message stays closed, as it should.
            if (!(error instanceof ParleyApiError && (error.status === 403 || error.status === 404))) throw error;
          }
        }
        // Not in the group yet and the message is newer than anything held: it opens once this device is let in.
        if ('error' in result && this.device.epoch(group) === null && result.error === 'not-a-member') result = { error: 'waiting' };
        if ('error' in result && result.error === 'unknown-epoch' && envelope.epoch < (this.device.firstEpoch(group) ?? Infinity)) result = { error: 'before-joined' };
        if ('error' in result && result.error !== 'waiting' && result.error !== 'before-joined' && !this.revealed.has(key)) this.failures.set(result.error, (this.failures.get(result.error) ?? 0) + 1);
        this.revealed.set(key, result);
        if ('content' in result && result.sharesHistory && (await this.takeSharedHistory(group, message, result))) changed = true;
        return result;
      },
      () => changed,
    );
  }

  /**
   * What to react with on a message of an encrypted conversation: the emoji sealed under the
   * message's reaction key (reactions.ts). Null until the message was opened on this device.
   */
  reactionFor(message: Pick<Message, 'id'>, emoji: string): string | null {
    const key = this.opened(message.id)?.reactionKey;
    return key ? sealedReaction(fromBase64(key), message.id, emoji) : null;
  }

  /** Which emoji a message's sealed reactions are, among the candidates (the emoji this client offers). */
  openReactions(message: Pick<Message, 'id'>, tokens: Iterable<string>, candidates: Iterable<string>): Map<string, string> {
    const key = this.opened(message.id)?.reactionKey;
    return key ? openReactions(fromBase64(key), message.id, tokens, candidates) : new Map();
  }

  /** Joins or starts a conversation's group now (before a first message, e.g. to compare safety codes). */
  prepare(channelId: Snowflake): Promise<void> {
    return this.run(async () => this.enterGroup(await this.groupOf(channelId)));
  }

  /**
   * The safety code shared with someone in a conversation, and how their devices stand against
   * the fingerprint this person verified earlier (if any): `changed` means a device was added or
   * replaced since, to check again. Null until this device is in the conversation's group.
   */
  verification(channelId: Snowflake, otherUserId: Snowflake, verifiedFingerprint?: string): Verification | null {
    if (this.device.epoch(channelId) === null) return null;
    const fingerprint = this.device.personFingerprint(channelId, otherUserId);
    const state = verifiedFingerprint === undefined ? 'unverified' : verifiedFingerprint === fingerprint ? 'verified' : 'changed';
    return { code: this.device.safetyCode(channelId, otherUserId), fingerprint, state };
  }

  private async open(channelId: Snowflake, authorId: Snowflake, envelope: EncryptedEnvelope, postedIn: Snowflake): Promise<Revealed> {
    try {
      return await this.device.decryptMessage(channelId, authorId, envelope, postedIn);
    } catch (error) {
      if (error instanceof DecryptionError) return { error: error.reason };
      throw error;
    }
  }

  /**
   * Makes sure this device is in a conversation's group: joins with a welcome waiting for it,
   * or starts the group when nobody has (the server has no commit for it yet).
   */
  private async enterGroup(channelId: Snowflake): Promise<void> {
    if (this.device.epoch(channelId) !== null) return;
    if (await this.takeWelcomes()) return;
    const { epoch } = await this.rest.request(e2eeRoutes.groupState, { params: { channel_id: channelId } });
    if (epoch > 0) return;
    const people = await this.rest.request(e2eeRoutes.conversationDevices, { params: { channel_id: channelId } });
    if (!(await this.device.startGroup(channelId, [...new Set(people.map((d) => d.user_id))]))) await this.takeWelcomes();
  }

  /** Joins every group a welcome waits for; true if any. */
  private async takeWelcomes(): Promise<boolean> {
    const joined = await this.device.takeWelcomes();
    for (const channelId of joined) this.emit('changed', { channelId });
    return joined.length > 0;
  }

  /** After a start or a reconnect: welcomes and commits that came while this client was away. */
  private async catchUpAll(): Promise<void> {
    await this.takeWelcomes();
    for (const channelId of this.device.conversations()) {
      await this.device.catchUp(channelId);
      // Devices added while this client was away may not be in the group yet.
      this.stale.add(channelId);
    }
  }

  private listen(events: E2eeEventSource): void {
    const changed = (channelId: Snowflake) => this.emit('changed', { channelId });
    this.stops.push(
      events.on('MLS_WELCOME', (welcome) => {
        if (welcome.device_id !== this.device.deviceId) return;
        this.background(async () => {
          if (await this.device.join(welcome)) changed(welcome.channel_id);
        });
      }),
      events.on('MLS_COMMIT', (commit) => this.background(() => this.device.receiveCommit(commit))),
      // Someone's devices changed: the groups this device holds add or remove them now (every
      // member's device may race to; the server keeps one commit and the rest find nothing to do).
      events.on('E2EE_DEVICES_UPDATE', () => this.background(() => this.syncAll())),
      // Someone joined a group DM or an encrypted private channel: their devices go in with this device's next message…
      events.on('CHANNEL_RECIPIENT_ADD', ({ channel_id }) => this.stale.add(channel_id)),
      events.on('CHANNEL_MEMBER_ADD', ({ channel_id }) => this.stale.add(channel_id)),
      // …and someone who left is taken out at once: they read nothing sent after.
      events.on('CHANNEL_RECIPIENT_REMOVE', ({ channel_id, user }) => this.removeLeavers(channel_id, [user.id])),
      events.on('CHANNEL_MEMBER_REMOVE', ({ channel_id, user }) => this.removeLeavers(channel_id, [user.id])),
      // The readers of an encrypted server's channel follow who may view it (the server says who came and went).
      events.on('E2EE_ROSTER_UPDATE', ({ channel_id, added, removed }) => {
        if (added.length) this.stale.add(channel_id);
        if (removed.length) this.removeLeavers(channel_id, removed);
      }),
      events.on('E2EE_HISTORY_REQUEST', (request) => {
        if (request.device_id !== this.device.deviceId && this.device.knownEpochs() > 0) this.emit('history-request', { ...request, code: historyCode(request.public_key) });
      }),
      events.on('E2EE_HISTORY_REQUEST_DONE', (done) => {
        this.emit('history-request-done', { id: done.id, approved: done.approved });
        if (done.id !== this.asking?.id) return;
        if (done.approved) this.background(() => this.takeHistory());
        else {
          this.asking = null;
          this.emit('history-answered', { approved: false });
        }
      }),
      // After a start or a reconnect: what came while away (and an answer to this device's request).
      events.on('READY', () => this.background(() => this.catchUpAll().then(() => this.takeHistory()))),
      events.on('RESUMED', () => this.background(() => this.catchUpAll().then(() => this.takeHistory()))),
    );
  }

  /** Takes those who left out of the group at once, unless this device's person is among them (then it is out of reach). */
  private removeLeavers(channelId: Snowflake, leavers: readonly Snowflake[]): void {
    if (leavers.includes(this.device.userId)) return;
    if (this.device.epoch(channelId) !== null) this.background(() => this.device.syncMembers(channelId));
  }

  private async syncAll(): Promise<void> {
    for (const channelId of this.device.conversations()) {
      await this.device.syncMembers(channelId);
      this.stale.delete(channelId);
    }
  }

  private background(operation: () => Promise<unknown>): void {
    this.run(operation).catch((error: unknown) => this.emit('error', { error }));
  }

  /** What the client stores: the device, and the backup key if this device keeps the backup. */
  private snapshot(): SavedDevice {
    return { ...this.device.save(), ...(this.backupKey && { backupKey: toBase64(this.backupKey) }) };
  }

  /**
   * Runs one operation after the others, then saves the device (unless the operation says it
   * changed nothing) and, when it learnt the keys of a new epoch, brings the backup up to date;
   * a failure is the caller's and does not stop the queue.
   */
  private run<T>(operation: () => Promise<T>, changedState: () => boolean = () => true): Promise<T> {
    const result = this.queue.then(async () => {
      try {
        return await operation();
      } finally {
        if (changedState()) await this.store.save(this.snapshot());
        const known = this.device.knownEpochs();
        if (this.backupKey && known !== this.backedUpEpochs) {
          await backUpKeys(this.rest, this.device, this.backupKey).then(
            () => (this.backedUpEpochs = known),
            (error: unknown) => this.emit('error', { error }),
          );
        }
      }
    });
    this.queue = result.catch(() => undefined);
    return result;
  }
}

function keyOf(messageId: Snowflake, envelope: EncryptedEnvelope): string {
  return `${messageId}:${envelope.signature}`;
}
