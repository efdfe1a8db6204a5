import fs from 'node:fs';
import { SafetyLabel } from '@parley/protocol';
import type { Example } from './train';

/** Reads a JSON-lines data set: one `{"text", "labels": [...], "group"?}` per line; refuses bad lines with their number. */
export function readJsonl(file: string): Example[] {
  const examples: Example[] = [];
  fs.readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.trim() === '') return;
      let row: unknown;
      try {
        row = JSON.parse(line);
      } catch {
        throw new Error(`${file}:${i + 1}: not JSON`);
      }
      const { text, labels, group } = (row ?? {}) as { text?: unknown; labels?: unknown; group?: unknown };
      if (typeof text !== 'string' || !Array.isArray(labels) || !labels.every((l) => SafetyLabel.safeParse(l).success)) {
        throw new Error(`${file}:${i + 1}: expected {"text": string, "labels": [${SafetyLabel.options.join('|')}…]}`);
      }
      examples.push({ text, labels: labels as SafetyLabel[], ...(typeof group === 'string' ? { group } : {}) });
    });
  return examples;
}

export function writeJsonl(file: string, examples: Example[]): void {
  fs.writeFileSync(file, examples.map((e) => JSON.stringify(e)).join('\n') + '\n');
}
