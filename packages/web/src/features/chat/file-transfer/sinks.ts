import type { FileOffer } from '@parley/protocol';
import type { FileSink } from '@parley/sdk/file-transfer';

/** A place on disk a download streams into, and what to do once it is complete. */
export interface OpenedSink {
  sink: FileSink;
  /** Hands the finished file to the person (nothing to do when they chose where it goes). */
  finish(): Promise<void>;
}

interface SaveFilePicker {
  showSaveFilePicker(options: { suggestedName: string }): Promise<FileSystemFileHandle>;
}

/** Scratch files of downloads in the origin's private file system: `p2p-<offer id>`. */
const SCRATCH_PREFIX = 'p2p-';

/**
 * Where a peer-to-peer download is written, never into memory: where the person chooses
 * (File System Access API, Chromium), or else a scratch file in the origin-private file system,
 * handed over as a normal download once complete (the browser copies it from disk).
 * Must start from the click (the save dialog needs the gesture).
 */
export async function openSink(offer: FileOffer): Promise<OpenedSink> {
  const picker = (window as Partial<SaveFilePicker>).showSaveFilePicker;
  if (picker) {
    const handle = await picker.call(window, { suggestedName: offer.filename });
    return { sink: writerSink(await handle.createWritable()), finish: async () => undefined };
  }
  const root = await navigator.storage.getDirectory();
  await removeScratch(root);
  const handle = await root.getFileHandle(SCRATCH_PREFIX + offer.id, { create: true });
  return {
    sink: writerSink(await handle.createWritable({ keepExistingData: false })),
    async finish() {
      const url = URL.createObjectURL(await handle.getFile());
      const link = Object.assign(document.createElement('a'), { href: url, download: offer.filename });
      link.click();
      // The browser has read the link when click() returns; the scratch file goes with the next download.
      URL.revokeObjectURL(url);
    },
  };
}

function writerSink(writer: FileSystemWritableFileStream): FileSink {
  return {
    write: (offset, data) => writer.write({ type: 'write', position: offset, data }),
    close: () => writer.close(),
    abort: () => writer.abort().catch(() => undefined),
  };
}

/** Earlier downloads' scratch files (their downloads finished or were abandoned). */
async function removeScratch(root: FileSystemDirectoryHandle): Promise<void> {
  for await (const name of (root as unknown as { keys(): AsyncIterable<string> }).keys()) {
    if (name.startsWith(SCRATCH_PREFIX)) await root.removeEntry(name).catch(() => undefined);
  }
}
