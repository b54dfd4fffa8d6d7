import readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { parseInput } from './inputs';
import type { CallerInput, InputSource } from './types';

/**
 * The caller's inputs typed at a terminal, or piped in line by line. Each line is one
 * input: keys ("1", "617 555 1234#"), or noinput, help or hangup; a line may hold
 * several separated by commas ("1,1", like --input). An empty line is silence (noinput):
 * pressing Enter without keys is the natural way to let the browser time out. The end of
 * the input (Ctrl-D, or the end of a piped file) means no more input, and the call ends
 * with "input-exhausted".
 *
 * With `prompt` (a person at a terminal) each request is announced on `prompt` with what
 * the browser expects, and a line that is not an input is refused and asked again;
 * without it (piped), a bad line throws, naming it.
 */
export interface LineInputs {
  inputs: InputSource;
  /** Stops reading, so the process can exit with the input still open. */
  close(): void;
}

export function lineInputs(input: Readable, prompt?: Writable): LineInputs {
  const lines = readline.createInterface({ input, crlfDelay: Infinity, terminal: false });
  const queued: string[] = [];
  let waiting: ((line: string | undefined) => void) | undefined;
  let ended = false;
  lines.on('line', (line) => {
    if (waiting) {
      const resolve = waiting;
      waiting = undefined;
      resolve(line);
    } else {
      queued.push(line);
    }
  });
  lines.on('close', () => {
    ended = true;
    waiting?.(undefined);
    waiting = undefined;
  });
  const nextLine = (): Promise<string | undefined> => {
    const line = queued.shift();
    if (line !== undefined || ended) return Promise.resolve(line);
    return new Promise((resolve) => (waiting = resolve));
  };

  // The unused rest of a line that held several inputs.
  const pending: CallerInput[] = [];
  const inputs: InputSource = async (request) => {
    for (;;) {
      const next = pending.shift();
      if (next) return next;
      prompt?.write(`  (${request.expecting.join(' or ') || 'any keys'}; keys, noinput, help or hangup; Enter = noinput) > `);
      const line = await nextLine();
      if (line === undefined) return undefined;
      try {
        pending.push(...parseLine(line));
      } catch (err) {
        if (!prompt) throw err;
        prompt.write(`  ${(err as Error).message}\n`);
      }
    }
  };
  return { inputs, close: () => lines.close() };
}

function parseLine(line: string): CallerInput[] {
  if (!line.trim()) return [{ kind: 'noinput' }];
  return line.split(',').map(parseInput);
}
