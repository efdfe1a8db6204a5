import { seededRandom, type Example } from '../train';
import { FAMILIES, LEXICONS } from './templates';

/** Every fourth template of each family (the 4th, 8th…) is held out: the test set shares no template with training. */
const isTestTemplate = (index: number) => index % 4 === 3;

const PREFIXES = ['lol ', 'bro ', 'ok ', 'honestly ', 'fr ', 'omg ', 'dude ', 'yo ', 'hey ', 'listen '];
const SUFFIXES = [' lol', ' fr', ' tbh', ' ngl', ' 😂', ' 💀', ' 🙄', '!!', '?', '.', '...', ' haha', ' lmao', ' 😭'];

type Random = () => number;
const pick = <T>(items: readonly T[], random: Random): T => items[Math.floor(random() * items.length)]!;

function fill(template: string, random: Random): string {
  return template.replace(/\{(\w+)\}/g, (_, slot: string) => {
    const words = LEXICONS[slot];
    if (!words) throw new Error(`template slot {${slot}} has no word list`);
    return pick(words, random);
  });
}

/** The obfuscations people use to slip past word filters, applied to one word. */
function obfuscate(word: string, random: Random): string {
  switch (Math.floor(random() * 5)) {
    case 0:
      return word.replace(/[aeios]/g, (c) => ({ a: '4', e: '3', i: '1', o: '0', s: '5' })[c] ?? c);
    case 1:
      return word.replace(/[aeiou]/, (c) => c.repeat(3 + Math.floor(random() * 4)));
    case 2:
      return word.split('').join(random() < 0.5 ? ' ' : '.');
    case 3:
      return word.replace(/[aeiou]/, '*');
    default:
      return word.replace(/[aeiou]/, (c) => (c === 'a' ? '@' : c));
  }
}

/**
 * Surface variation on a filled template, the same for every label so that none of it is a cue:
 * case, a chatty prefix or suffix, an obfuscated word, a dropped letter.
 */
function vary(text: string, random: Random): string {
  let out = text;
  const words = out.split(' ');
  if (random() < 0.15) {
    const candidates = words.map((w, i) => [w, i] as const).filter(([w]) => /^[a-z]{4,}$/i.test(w));
    if (candidates.length > 0) {
      const [word, i] = pick(candidates, random);
      words[i] = obfuscate(word, random);
      out = words.join(' ');
    }
  }
  if (random() < 0.05 && out.length > 8) {
    const at = 1 + Math.floor(random() * (out.length - 2));
    if (/[a-z]/.test(out[at]!)) out = out.slice(0, at) + out.slice(at + 1);
  }
  if (random() < 0.15) out = pick(PREFIXES, random) + out;
  if (random() < 0.25) out += pick(SUFFIXES, random);
  const casing = random();
  if (casing < 0.45) out = out.toLowerCase();
  else if (casing < 0.8) out = out.charAt(0).toUpperCase() + out.slice(1);
  else if (casing < 0.84) out = out.toUpperCase();
  return out;
}

/** The labelled data set, deterministic for a seed: training and held-out test examples, deduplicated. */
export function generateDataset(seed: number): { train: Example[]; test: Example[] } {
  const random = seededRandom(seed);
  const train: Example[] = [];
  const test: Example[] = [];
  const seen = new Set<string>();
  for (const family of FAMILIES) {
    family.templates.forEach((template, index) => {
      const target = isTestTemplate(index) ? test : train;
      for (let n = 0; n < family.perTemplate; n++) {
        const text = vary(fill(template, random), random);
        const key = text.toLowerCase();
        if (seen.has(key)) continue;
        seen.add(key);
        target.push({ text, labels: [...family.labels], group: `${family.id}/${index}` });
      }
    });
  }
  return { train, test };
}
