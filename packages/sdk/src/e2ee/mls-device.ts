import { type EncryptedEnvelope, FileOffer, MessageContent, type MlsCommit, type MlsWelcome, type SealedFile, SealedFiles, type Snowflake, frankingInput } from '@parley/protocol';
import sodium from 'libsodium-wrappers-sumo';
import { E2eeLimits, e2eeRoutes } from '@parley/protocol/e2ee';
import {
  type CiphersuiteImpl,
  type ClientState,
  type Credential,
  type KeyPackage,
  type PrivateKeyPackage,
  type Proposal,
  acceptAll,
  createCommit,
  createGroup,
  decodeGroupState,
  decodeMlsMessage,
  defaultAuthenticationService,
  defaultCapabilities,
  defaultKeyPackageEqualityConfig,
  defaultKeyRetentionConfig,
  defaultLifetimeConfig,
  defaultPaddingConfig,
  encodeGroupState,
  defaultLifetime,
  emptyPskIndex,
  encodeMlsMessage,
  generateKeyPackageWithKey,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
  joinGroup,
  mlsExporter,
  processMessage,
} from 'ts-mls';
import { ParleyApiError } from '../errors';
import type { RestClient } from '../rest';
import { concat, fromBase64, toBase64 } from './bytes';
import { newReactionKey } from './reactions';

/*
 * One device's side of end-to-end encrypted conversations (issue 14): an MLS client (ts-mls,
 * RFC 9420) whose delivery service is the Parley server (protocol/e2ee.ts). Each conversation is
 * one MLS group with one leaf per device; a leaf's credential names its device as
 * `<user id>:<device id>`, so members know whose devices are in. The server orders commits one
 * per epoch: a device whose commit lost the race applies the winner's and tries again, so every
 * device walks the same sequence of epochs and nobody's state diverges.
 *
 * A client keeps what save() returns between runs (load() brings it back); storing it encrypted
 * at rest is the client's job.
 */

const SUITE = 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519';
/** Key packages kept on the server for others to add this device with. */
const KEY_PACKAGES_KEPT = 10;
/** Private halves of published key packages kept: those the server still holds, and some claimed ones in flight. */
const KEY_PRIVATE_HALVES_KEPT = 100;
/** Losing a commit race this many times in a row means something else is wrong. */
const COMMIT_ATTEMPTS = 20;
const MLS_EPOCH_STALE = 90072;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** What a message's envelope holds once opened. */
export interface MessagePlaintext {
  content: string;
  /** Its files, sealed and uploaded apart (files.ts): the n-th is the message's n-th attachment. */
  files?: SealedFile[];
  /** Its reactions' key (reactions.ts), base64: a new one for a new message, the same for an edit. */
  reactionKey?: string;
  /** Its one file holds the conversation's earlier message keys, shared with its members (conversations.ts). */
  sharesHistory?: boolean;
  /** A file offered peer to peer (file-transfer/): named here, where only the conversation reads it. */
  fileOffer?: FileOffer;
}

/** An opened message, with the franking key that lets its reader prove who wrote it (in a report). */
export interface OpenedMessage extends MessagePlaintext {
  frankingKey: string;
}

/** Why a message could not be opened. Each is counted by clients: the goal is that none ever happens. */
export class DecryptionError extends Error {
  constructor(
    readonly reason: 'not-a-member' | 'unknown-epoch' | 'unknown-device' | 'wrong-author' | 'bad-signature' | 'bad-ciphertext' | 'bad-commitment',
    message: string,
  ) {
    super(message);
    this.name = 'DecryptionError';
  }
}

/** An epoch this device was in: the key its messages are sealed with, and who could sign them. */
interface EpochKeys {
  messageKey: Uint8Array;
  /** Device ID → its user and signature public key, as the group's tree had them. */
  signers: Map<Snowflake, { userId: Snowflake; publicKey: Uint8Array }>;
}

const MESSAGE_KEY_LABEL = 'parley message key v1';
/** 64 emoji that look different from each other at a glance (the safety code's second form). */
const SAFETY_EMOJI = [...'🐶🐱🦁🐴🦄🐷🐘🐰🐼🐔🐧🐢🐟🐙🦋🌷🌳🌵🍄🌏🌙☁️🔥🍌🍎🍓🌽🍕🎂❤️😀🤖🎩👓🔧🎅👍☂️⌛⏰🎁💡📕✏️📎✂️🔒🔑🔨☎️🏁🚂🚲✈️🚀🏆⚽🎸🎺🔔⚓🎧📁📌'.replace(/\uFE0F/g, '')];
const NONCE_BYTES = 32;

/**
 * Everything a device holds, as JSON (byte fields base64): what a client keeps between runs,
 * encrypted at rest where it stores it. Holds private keys: never send it anywhere.
 */
export interface SavedDevice {
  version: 1;
  userId: Snowflake;
  deviceId: Snowflake;
  /** The device's signature key pair (the same in every conversation). */
  signatureKeys: { signKey: string; publicKey: string };
  /** Each conversation's MLS group state (RFC 9420 state, ts-mls's encoding). */
  groups: Record<string, string>;
  keyPackages: SavedKeyPackage[];
  lastResort: SavedKeyPackage | null;
  epochs: SavedEpochs;
  /** The person's key backup key, when this device keeps their backup current (EncryptedConversations). */
  backupKey?: string;
}

interface SavedKeyPackage {
  /** The public half as an MLSMessage. */
  publicPackage: string;
  initPrivateKey: string;
  hpkePrivateKey: string;
  signaturePrivateKey: string;
}

/** Per conversation, per epoch: the message key and each device's user and signature key. */
export type SavedEpochs = Record<string, Record<string, { messageKey: string; signers: Record<string, { userId: Snowflake; publicKey: string }> }>>;

/** A leaf of a conversation's group: which device of whom. */
export interface MemberDevice {
  userId: Snowflake;
  deviceId: Snowflake;
  leafIndex: number;
}

interface OwnKeyPackage {
  publicPackage: KeyPackage;
  privatePackage: PrivateKeyPackage;
}

let suite: Promise<CiphersuiteImpl> | null = null;
const cipherSuite = () => (suite ??= getCiphersuiteImpl(getCiphersuiteFromName(SUITE)));

export class MlsDevice {
  /** Each conversation's group as this device holds it. */
  private readonly groups = new Map<Snowflake, ClientState>();
  /** Key packages published and not yet used to join (their private halves). */
  private readonly keyPackages: OwnKeyPackage[] = [];
  /** Handed out by the server when the others are used up, and kept (RFC 9420 §16.8). */
  private lastResort: OwnKeyPackage | null = null;
  /**
   * Each conversation's epochs this device was in, so history sent in earlier epochs stays
   * readable (what key backup will carry to a new device).
   */
  private readonly epochs = new Map<Snowflake, Map<number, EpochKeys>>();
  /** Welcomes this device refused or could not open, for the client to show and count. */
  readonly unopenedWelcomes: { channelId: Snowflake; error: string }[] = [];

  /**
   * Saves the device where its client keeps it: called after joining a group and before its
   * welcome is deleted on the server, so a client stopped in between still holds the group.
   */
  persist: (() => Promise<void>) | null = null;

  /** A commit posted whose answer has not come back: adopted if the server turns out to hold it. */
  private readonly pending = new Map<Snowflake, { epoch: number; commit: string; state: ClientState }>();

  private constructor(
    private readonly rest: RestClient,
    private readonly cs: CiphersuiteImpl,
    readonly userId: Snowflake,
    readonly deviceId: Snowflake,
    /**
     * The device's one signature key pair: every key package, so every leaf in every
     * conversation, carries the same public key, which is what safety codes and a person's
     * fingerprint are made of (a verification holds across conversations).
     */
    private readonly signatureKeys: { signKey: Uint8Array; publicKey: Uint8Array },
  ) {}

  /** Registers a new device for the signed-in person and publishes its first key packages. */
  static async register(rest: RestClient, userId: Snowflake, name: string, persist?: (device: MlsDevice) => Promise<void>): Promise<MlsDevice> {
    await sodium.ready;
    const device = await rest.request(e2eeRoutes.registerDevice, { body: { name } });
    const cs = await cipherSuite();
    const mls = new MlsDevice(rest, cs, userId, device.id, await cs.signature.keygen());
    if (persist) mls.persist = () => persist(mls);
    await mls.publishKeyPackages(KEY_PACKAGES_KEPT, true);
    return mls;
  }

  /** A device saved earlier (save()), on the same account. */
  static async load(rest: RestClient, saved: SavedDevice): Promise<MlsDevice> {
    await sodium.ready;
    if (saved.version !== 1) throw new Error(`Unknown saved device version ${String(saved.version)}`);
    const mls = new MlsDevice(rest, await cipherSuite(), saved.userId, saved.deviceId, {
      signKey: fromBase64(saved.signatureKeys.signKey),
      publicKey: fromBase64(saved.signatureKeys.publicKey),
    });
    for (const [channelId, encoded] of Object.entries(saved.groups)) {
      const decoded = decodeGroupState(fromBase64(encoded), 0);
      if (!decoded) throw new Error(`The saved group of conversation ${channelId} does not decode`);
      mls.groups.set(channelId as Snowflake, { ...decoded[0], clientConfig: CLIENT_CONFIG });
    }
    mls.keyPackages.push(...saved.keyPackages.map(loadKeyPackage));
    mls.lastResort = saved.lastResort && loadKeyPackage(saved.lastResort);
    mls.importEpochs(saved.epochs);
    return mls;
  }

  /** Everything this device holds (private keys included), to keep between runs: see SavedDevice. */
  save(): SavedDevice {
    return {
      version: 1,
      userId: this.userId,
      deviceId: this.deviceId,
      signatureKeys: { signKey: toBase64(this.signatureKeys.signKey), publicKey: toBase64(this.signatureKeys.publicKey) },
      groups: Object.fromEntries([...this.groups].map(([id, state]) => [id, toBase64(encodeGroupState(state))])),
      keyPackages: this.keyPackages.map(saveKeyPackage),
      lastResort: this.lastResort && saveKeyPackage(this.lastResort),
      epochs: this.exportEpochs(),
    };
  }

  /**
   * The message keys of every epoch this device was in (not the groups' private state): what a
   * key backup carries, so a device that joins later, or replaces a lost one, reads the history.
   */
  exportEpochs(): SavedEpochs {
    const out: SavedEpochs = {};
    for (const [channelId, epochs] of this.epochs) {
      out[channelId] = Object.fromEntries(
        [...epochs].map(([epoch, keys]) => [
          String(epoch),
          { messageKey: toBase64(keys.messageKey), signers: Object.fromEntries([...keys.signers].map(([deviceId, s]) => [deviceId, { userId: s.userId, publicKey: toBase64(s.publicKey) }])) },
        ]),
      );
    }
    return out;
  }

  /** Adds message keys from a backup or another device; what this device already holds stays. */
  importEpochs(saved: SavedEpochs): void {
    for (const [channelId, epochs] of Object.entries(saved)) {
      let held = this.epochs.get(channelId as Snowflake);
      if (!held) this.epochs.set(channelId as Snowflake, (held = new Map()));
      for (const [epoch, keys] of Object.entries(epochs)) {
        if (held.has(Number(epoch))) continue;
        const signers = new Map(Object.entries(keys.signers).map(([deviceId, s]) => [deviceId as Snowflake, { userId: s.userId, publicKey: fromBase64(s.publicKey) }]));
        held.set(Number(epoch), { messageKey: fromBase64(keys.messageKey), signers });
      }
    }
  }

  /** How many epochs' message keys this device holds, over all conversations (what a backup would carry). */
  knownEpochs(): number {
    let count = 0;
    for (const epochs of this.epochs.values()) count += epochs.size;
    return count;
  }

  /** The conversations whose groups this device holds. */
  conversations(): Snowflake[] {
    return [...this.groups.keys()];
  }

  /** The epoch this device holds a conversation at (null: not in its group). */
  epoch(channelId: Snowflake): number | null {
    const state = this.groups.get(channelId);
    return state ? Number(state.groupContext.epoch) : null;
  }

  /** The devices in a conversation's group, as this device sees it. */
  members(channelId: Snowflake): MemberDevice[] {
    const state = this.group(channelId);
    const members: MemberDevice[] = [];
    state.ratchetTree.forEach((node, index) => {
      if (node?.nodeType !== 'leaf') return;
      const [userId, deviceId] = identityOf(node.leaf.credential).split(':') as [Snowflake, Snowflake];
      members.push({ userId, deviceId, leafIndex: index / 2 });
    });
    return members;
  }

  /**
   * A person's devices in a conversation, as one fingerprint (hex): their device IDs and
   * signature keys as this device's copy of the group holds them. A client remembers it when the
   * person is verified, and flags the person when it changes (a new or replaced device).
   */
  personFingerprint(channelId: Snowflake, userId: Snowflake): string {
    const state = this.group(channelId);
    const lines: string[] = [];
    for (const node of state.ratchetTree) {
      if (node?.nodeType !== 'leaf') continue;
      const [owner, deviceId] = identityOf(node.leaf.credential).split(':');
      if (owner === userId) lines.push(`${deviceId}:${toBase64(node.leaf.signaturePublicKey)}`);
    }
    lines.sort();
    return sodium.to_hex(sodium.crypto_hash_sha256(`parley person v1\n${userId}\n${lines.join('\n')}`));
  }

  /**
   * The safety code two people compare in person (Signal's "safety number"): the same on both
   * sides exactly when each sees the other's devices, and their own, with the same keys. Sixty
   * digits in twelve groups, and the same as eight emoji.
   */
  safetyCode(channelId: Snowflake, otherUserId: Snowflake): { digits: string; emoji: string[] } {
    const prints = [`${this.userId}:${this.personFingerprint(channelId, this.userId)}`, `${otherUserId}:${this.personFingerprint(channelId, otherUserId)}`].sort();
    const hash = sodium.crypto_hash_sha512(`parley safety code v1\n${prints.join('\n')}`);
    const groups: string[] = [];
    for (let i = 0; i < 12; i++) {
      // Five bytes per group, as a number below 100,000 (the bias is negligible at 2^40).
      let value = 0;
      for (let b = 0; b < 5; b++) value = (value * 256 + hash[i * 5 + b]!) % 100_000;
      groups.push(String(value).padStart(5, '0'));
    }
    const emoji = Array.from({ length: 8 }, (_, i) => SAFETY_EMOJI[hash[60 + i]! % SAFETY_EMOJI.length]!);
    return { digits: groups.join(' '), emoji };
  }

  /**
   * A secret every member holds for the current epoch and nobody else: what content keys are
   * derived from (MLS's exporter, RFC 9420 §8.5).
   */
  async exportSecret(channelId: Snowflake, label: string, length = 32): Promise<Uint8Array> {
    return mlsExporter(this.group(channelId).keySchedule.exporterSecret, label, new Uint8Array(0), length, this.cs);
  }

  /**
   * Starts a conversation's group with every device of these people (and this person's other
   * devices). If another device started it first, this one waits to be added instead (false).
   */
  async startGroup(channelId: Snowflake, userIds: readonly Snowflake[]): Promise<boolean> {
    const own = await this.newKeyPackage();
    const state = await createGroup(encoder.encode(channelId), own.publicPackage, own.privatePackage, [], this.cs);
    const adds = await this.addProposals({ user_ids: [...new Set([...userIds, this.userId])] });
    try {
      await this.send(channelId, state, adds);
      return true;
    } catch (error) {
      if (error instanceof ParleyApiError && error.code === MLS_EPOCH_STALE) return false;
      throw error;
    }
  }

  /** Adds every device of these people to a conversation this device is in. */
  async addPeople(channelId: Snowflake, userIds: readonly Snowflake[]): Promise<void> {
    await this.commitWith(channelId, async () => (userIds.length ? this.addProposals({ user_ids: [...userIds] }) : null));
  }

  /** Removes every device of these people from the group: they cannot read what is sent after. */
  async removePeople(channelId: Snowflake, userIds: readonly Snowflake[]): Promise<void> {
    await this.commitWith(channelId, async () =>
      this.members(channelId)
        .filter((m) => userIds.includes(m.userId))
        .map((m): Proposal => ({ proposalType: 'remove', remove: { removed: m.leafIndex } })),
    );
  }

  /**
   * Makes the group's leaves the devices of everyone in the conversation, as the server lists
   * them: adds the missing (a new device, a new member), removes the rest (someone who left, a
   * removed device). Any member's device may run it, on E2EE_DEVICES_UPDATE or a membership event.
   */
  async syncMembers(channelId: Snowflake): Promise<{ added: Snowflake[]; removed: Snowflake[] }> {
    const expected = async () => new Set((await this.rest.request(e2eeRoutes.conversationDevices, { params: { channel_id: channelId } })).map((d) => d.id));
    // Removals first, in a commit of their own: a device that cannot be added yet never delays them.
    let removed: Snowflake[] = [];
    await this.commitWith(channelId, async () => {
      const wanted = await expected();
      const gone = this.members(channelId).filter((m) => !wanted.has(m.deviceId) && m.deviceId !== this.deviceId);
      removed = gone.map((m) => m.deviceId);
      return gone.length ? gone.map((m): Proposal => ({ proposalType: 'remove', remove: { removed: m.leafIndex } })) : null;
    });
    let added: Snowflake[] = [];
    await this.commitWith(channelId, async () => {
      const present = new Set(this.members(channelId).map((m) => m.deviceId));
      const missing = [...(await expected())].filter((id) => !present.has(id));
      // A device with no key package yet is left out (the server announces it once it has some).
      const adds = missing.length ? await this.addProposals({ device_ids: missing }) : [];
      added = adds.map((p) => (p.proposalType === 'add' ? deviceOf(p.add.keyPackage) : ('' as Snowflake)));
      return adds.length ? adds : null;
    });
    return { added, removed };
  }

  /** A commit with no proposals: new keys for this device's path (post-compromise security). */
  async updateKeys(channelId: Snowflake): Promise<void> {
    await this.commitWith(channelId, async () => []);
  }

  /** Joins the groups whose welcomes wait for this device on the server. */
  async takeWelcomes(): Promise<Snowflake[]> {
    const joined: Snowflake[] = [];
    for (const welcome of await this.rest.request(e2eeRoutes.welcomes, { params: { device_id: this.deviceId } })) {
      if (await this.join(welcome)) joined.push(welcome.channel_id);
    }
    return joined;
  }

  /**
   * Takes a welcome for this device (MLS_WELCOME, or from takeWelcomes). Refused (false, counted
   * in unopenedWelcomes, and forgotten on the server): one for a conversation whose group this
   * device already holds, one whose group is not that conversation's or whose epoch is not the
   * one announced, one no key package of this device opens. Such a welcome cannot replace a
   * group this device holds; the device stays out of a group it could not join until a member
   * removes and adds it again (not automatic yet). A welcome that opens is forgotten on the
   * server only once the group is saved: a client that stops or fails to save before that
   * (a page closed mid-join) finds the welcome again on its next start.
   */
  async join(welcome: MlsWelcome): Promise<boolean> {
    if (welcome.device_id !== this.deviceId) return false;
    const forget = () => this.rest.request(e2eeRoutes.deleteWelcome, { params: { device_id: this.deviceId, welcome_id: welcome.id } });
    let opened: { state: ClientState; own: OwnKeyPackage };
    try {
      opened = await this.openWelcome(welcome);
    } catch (error) {
      this.unopenedWelcomes.push({ channelId: welcome.channel_id, error: error instanceof Error ? error.message : String(error) });
      await forget();
      return false;
    }
    await this.enter(welcome.channel_id, opened.state);
    if (opened.own !== this.lastResort) this.keyPackages.splice(this.keyPackages.indexOf(opened.own), 1);
    await this.persist?.();
    await forget();
    // Joined: what follows is upkeep that is done again later anyway (key packages at the next
    // start or join, commits on the next commit or message), so a failure here is not the join's.
    await this.replenishKeyPackages().catch(() => undefined);
    // Commits accepted after the one that added us.
    await this.catchUp(welcome.channel_id).catch(() => undefined);
    return true;
  }

  /** The group a welcome brings, and the key package of this device that opened it. */
  private async openWelcome(welcome: MlsWelcome): Promise<{ state: ClientState; own: OwnKeyPackage }> {
    if (this.groups.has(welcome.channel_id)) throw new Error(`Already in the group of conversation ${welcome.channel_id}`);
    const decoded = decodeMlsMessage(fromBase64(welcome.welcome), 0)?.[0];
    if (decoded?.wireformat !== 'mls_welcome') throw new Error('Not an MLS welcome');
    // The welcome names the key package it was made for by reference; trying ours is simpler and they are few.
    for (const own of [...this.keyPackages, ...(this.lastResort ? [this.lastResort] : [])]) {
      let state: ClientState;
      try {
        state = await joinGroup(decoded.welcome, own.publicPackage, own.privatePackage, emptyPskIndex, this.cs);
      } catch {
        continue;
      }
      if (decoder.decode(state.groupContext.groupId) !== welcome.channel_id || Number(state.groupContext.epoch) !== welcome.epoch) {
        throw new Error(`The welcome's group is not conversation ${welcome.channel_id} at epoch ${welcome.epoch}`);
      }
      return { state, own };
    }
    throw new Error(`No key package of device ${this.deviceId} opens this welcome`);
  }

  /** Applies a commit the server accepted (MLS_COMMIT), catching up first if it skipped any. */
  async receiveCommit(commit: MlsCommit): Promise<void> {
    const epoch = this.epoch(commit.channel_id);
    if (epoch === null || commit.epoch < epoch) return;
    if (commit.epoch > epoch) return this.catchUp(commit.channel_id);
    await this.apply(commit);
  }

  /** Fetches and applies every commit since this device's epoch, in order, page by page. */
  async catchUp(channelId: Snowflake): Promise<void> {
    for (;;) {
      const from = this.epoch(channelId);
      // Not in the group (any more: a commit on the way removed this device).
      if (from === null) return;
      const page = await this.rest.request(e2eeRoutes.commits, { params: { channel_id: channelId }, query: { from_epoch: from, limit: 200 } });
      for (const commit of page) if (commit.epoch === this.epoch(channelId)) await this.apply(commit);
      if (page.length < 200) return;
    }
  }

  private async apply(commit: MlsCommit): Promise<void> {
    const state = this.group(commit.channel_id);
    // Our own commit came back: its state is already ours (send() kept it)…
    if (commit.device_id === this.deviceId && Number(state.groupContext.epoch) > commit.epoch) return;
    // …or the server took it but its answer never reached us: the state it leads to was kept.
    const pending = this.pending.get(commit.channel_id);
    if (commit.device_id === this.deviceId && pending?.epoch === commit.epoch && pending.commit === commit.commit) {
      this.pending.delete(commit.channel_id);
      await this.enter(commit.channel_id, pending.state);
      return;
    }
    const decoded = decodeMlsMessage(fromBase64(commit.commit), 0)?.[0];
    if (decoded?.wireformat !== 'mls_private_message' && decoded?.wireformat !== 'mls_public_message') throw new Error('Not an MLS handshake message');
    const result = await processMessage(decoded, state, emptyPskIndex, acceptAll, this.cs);
    if (result.kind !== 'newState') throw new Error('Expected a commit, got an application message');
    if (result.newState.groupActiveState.kind === 'removedFromGroup') {
      // We were removed: the group is no longer ours to hold.
      this.groups.delete(commit.channel_id);
      return;
    }
    await this.enter(commit.channel_id, result.newState);
  }

  private get identity(): string {
    return `${this.userId}:${this.deviceId}`;
  }

  /** Builds proposals against the current epoch and commits them; on losing a race, catches up and builds them again. */
  private async commitWith(channelId: Snowflake, proposals: () => Promise<Proposal[] | null>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const built = await proposals();
        // Nothing to change (after catching up, someone else may have made the change).
        if (built === null) return;
        await this.send(channelId, this.group(channelId), built);
        return;
      } catch (error) {
        if (!(error instanceof ParleyApiError && error.code === MLS_EPOCH_STALE) || attempt >= COMMIT_ATTEMPTS) throw error;
        await this.catchUp(channelId);
      }
    }
  }

  /** Commits proposals on a state and posts it (with a welcome per added device); keeps the new state once the server accepted it. */
  private async send(channelId: Snowflake, state: ClientState, proposals: Proposal[]): Promise<void> {
    const result = await createCommit({ state, cipherSuite: this.cs }, { extraProposals: proposals, ratchetTreeExtension: true });
    const added = proposals.flatMap((p) => (p.proposalType === 'add' ? [deviceOf(p.add.keyPackage)] : []));
    const welcome = result.welcome ? toBase64(encodeMlsMessage({ welcome: result.welcome, wireformat: 'mls_welcome', version: 'mls10' })) : null;
    const epoch = Number(state.groupContext.epoch);
    const commit = toBase64(encodeMlsMessage(result.commit));
    this.pending.set(channelId, { epoch, commit, state: result.newState });
    await this.rest.request(e2eeRoutes.postCommit, {
      params: { channel_id: channelId },
      body: {
        device_id: this.deviceId,
        epoch,
        commit,
        // One welcome message serves every added device: each finds its own secrets in it.
        welcomes: welcome ? added.filter((d) => d !== this.deviceId).map((device_id) => ({ device_id, welcome })) : [],
      },
    });
    this.pending.delete(channelId);
    await this.enter(channelId, result.newState);
  }

  /** An add proposal for each device claimed (this device left out), from their key packages. */
  private async addProposals(which: { user_ids: Snowflake[] } | { device_ids: Snowflake[] }): Promise<Proposal[]> {
    // A claim names at most 10 people (or 100 devices); a commit adds at most 100 devices, and
    // those left out are added by the next syncMembers.
    const [ids, size, key] = 'user_ids' in which ? [which.user_ids, E2eeLimits.claimUsersMax, 'user_ids'] : [which.device_ids, E2eeLimits.welcomesPerCommit, 'device_ids'];
    const claimed = [];
    for (let i = 0; i < ids.length && claimed.length < E2eeLimits.welcomesPerCommit; i += size) {
      claimed.push(...(await this.rest.request(e2eeRoutes.claimKeyPackages, { body: { [key]: ids.slice(i, i + size) } })));
    }
    const others = claimed.filter((c) => c.device_id !== this.deviceId).slice(0, E2eeLimits.welcomesPerCommit);
    return others.map((c): Proposal => {
      const decoded = decodeMlsMessage(fromBase64(c.key_package), 0)?.[0];
      if (decoded?.wireformat !== 'mls_key_package') throw new Error(`Device ${c.device_id} published something that is not a key package`);
      // The server cannot vouch for a key package: its credential must name the device it came for.
      if (deviceOf(decoded.keyPackage) !== c.device_id || !identityOf(decoded.keyPackage.leafNode.credential).startsWith(`${c.user_id}:`)) {
        throw new Error(`The key package handed out for device ${c.device_id} names another device`);
      }
      return { proposalType: 'add', add: { keyPackage: decoded.keyPackage } };
    });
  }

  private async newKeyPackage(): Promise<OwnKeyPackage> {
    const credential = { credentialType: 'basic' as const, identity: encoder.encode(this.identity) };
    return generateKeyPackageWithKey(credential, defaultCapabilities(), defaultLifetime, [], this.signatureKeys, this.cs);
  }

  /** Publishes key packages (and a last-resort one); answers how many the server holds unclaimed. */
  private async publishKeyPackages(count: number, withLastResort = false): Promise<number> {
    const fresh = await Promise.all(Array.from({ length: count }, () => this.newKeyPackage()));
    const lastResort = withLastResort ? await this.newKeyPackage() : null;
    const encode = (k: OwnKeyPackage) => toBase64(encodeMlsMessage({ keyPackage: k.publicPackage, wireformat: 'mls_key_package', version: 'mls10' }));
    // Kept (and saved) before they are published: a welcome made with one must find its private half.
    this.keyPackages.push(...fresh);
    // Private halves of packages claimed but never used to add us are dropped, oldest first.
    if (this.keyPackages.length > KEY_PRIVATE_HALVES_KEPT) this.keyPackages.splice(0, this.keyPackages.length - KEY_PRIVATE_HALVES_KEPT);
    if (lastResort) this.lastResort = lastResort;
    if (count > 0) await this.persist?.();
    const held = await this.rest.request(e2eeRoutes.uploadKeyPackages, {
      params: { device_id: this.deviceId },
      body: { key_packages: fresh.map(encode), ...(lastResort && { last_resort: encode(lastResort) }) },
    });
    return held.count;
  }

  /** Tops the server's unclaimed key packages of this device back up to KEY_PACKAGES_KEPT (others' claims use them up). */
  async replenishKeyPackages(): Promise<void> {
    const held = await this.publishKeyPackages(0);
    if (held < KEY_PACKAGES_KEPT) await this.publishKeyPackages(KEY_PACKAGES_KEPT - held);
  }

  /**
   * Seals a message for the conversation's current epoch: AEGIS-256 under a key exported from
   * the epoch's secret, bound to the channel it is posted in (the conversation, or one of its
   * threads: `postedIn`), epoch, device and author, and signed with the device's leaf key so no
   * other member can write as this person.
   */
  async encryptMessage(channelId: Snowflake, plaintext: MessagePlaintext, postedIn: Snowflake = channelId): Promise<EncryptedEnvelope> {
    const state = this.group(channelId);
    const epoch = Number(state.groupContext.epoch);
    const keys = this.epochs.get(channelId)!.get(epoch)!;
    MessageContent.parse(plaintext.content);
    // Franking: a fresh key inside, its commitment outside, so a reader can prove what was sent.
    const frankingKey = sodium.randombytes_buf(32);
    const commitment = sodium.crypto_auth_hmacsha256(frankingInput(postedIn, this.userId, plaintext.content), frankingKey);
    const nonce = sodium.randombytes_buf(NONCE_BYTES);
    const ad = associatedData(postedIn, epoch, this.deviceId, this.userId);
    const inside = JSON.stringify({
      content: plaintext.content,
      franking_key: toBase64(frankingKey),
      reaction_key: plaintext.reactionKey ?? toBase64(newReactionKey()),
      ...(plaintext.files?.length && { files: plaintext.files }),
      ...(plaintext.sharesHistory && { shares_history: true }),
      ...(plaintext.fileOffer && { file_offer: plaintext.fileOffer }),
    });
    const ciphertext = concat(nonce, sodium.crypto_aead_aegis256_encrypt(encoder.encode(inside), ad, null, nonce, keys.messageKey));
    const signature = await this.cs.signature.sign(state.signaturePrivateKey, concat(concat(ad, ciphertext), commitment));
    return { epoch, device_id: this.deviceId, ciphertext: toBase64(ciphertext), signature: toBase64(signature), commitment: toBase64(commitment) };
  }

  /** Signs bytes as this device (its leaf signature key, the same in every group). */
  signAsDevice(data: Uint8Array): Promise<Uint8Array> {
    return this.cs.signature.sign(this.signatureKeys.signKey, data);
  }

  /**
   * Checks a signature of another device of `userId` against that device's leaf key in a group
   * this device is in (false when no group shared with it says what its key is). Only groups
   * this device walked itself count, never keys imported from a backup or another device.
   */
  async verifyDevice(userId: Snowflake, deviceId: Snowflake, data: Uint8Array, signature: Uint8Array): Promise<boolean> {
    for (const state of this.groups.values()) {
      for (const node of state.ratchetTree) {
        if (node?.nodeType !== 'leaf' || identityOf(node.leaf.credential) !== `${userId}:${deviceId}`) continue;
        return this.cs.signature.verify(node.leaf.signaturePublicKey, data, signature);
      }
    }
    return false;
  }

  /** The earliest epoch of a conversation this device holds keys for (null: none). */
  firstEpoch(channelId: Snowflake): number | null {
    const epochs = this.epochs.get(channelId);
    return epochs?.size ? Math.min(...epochs.keys()) : null;
  }

  /** Opens a message of this conversation (posted in it or in one of its threads: `postedIn`) written by `authorId`; DecryptionError says why not. */
  async decryptMessage(channelId: Snowflake, authorId: Snowflake, envelope: EncryptedEnvelope, postedIn: Snowflake = channelId): Promise<OpenedMessage> {
    const epochs = this.epochs.get(channelId);
    if (!epochs) throw new DecryptionError('not-a-member', `Device ${this.deviceId} was never in conversation ${channelId}`);
    const keys = epochs.get(envelope.epoch);
    if (!keys) throw new DecryptionError('unknown-epoch', `Device ${this.deviceId} holds no key for epoch ${envelope.epoch}`);
    const signer = keys.signers.get(envelope.device_id);
    if (!signer) throw new DecryptionError('unknown-device', `Device ${envelope.device_id} was not in epoch ${envelope.epoch}`);
    if (signer.userId !== authorId) throw new DecryptionError('wrong-author', `Device ${envelope.device_id} is not ${authorId}'s`);
    let ciphertext: Uint8Array;
    let commitment: Uint8Array;
    let signature: Uint8Array;
    try {
      [ciphertext, commitment, signature] = [fromBase64(envelope.ciphertext), fromBase64(envelope.commitment), fromBase64(envelope.signature)];
    } catch {
      throw new DecryptionError('bad-ciphertext', 'The envelope is not base64');
    }
    const ad = associatedData(postedIn, envelope.epoch, envelope.device_id, authorId);
    if (!(await this.cs.signature.verify(signer.publicKey, concat(concat(ad, ciphertext), commitment), signature))) {
      throw new DecryptionError('bad-signature', 'The envelope is not signed by the device it names');
    }
    let inside: { content: string; franking_key: string; reaction_key?: unknown; files?: unknown; shares_history?: unknown; file_offer?: unknown };
    try {
      const opened = sodium.crypto_aead_aegis256_decrypt(null, ciphertext.subarray(NONCE_BYTES), ad, ciphertext.subarray(0, NONCE_BYTES), keys.messageKey);
      inside = JSON.parse(decoder.decode(opened)) as typeof inside;
    } catch {
      throw new DecryptionError('bad-ciphertext', 'The ciphertext does not authenticate');
    }
    // What can be shown must be what can be reported: the server's rules for message text, a
    // 32-byte franking key, and a commitment that matches (else the author escapes moderation).
    let frankingKey: Uint8Array;
    try {
      frankingKey = fromBase64(inside.franking_key);
    } catch {
      frankingKey = new Uint8Array(0);
    }
    if (
      typeof inside.content !== 'string' ||
      !MessageContent.safeParse(inside.content).success ||
      frankingKey.length !== 32 ||
      commitment.length !== 32 ||
      !sodium.crypto_auth_hmacsha256_verify(commitment, frankingInput(postedIn, authorId, inside.content), frankingKey)
    ) {
      throw new DecryptionError('bad-commitment', 'The message cannot be reported as it is (its text or franking commitment is not valid)');
    }
    const files = inside.files === undefined ? undefined : SealedFiles.safeParse(inside.files);
    if (files && !files.success) throw new DecryptionError('bad-ciphertext', 'The files it lists are not well formed');
    const fileOffer = inside.file_offer === undefined ? undefined : FileOffer.safeParse(inside.file_offer);
    if (fileOffer && !fileOffer.success) throw new DecryptionError('bad-ciphertext', 'The file it offers is not well formed');
    const reactionKey = typeof inside.reaction_key === 'string' && /^[A-Za-z0-9+/]{43}=$/.test(inside.reaction_key) ? inside.reaction_key : undefined;
    return {
      content: inside.content,
      frankingKey: toBase64(frankingKey),
      ...(reactionKey && { reactionKey }),
      ...(files && { files: files.data }),
      ...(inside.shares_history === true && { sharesHistory: true }),
      ...(fileOffer && { fileOffer: fileOffer.data }),
    };
  }

  /** Holds a conversation's new state and remembers the epoch's message key and signers. */
  private async enter(channelId: Snowflake, state: ClientState): Promise<void> {
    this.groups.set(channelId, state);
    const signers = new Map<Snowflake, { userId: Snowflake; publicKey: Uint8Array }>();
    for (const node of state.ratchetTree) {
      if (node?.nodeType !== 'leaf') continue;
      const [userId, deviceId] = identityOf(node.leaf.credential).split(':') as [Snowflake, Snowflake];
      signers.set(deviceId, { userId, publicKey: node.leaf.signaturePublicKey });
    }
    const messageKey = await mlsExporter(state.keySchedule.exporterSecret, MESSAGE_KEY_LABEL, new Uint8Array(0), sodium.crypto_aead_aegis256_KEYBYTES, this.cs);
    let epochs = this.epochs.get(channelId);
    if (!epochs) this.epochs.set(channelId, (epochs = new Map()));
    epochs.set(Number(state.groupContext.epoch), { messageKey, signers });
  }

  private group(channelId: Snowflake): ClientState {
    const state = this.groups.get(channelId);
    if (!state) throw new Error(`Device ${this.deviceId} is not in the group of conversation ${channelId}`);
    return state;
  }
}

const CLIENT_CONFIG = {
  keyRetentionConfig: defaultKeyRetentionConfig,
  lifetimeConfig: defaultLifetimeConfig,
  keyPackageEqualityConfig: defaultKeyPackageEqualityConfig,
  paddingConfig: defaultPaddingConfig,
  authService: defaultAuthenticationService,
};

function saveKeyPackage(k: OwnKeyPackage): SavedKeyPackage {
  return {
    publicPackage: toBase64(encodeMlsMessage({ keyPackage: k.publicPackage, wireformat: 'mls_key_package', version: 'mls10' })),
    initPrivateKey: toBase64(k.privatePackage.initPrivateKey),
    hpkePrivateKey: toBase64(k.privatePackage.hpkePrivateKey),
    signaturePrivateKey: toBase64(k.privatePackage.signaturePrivateKey),
  };
}

function loadKeyPackage(saved: SavedKeyPackage): OwnKeyPackage {
  const decoded = decodeMlsMessage(fromBase64(saved.publicPackage), 0)?.[0];
  if (decoded?.wireformat !== 'mls_key_package') throw new Error('A saved key package does not decode');
  return {
    publicPackage: decoded.keyPackage,
    privatePackage: { initPrivateKey: fromBase64(saved.initPrivateKey), hpkePrivateKey: fromBase64(saved.hpkePrivateKey), signaturePrivateKey: fromBase64(saved.signaturePrivateKey) },
  };
}

/** What the AEAD binds a message to: which conversation, epoch, device and author. */
function associatedData(channelId: Snowflake, epoch: number, deviceId: Snowflake, authorId: Snowflake): Uint8Array {
  return encoder.encode(`parley message v1|${channelId}|${epoch}|${deviceId}|${authorId}`);
}

/** `<user id>:<device id>` from a basic credential (Parley issues no other kind; '' for any other). */
function identityOf(credential: Credential): string {
  return credential.credentialType === 'basic' ? decoder.decode(credential.identity) : '';
}

function deviceOf(keyPackage: KeyPackage): Snowflake {
  return identityOf(keyPackage.leafNode.credential).split(':')[1] as Snowflake;
}
