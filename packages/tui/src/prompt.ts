import { openSync } from 'node:fs';
import { ReadStream, WriteStream } from 'node:tty';

/**
 * Asks one question on the terminal itself (/dev/tty, so it works when standard input is a
 * pipe), before the full-screen interface starts. What is typed is echoed unless it is a secret.
 * The terminal is always given back in its normal mode, whatever happens.
 */
export async function ask(question: string, options: { secret?: boolean } = {}): Promise<string> {
  let input: ReadStream;
  let output: WriteStream;
  try {
    input = new ReadStream(openSync('/dev/tty', 'r'));
    output = new WriteStream(openSync('/dev/tty', 'w'));
  } catch {
    throw new Error('No terminal to ask on: pass --username NAME --password-stdin, or --guest');
  }
  const restore = () => input.setRawMode(false);
  process.once('exit', restore);
  input.setRawMode(true);
  input.setEncoding('utf8');
  output.write(question);
  try {
    return await new Promise<string>((resolve, reject) => {
      let value = '';
      input.on('error', reject);
      input.on('end', () => reject(new Error('The terminal closed')));
      input.on('data', (chunk: string) => {
        // Keys like the arrows arrive as escape sequences: not part of an answer.
        for (const char of chunk.replace(/\u001b(?:\[[0-?]*[ -/]*[@-~]|O.|.)?/g, '')) {
          if (char === '\r' || char === '\n') return resolve(value);
          if (char === '\u0003') return reject(new Error('Cancelled'));
          if (char === '\u007f' || char === '\b') {
            if (value && !options.secret) output.write('\b \b');
            value = value.slice(0, -1);
          } else if (char >= ' ') {
            value += char;
            if (!options.secret) output.write(char);
          }
        }
      });
    });
  } finally {
    output.write('\n');
    restore();
    process.off('exit', restore);
    input.destroy();
    output.destroy();
  }
}
