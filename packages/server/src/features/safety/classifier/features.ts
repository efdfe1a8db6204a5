/**
 * Text → hashed sparse features, shared by training and scoring so both see exactly the same
 * thing. Normalisation undoes the cheap obfuscations people use to dodge word filters ("k1ll",
 * "l o s e r", "stuuuupid", "f.u.c.k", full-width letters, zero-width joiners); the features are
 * word unigrams and bigrams plus character 3–5-grams of each word (which catch misspellings and
 * variants the training set never spelled out), hashed into 2^bits buckets.
 */

/** Only the start of a message is scored: a 2 MB paste costs what its first 4,000 characters cost. */
export const MAX_SCORED_CHARS = 4000;

/** Characters that stand in for letters inside a word ("k1ll", "h@te", "$tupid"). */
const LEET: Record<string, string> = { '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '@': 'a', $: 's', '!': 'i', '|': 'l', '+': 't' };

// Control and format characters (zero-width spaces and joiners, bidi marks, BOM): they only ever
// split words invisibly, so they become nothing; other controls (newlines, tabs) become spaces.
const INVISIBLE = /[\u00ad\u200b-\u200d\u2060-\u2064\ufeff]/g;
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028-\u202f\u2066-\u2069]/g;
const MARKS = /\p{M}+/gu;
const HAS_LETTER = /\p{L}/u;
const EDGE_PUNCTUATION = /^[^\p{L}\p{N}@$]+|[^\p{L}\p{N}]+$/gu;
const NOT_WORD_CHAR = /[^\p{L}\p{N}]+/gu;
const REPEATS = /(.)\1{2,}/gu;

const PLAIN = /^[a-z]+$/;

const CONTRACTIONS = /\b(i|you|we|they|he|she|it|u)['’](ll|m|re|d|ve)\b/g;
const EXPANDED: Record<string, string> = { ll: 'will', m: 'am', re: 'are', d: 'would', ve: 'have' };
/** Chat spellings read as the words they stand for ("ur" → "your", "gonna" → "going to"). */
const CHAT_SPELLINGS = new Map<string, string[]>(
  Object.entries({
    u: ['you'],
    ur: ['your'],
    youre: ['you', 'are'],
    im: ['i', 'am'],
    ima: ['i', 'am', 'going', 'to'],
    imma: ['i', 'am', 'going', 'to'],
    gonna: ['going', 'to'],
    wanna: ['want', 'to'],
    gotta: ['got', 'to'],
    ya: ['you'],
    yu: ['you'],
    cuz: ['because'],
    pls: ['please'],
    plz: ['please'],
    dont: ['do', 'not'],
    wont: ['will', 'not'],
    cant: ['can', 'not'],
    kys: ['kill', 'yourself'],
    stfu: ['shut', 'the', 'fuck', 'up'],
  }),
);

/** Whether a plain word has a letter three times in a row (the common case has none: no regex needed). */
function hasTriple(word: string): boolean {
  for (let i = 2; i < word.length; i++) if (word.charCodeAt(i) === word.charCodeAt(i - 1) && word.charCodeAt(i) === word.charCodeAt(i - 2)) return true;
  return false;
}

/** One word of a message after normalisation: lower case, de-obfuscated, letters and digits only. */
function normaliseWord(raw: string): string {
  // Fast path for most words of most messages: plain lower-case letters.
  if (PLAIN.test(raw)) return hasTriple(raw) ? raw.replace(REPEATS, '$1$1') : raw;
  let word = raw.replace(EDGE_PUNCTUATION, '');
  if (word === '') return '';
  if (HAS_LETTER.test(word)) {
    // "h8" / "gr8": a trailing 8 after a letter reads "ate"; other digits and symbols map one to one.
    word = word.replace(/(\p{L})8$/u, '$1ate');
    let mapped = '';
    for (const ch of word) mapped += LEET[ch] ?? ch;
    word = mapped.replace(NOT_WORD_CHAR, '');
  } else {
    word = word.replace(NOT_WORD_CHAR, '');
  }
  // "stuuuupid" → "stuupid", "nooooo" → "noo": two of a letter are kept so "too"/"kill" survive.
  return word.replace(REPEATS, '$1$1');
}

/**
 * The words of a message, normalised. Runs of three or more single letters are joined back
 * into one word ("k i l l  u" → "kill", "u"), as people space letters out to dodge filters.
 */
export function tokenize(text: string): string[] {
  const clipped = text.length > MAX_SCORED_CHARS ? text.slice(0, MAX_SCORED_CHARS) : text;
  const cleaned = clipped
    .normalize('NFKD')
    .replace(MARKS, '')
    .replace(INVISIBLE, '')
    .replace(CONTROL, ' ')
    .toLowerCase()
    // Contractions spelt out, so "i'll", "i will" and "ima" are one phrase to the model.
    .replace(CONTRACTIONS, (_, head: string, tail: string) => `${head} ${EXPANDED[tail] ?? tail}`)
    // Other apostrophes inside words: "don't" → "dont".
    .replace(/(\p{L})['’`](\p{L})/gu, '$1$2');
  const words: string[] = [];
  for (const raw of cleaned.split(/\s+/)) {
    const word = normaliseWord(raw);
    if (word === '') continue;
    // A Map, not an object: a word such as "constructor" must not find Object.prototype's.
    const spelt = CHAT_SPELLINGS.get(word);
    if (spelt) words.push(...spelt);
    else words.push(word);
  }
  const joined: string[] = [];
  for (let i = 0; i < words.length;) {
    let j = i;
    while (j < words.length && words[j]!.length === 1 && HAS_LETTER.test(words[j]!)) j++;
    if (j - i >= 3) {
      joined.push(words.slice(i, j).join(''));
      i = j;
    } else {
      joined.push(words[i]!);
      i++;
    }
  }
  return joined;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a over UTF-16 code units, continued from `h` over text[from, to): stable across platforms and Node versions. */
function fnv(h: number, text: string, from = 0, to = text.length): number {
  for (let i = from; i < to; i++) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
  return h;
}

// Feature kinds are prefixes of the hashed string ("w:kill", "b:kill you", "c:^ki"); hashing
// continues from each prefix's state, so no feature string is ever built.
const WORD = fnv(FNV_OFFSET, 'w:');
const BIGRAM = fnv(FNV_OFFSET, 'b:');
const GRAM = fnv(FNV_OFFSET, 'c:');
const SPACE = ' '.charCodeAt(0);

/** A message as a sparse binary vector, L2-normalised: `value` is the weight of each index. */
export interface FeatureVector {
  indices: Uint32Array;
  value: number;
}

/** Character n-grams of 3 to 5 characters are taken from each word, with ^ and $ marking its edges. */
const MIN_GRAM = 3;
const MAX_GRAM = 5;
/** Long "words" (URLs, keyboard mashing) contribute their first characters' n-grams only. */
const MAX_WORD_FOR_GRAMS = 24;

let marks = new Uint8Array(0);

/** The hashed features of a message, in `bits`-bit buckets (deduplicated). */
export function featurize(text: string, bits: number): FeatureVector {
  const mask = (1 << bits) - 1;
  const words = tokenize(text);
  // Deduplication with a bitmap of the buckets (reset afterwards) rather than a Set: a 4,000
  // character message has some 3,000 features, and this is the hot loop of scoring.
  if (marks.length !== 1 << bits) marks = new Uint8Array(1 << bits);
  const found: number[] = [];
  const seen = {
    add(bucket: number) {
      if (marks[bucket] === 0) {
        marks[bucket] = 1;
        found.push(bucket);
      }
    },
  };
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    const wordHash = fnv(WORD, word);
    seen.add((wordHash >>> 0) & mask);
    if (i + 1 < words.length) seen.add((fnv(Math.imul(fnv(BIGRAM, word) ^ SPACE, FNV_PRIME), words[i + 1]!) >>> 0) & mask);
    const padded = `^${word.length > MAX_WORD_FOR_GRAMS ? word.slice(0, MAX_WORD_FOR_GRAMS) : word}$`;
    for (let k = 0; k + MIN_GRAM <= padded.length; k++) {
      let h = fnv(GRAM, padded, k, k + MIN_GRAM - 1);
      for (let n = MIN_GRAM; n <= MAX_GRAM && k + n <= padded.length; n++) {
        h = Math.imul(h ^ padded.charCodeAt(k + n - 1), FNV_PRIME);
        seen.add((h >>> 0) & mask);
      }
    }
  }
  const indices = Uint32Array.from(found);
  for (const bucket of found) marks[bucket] = 0;
  return { indices, value: indices.length === 0 ? 0 : 1 / Math.sqrt(indices.length) };
}
