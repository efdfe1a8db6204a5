import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir, hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { type FileOffer, type Message, SEALED_REACTION_PREFIX, type Snowflake } from '@parley/protocol';
import type { ParleyClient } from '@parley/sdk';
import type { ConversationIndex, DeviceStore, EncryptedConversations, LocalSearch, Revealed, SavedDevice } from '@parley/sdk/e2ee';
import type { MessageReader } from './rows';

/*
 * End-to-end encrypted conversations in the terminal: this terminal is a device of the account
 * (the SDK's EncryptedConversations, the web client's engine), kept in a file beside the saved
 * session. Messages there are opened to be shown, and sealed to be sent: nothing is ever sent in
 * the clear (the server would refuse it anyway).
 */

/** $XDG_CONFIG_HOME/parley/e2ee-device-<user id>.json: one device per account on this computer. */
function devicePath(userId: Snowflake, env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'parley', `e2ee-device-${userId}.json`);
}

/**
 * The device's keys in a file only its owner reads (0600, like the session token beside it),
 * replaced whole on each save so a crash never leaves half a device.
 */
function fileDeviceStore(path: string): DeviceStore {
  return {
    async load() {
      try {
        return JSON.parse(await readFile(path, 'utf8')) as SavedDevice;
      } catch {
        return null;
      }
    },
    async save(device) {
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      const temporary = `${path}.tmp`;
      await writeFile(temporary, JSON.stringify(device), { mode: 0o600 });
      await chmod(temporary, 0o600);
      await rename(temporary, path);
    },
  };
}

/** A message as the history pane shows it: its text, and its files under their real names. */
export interface Shown {
  content: string;
  files?: { name: string; size: number }[];
  /** A file offered peer to peer (in the message, or inside its envelope). */
  fileOffer?: FileOffer;
  /** A line saying why the text is not there (being opened, cannot be opened here). */
  closed?: string;
}

const WHY_CLOSED: Record<string, string> = {
  waiting: '(encrypted: waiting for the others’ devices to let this terminal in)',
  'before-joined': '(encrypted, sent before this terminal joined: /recover with the recovery key or passphrase opens it)',
};

/** Sealed reactions are tried against these (and whatever was reacted with here): a keyed hash names no emoji. */
const COMMON_EMOJI = ['👍', '👎', '❤️', '😂', '🎉', '😮', '😢', '🙏', '👀', '✅', '🔥', '💯', '👏', '🤔'];

export class TerminalEncryption implements MessageReader {
  private engine: Promise<EncryptedConversations> | null = null;
  /** The engine once started (drawing reads it without waiting). */
  private running: EncryptedConversations | null = null;
  private search: LocalSearch | null = null;
  /** Messages being opened, and the generation ('changed' events) a "waiting" answer was given in. */
  private readonly opening = new Set<string>();
  private readonly waited = new Map<string, number>();
  private generation = 0;
  private readonly emoji = new Set(COMMON_EMOJI);

  constructor(
    private readonly client: ParleyClient,
    /** Something changed on screen (a message opened, the device let in). */
    private readonly redraw: () => void,
  ) {}

  /** Whether a channel is end-to-end encrypted (a thread: when its channel is). */
  isEncrypted(channelId: Snowflake): boolean {
    return this.client.cache.channels.get(channelId)?.e2ee === true;
  }

  /** The device, started once: registered on first use, then loaded from its file. */
  start(): Promise<EncryptedConversations> {
    this.engine ??= (async () => {
      const { EncryptedConversations, LocalSearch } = await import('@parley/sdk/e2ee');
      const userId = this.client.cache.user?.id;
      if (!userId) throw new Error('Not signed in yet');
      const engine = await EncryptedConversations.start({
        rest: this.client.rest,
        events: this.client.gateway,
        userId,
        store: fileDeviceStore(devicePath(userId)),
        deviceName: `Terminal on ${hostname()}`,
      });
      engine.on('changed', () => {
        this.generation++;
        this.redraw();
      });
      // Kept in memory only: a terminal has no store sealed at rest as the browser's is.
      const indexes = new Map<Snowflake, ConversationIndex>();
      this.search = new LocalSearch(this.client.rest, engine, { load: async (id) => indexes.get(id) ?? null, save: async (id, index) => void indexes.set(id, index) });
      this.search.follow(this.client.gateway);
      this.running = engine;
      return engine;
    })();
    // A failed start is tried again next time.
    this.engine.catch(() => (this.engine = null));
    return this.engine;
  }

  /** What to show of a message; an encrypted one is opened in the background, then redrawn. */
  show(message: Message): Shown {
    if (!message.encrypted) return { content: message.content ?? '', ...(message.file_offer && { fileOffer: message.file_offer }) };
    const key = `${message.id}:${message.encrypted.signature}`;
    const known = this.running?.peek(message);
    if (known && 'content' in known) {
      return { content: known.content, ...(known.files && { files: known.files.map((f) => ({ name: f.name, size: f.size })) }), ...(known.fileOffer && { fileOffer: known.fileOffer }) };
    }
    const askAgain = !known || (known.error === 'waiting' && this.waited.get(key) !== this.generation);
    if (askAgain && !this.opening.has(key)) {
      this.opening.add(key);
      void this.start()
        .then((e) => e.reveal(message))
        .then((result: Revealed) => {
          if ('error' in result && result.error === 'waiting') this.waited.set(key, this.generation);
        })
        .catch(() => undefined)
        .finally(() => {
          this.opening.delete(key);
          this.redraw();
        });
    }
    if (!known || this.opening.has(key)) return { content: '', closed: '(encrypted: opening…)' };
    return { content: '', closed: WHY_CLOSED[known.error] ?? `(encrypted: cannot be opened on this terminal: ${known.error})` };
  }

  /** A sealed reaction by its emoji, where this terminal opened the message and knows the emoji; else "(sealed)". */
  reactionName(message: Message, name: string): string {
    if (!name.startsWith(SEALED_REACTION_PREFIX)) return name;
    return this.running?.openReactions(message, [name], this.emoji).get(name) || '(sealed)';
  }

  /** What to react with: the emoji sealed under the message's reaction key in an encrypted conversation. */
  async reaction(message: Message, emoji: string): Promise<string> {
    if (!message.encrypted) return emoji;
    const engine = await this.start();
    await engine.reveal(message);
    this.emoji.add(emoji);
    const sealed = engine.reactionFor(message, emoji);
    if (!sealed) throw new Error('This message has not been opened on this terminal, so it cannot be reacted to here');
    return sealed;
  }

  /** An encrypted message's n-th file, opened from its sealed bytes with the key its text names. */
  async openFile(message: Message, index: number, sealed: Uint8Array): Promise<Blob> {
    const engine = await this.start();
    const opened = await engine.reveal(message);
    const meta = 'content' in opened ? opened.files?.[index] : undefined;
    if (!meta) throw new Error('This file’s message has not been opened on this terminal');
    const { openFile } = await import('@parley/sdk/e2ee');
    return openFile(sealed, meta);
  }

  /** The outbox's `seal`: encrypted conversations take sealed messages only (null: a plain one). */
  async seal(channelId: Snowflake, content: string, files: readonly File[], editing?: Snowflake) {
    if (!this.isEncrypted(channelId)) return null;
    return (await this.start()).sealMessage(channelId, content, files, editing);
  }

  /** Signing out: the device is removed from the account, and its keys from this computer. */
  async forget(): Promise<void> {
    const userId = this.client.cache.user?.id;
    if (!userId) return;
    const path = devicePath(userId);
    // The device of this run, or of an earlier one (kept in its file).
    const saved = this.running ? null : await fileDeviceStore(path).load();
    const deviceId = this.running?.device.deviceId ?? (saved?.userId === userId ? saved.deviceId : null);
    this.running?.close();
    if (deviceId) {
      const { e2eeRoutes } = await import('@parley/protocol/e2ee');
      await this.client.rest.request(e2eeRoutes.removeDevice, { params: { device_id: deviceId } });
    }
    await rm(path, { force: true });
  }

  /** Brings the history from the key backup, with the recovery key or the passphrase as typed. */
  async recover(typed: string): Promise<void> {
    const { backupSecretOf } = await import('@parley/sdk/e2ee');
    await (await this.start()).restoreBackup(backupSecretOf(typed));
    this.generation++;
  }

  /** Searches an encrypted conversation on this terminal (the server cannot). */
  async searchHere(channelId: Snowflake, content: string): Promise<{ messages: Message[]; total_results: number }> {
    await this.start();
    return this.search!.search(channelId, { content, limit: 25, offset: 0 });
  }
}
