// Writes src/features/chat/emoji-shortcodes.json: every emoji that has a GitHub-style shortcode
// (the ones people know from GitHub, Slack and Discord), as [emoji, ...shortcodes], in Unicode's
// order (smileys first). The composer loads it lazily, so it costs the first page nothing.
// Run after upgrading emojibase-data: `npm run generate:emoji -w @parley/web`.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const emoji = require('emojibase-data/en/compact.json');
const shortcodes = require('emojibase-data/en/shortcodes/github.json');

/**
 * Emojibase adds U+FE0F (emoji style) even after characters that are emoji by default (👍);
 * Unicode's fully-qualified form has none there, and it is what people's keyboards type.
 */
const fullyQualified = (unicode) => {
  const [first, second, ...rest] = [...unicode];
  return second === '\uFE0F' && rest.length === 0 && /\p{Emoji_Presentation}/u.test(first) ? first : unicode;
};

const rows = emoji
  .filter((e) => e.order !== undefined && shortcodes[e.hexcode])
  .sort((a, b) => a.order - b.order)
  .map((e) => [fullyQualified(e.unicode), ...[shortcodes[e.hexcode]].flat()]);

const target = new URL('../src/features/chat/emoji-shortcodes.json', import.meta.url);
writeFileSync(target, `[\n${rows.map((r) => JSON.stringify(r)).join(',\n')}\n]\n`);
console.log(`${rows.length} emoji written to ${target.pathname}`);
