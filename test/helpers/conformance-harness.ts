/**
 * Shared harness of the VoiceXML conformance tests (test/simulator/conformance-*.test.ts).
 *
 * The documents in test/simulator/fixtures/conformance are hand-written VoiceXML 2.1, served by the generic
 * fixture server (any web server, as far as the simulator knows). Every call validates the
 * documents it fetches against the W3C schema, and fails loudly if one of ours is invalid,
 * so an engine failure is never a malformed fixture in disguise.
 */
import path from 'node:path';
import { simulateCall } from '../../src/simulator/simulate';
import { parseInput, scriptedInputs } from '../../src/simulator/inputs';
import type { CallOutcome, CallerInput, SimulationOptions, TranscriptEntry } from '../../src/simulator/types';
import { startFixtureServer, type FixtureRequest, type FixtureRoute, type FixtureServer } from './fixture-server';
import { vxmlSchemaErrors } from './vxml-schema';

export type { CallOutcome, FixtureRequest, FixtureRoute, FixtureServer };

/** The folder served: fixture paths in the tests are relative to it ("/fia/blocks.vxml"). */
export const CONFORMANCE_DIR = path.resolve(__dirname, '../simulator/fixtures/conformance');

export function startConformanceServer(routes?: Record<string, FixtureRoute>): Promise<FixtureServer> {
  return startFixtureServer({ dir: CONFORMANCE_DIR, routes });
}

export type CallOptions = Partial<Omit<SimulationOptions, 'url' | 'inputs'>>;

/**
 * One simulated call from `path` on the server, with scripted inputs written as testers
 * write them ("1", "1234#", "noinput", "help", "hangup"). Generous limits: a conformance
 * failure must show as a wrong outcome, never as a jest timeout.
 */
export async function call(
  server: FixtureServer,
  path: string,
  inputs: ReadonlyArray<string | CallerInput> = [],
  options: CallOptions = {},
): Promise<CallOutcome> {
  const parsed = inputs.map((i) => (typeof i === 'string' ? parseInput(i) : i));
  const outcome = await simulateCall({
    url: path.startsWith('http') ? path : `${server.baseUrl}${path}`,
    inputs: scriptedInputs(parsed),
    validate: vxmlSchemaErrors,
    fetchTimeoutMs: 5_000,
    scriptTimeoutMs: 1_000,
    maxSteps: 5_000,
    ...options,
  });
  const invalid = outcome.transcript.filter((e) => e.kind === 'invalid');
  if (invalid.length) {
    throw new Error(`a conformance fixture is not schema-valid (fix the fixture): ${JSON.stringify(invalid, null, 2)}`);
  }
  return outcome;
}

type Entry<K extends TranscriptEntry['kind']> = Extract<TranscriptEntry, { kind: K }>;

export function entries<K extends TranscriptEntry['kind']>(outcome: CallOutcome, kind: K): Entry<K>[] {
  return outcome.transcript.filter((e): e is Entry<K> => e.kind === kind);
}

/** The prompt entries' texts, in the order the caller heard them. */
export const prompts = (o: CallOutcome): string[] => entries(o, 'prompt').map((e) => e.text);

/**
 * Everything the caller heard as one string, white space collapsed. Comparing this (rather
 * than the array) leaves the engine free to report adjacent prompts as one entry or several.
 */
export const speech = (o: CallOutcome): string => prompts(o).join(' ').replace(/\s+/g, ' ').trim();

export const eventNames = (o: CallOutcome): string[] => entries(o, 'event').map((e) => e.name);
export const recognitions = (o: CallOutcome) => entries(o, 'recognition');
export const logs = (o: CallOutcome) => entries(o, 'log');
export const listens = (o: CallOutcome) => entries(o, 'listen');

/** How many times `needle` occurs in `haystack`. */
export function occurrences(haystack: string, needle: string): number {
  let n = 0;
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + needle.length)) n++;
  return n;
}

/** The sentences among `candidates` found in `text`, in the order they occur (repeats kept). */
export function sequenceOf(text: string, candidates: readonly string[]): string[] {
  const found: { at: number; s: string }[] = [];
  for (const s of candidates) {
    for (let at = text.indexOf(s); at !== -1; at = text.indexOf(s, at + s.length)) found.push({ at, s });
  }
  return found.sort((a, b) => a.at - b.at).map((f) => f.s);
}

/** Fails unless every part occurs in `text`, each after the previous one. */
export function expectInOrder(text: string, parts: readonly string[]): void {
  let from = 0;
  for (const part of parts) {
    const at = text.indexOf(part, from);
    if (at === -1) {
      throw new Error(`expected ${JSON.stringify(part)} after position ${from} in:\n${text}`);
    }
    from = at + part.length;
  }
}

/** The requests the server received while `run` ran (tests in a file run one at a time). */
export async function requestsDuring<T>(server: FixtureServer, run: () => Promise<T>): Promise<{ result: T; requests: FixtureRequest[] }> {
  const before = server.requests.length;
  const result = await run();
  return { result, requests: server.requests.slice(before) };
}

/** The path (without query) of a received request. */
export const pathOf = (r: FixtureRequest): string => new URL(r.url, 'http://fixture').pathname;

/** A VoiceXML 2.1 document around `body`, for the fixture server's dynamic routes. */
export function vxml(body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<vxml version="2.1" xmlns="http://www.w3.org/2001/vxml">\n${body}\n</vxml>\n`;
}

export function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A dynamic route answering a VoiceXML document. */
export function vxmlRoute(body: (req: FixtureRequest) => string, headers: Record<string, string> = {}): FixtureRoute {
  return (req) => ({ body: vxml(body(req)), headers: { 'content-type': 'application/voicexml+xml; charset=utf-8', ...headers } });
}
