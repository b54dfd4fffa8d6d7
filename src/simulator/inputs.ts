import type { CallerInput, InputSource } from './types';

const KEYS = /^[0-9*#A-D]+$/;

/**
 * One scripted input as testers write it: keys ("1", "6175551234#"), or one of the words
 * "noinput" (silence), "help" and "hangup". Spaces and dashes inside keys are ignored so
 * "617-555-1234" reads as typed. Throws on anything else, naming the input.
 */
export function parseInput(token: string): CallerInput {
  const text = token.trim();
  const word = text.toLowerCase();
  if (word === 'noinput' || word === 'silence') return { kind: 'noinput' };
  if (word === 'help') return { kind: 'help' };
  if (word === 'hangup' || word === 'hang-up') return { kind: 'hangup' };
  const keys = text.replace(/[\s-]/g, '').toUpperCase();
  if (!keys || !KEYS.test(keys)) {
    throw new Error(`input "${token}" is neither keys (0-9 * # A-D) nor noinput, help or hangup`);
  }
  return { kind: 'dtmf', keys };
}

/** The inverse of parseInput, for transcripts and scenario files. */
export function formatInput(input: CallerInput): string {
  return input.kind === 'dtmf' ? input.keys : input.kind;
}

/** Inputs taken in order; when they run out the call ends with "input-exhausted". */
export function scriptedInputs(inputs: readonly CallerInput[]): InputSource {
  let next = 0;
  return async () => inputs[next++];
}
