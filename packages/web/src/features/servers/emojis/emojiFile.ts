import { EmojiLimits } from '@parley/protocol';

/**
 * An emoji's name from its file's: the name without its extension, every run of characters
 * other than letters, digits and `_` made one `_`, cut to 32; `emoji_{n}` when too little is left.
 */
export function emojiNameFromFile(fileName: string, n: number): string {
  const base = fileName
    .replace(/\.[^.]*$/, '')
    .replace(/\W+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, EmojiLimits.nameMax);
  return base.length >= EmojiLimits.nameMin ? base : `emoji_${n}`;
}

/** A file as a data URI, as the emoji route takes the image. */
export function readAsDataUri(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error('Could not read the file'));
    reader.readAsDataURL(file);
  });
}
