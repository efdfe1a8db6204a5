import { Limits, type Snowflake, sealedFileSize } from '@parley/protocol';
import { defineStore } from 'pinia';
import { reactive } from 'vue';
import { useAuthStore } from '../auth/store';
import { useRealtime } from '../realtime/store';

/** A file chosen for sending, as shown before and while it uploads. */
export interface FilePreview {
  name: string;
  size: number;
  /** A local (blob:) link to show images before they are sent; null for other files. */
  url: string | null;
}

export interface AttachmentLimits {
  maxBytes: number;
  maxCount: number;
  /** An end-to-end encrypted conversation: the limit applies to the file as sealed, up to 12% larger. */
  sealed?: boolean;
}

const PREVIEWABLE = /^image\/(png|jpeg|gif|webp|avif|bmp)$/;

export function previewFiles(files: readonly File[]): FilePreview[] {
  return files.map((file) => ({ name: file.name, size: file.size, url: PREVIEWABLE.test(file.type) ? URL.createObjectURL(file) : null }));
}

/** Local links hold the file in memory until released. */
export function releasePreviews(previews: readonly FilePreview[]): void {
  for (const preview of previews) if (preview.url) URL.revokeObjectURL(preview.url);
}

/** "812 bytes", "4.2 KB", "25 MB": sizes as people read them (1 KB = 1,024 bytes, like the server says). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} byte${bytes === 1 ? '' : 's'}`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 10 || Number.isInteger(value) ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

/**
 * Which of the newly added files can go with the message, and a sentence for each that
 * cannot: too large for the instance (those can be sent peer to peer instead: `oversized`),
 * empty, or beyond the number a message may carry.
 */
export function admitFiles(alreadyChosen: number, added: readonly File[], limits: AttachmentLimits): { accepted: File[]; oversized: File[]; problems: string[] } {
  const accepted: File[] = [];
  const oversized: File[] = [];
  const problems: string[] = [];
  for (const file of added) {
    const uploaded = limits.sealed ? sealedFileSize(file.size) : file.size;
    if (uploaded > limits.maxBytes) {
      oversized.push(file);
      if (file.size > limits.maxBytes) problems.push(`${file.name} is ${formatBytes(file.size)}; files can be at most ${formatBytes(limits.maxBytes)}.`);
      else problems.push(`${file.name} is ${formatBytes(file.size)}: too large once encrypted, which adds up to 12%; files can be at most ${formatBytes(limits.maxBytes)}.`);
    } else if (file.size === 0) problems.push(`${file.name} is empty.`);
    else if (alreadyChosen + accepted.length >= limits.maxCount) problems.push(`A message can carry at most ${limits.maxCount} files; ${file.name} was left out.`);
    else accepted.push(file);
  }
  return { accepted, oversized, problems };
}

/** One channel's files waiting to be sent with the next message. */
export interface AttachmentDraft {
  files: File[];
  previews: FilePreview[];
  problems: string[];
  /** Too large to upload: offered to be sent peer to peer instead. */
  oversized: File[];
}

const NO_FILES: Readonly<AttachmentDraft> = Object.freeze({ files: [], previews: [], problems: [], oversized: [] });

/**
 * Files chosen (button, drag-and-drop, paste) for the next message, per channel, so the
 * composer and the drop zone over the channel share them.
 */
export const useAttachmentDrafts = defineStore('attachment-drafts', () => {
  const drafts = reactive(new Map<Snowflake, AttachmentDraft>());
  const auth = useAuthStore();
  const realtime = useRealtime();

  /** A channel's draft to read (an empty one when nothing was chosen there). */
  function of(channelId: Snowflake): Readonly<AttachmentDraft> {
    return drafts.get(channelId) ?? NO_FILES;
  }

  function writable(channelId: Snowflake): AttachmentDraft {
    if (!drafts.has(channelId)) drafts.set(channelId, { files: [], previews: [], problems: [], oversized: [] });
    return drafts.get(channelId)!;
  }

  async function limits(channelId: Snowflake): Promise<AttachmentLimits> {
    const info = auth.instance ?? (await auth.loadInstance().catch(() => null));
    return {
      maxBytes: info?.limits.attachment_max_bytes ?? Limits.attachmentMaxBytes,
      maxCount: info?.limits.attachments_per_message ?? Limits.attachmentsPerMessage,
      sealed: realtime.cache?.channels.get(channelId)?.e2ee ?? false,
    };
  }

  async function add(channelId: Snowflake, added: readonly File[]): Promise<void> {
    const allowed = await limits(channelId);
    const draft = writable(channelId);
    const { accepted, oversized, problems } = admitFiles(draft.files.length, added, allowed);
    draft.files.push(...accepted);
    draft.previews.push(...previewFiles(accepted));
    draft.problems = problems;
    draft.oversized = oversized;
  }

  /** A file too large to upload was sent peer to peer, or left out: no more to say about it. */
  function dismissOversized(channelId: Snowflake, file: File): void {
    const draft = writable(channelId);
    draft.oversized = draft.oversized.filter((f) => f !== file);
    draft.problems = [];
  }

  function remove(channelId: Snowflake, index: number): void {
    const draft = writable(channelId);
    releasePreviews(draft.previews.splice(index, 1));
    draft.files.splice(index, 1);
    draft.problems = [];
    draft.oversized = [];
  }

  /** Hands the files over for sending; their previews are the sender's to release now. */
  function take(channelId: Snowflake): File[] {
    const draft = drafts.get(channelId);
    if (!draft) return [];
    releasePreviews(draft.previews);
    drafts.delete(channelId);
    return [...draft.files];
  }

  return { of, add, remove, take, dismissOversized };
});
