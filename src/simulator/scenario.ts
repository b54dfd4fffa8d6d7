import fs from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { formatInput, parseInput } from './inputs';
import type { CallOutcome, CallerInput, EndReason, SimulationOptions, TranscriptEntry } from './types';

/**
 * Scenario files: a call to make, what the caller presses, and what must happen. One
 * JSON file holds one scenario or an array of them (run in order, so a later call can
 * depend on an earlier one, e.g. a second text to the same number). In JSON Schema terms:
 *
 *   {
 *     "name": string,                       // required, shown in PASS/FAIL lines
 *     "description"?: string,
 *     "call": {
 *       "url": string,                      // absolute, or resolved against --base-url like a link
 *       "method"?: "get" | "post",          // of the first fetch; default get
 *       "enctype"?: "application/x-www-form-urlencoded" | "multipart/form-data",
 *                                           // with post: dnis, ani, callid and params go in a
 *                                           //   body of this encoding instead of the query
 *       "dnis"?: string, "ani"?: string,    // session variables; added to the URL's query as
 *       "callId"?: string,                  //   dnis, ani, callid unless it already has them
 *       "params"?: { [name]: string },      // more query parameters (set, replacing any)
 *       "loadApplicationRoot"?: boolean,    // false: as a platform that never loads application=
 *       "laxDtmf"?: boolean                 // play a lax platform: keys outside a field's grammar
 *                                           //   fill it anyway (the server must count them)
 *     },
 *     "inputs"?: string[],                  // "1", "6175551234#", "noinput", "help", "hangup"
 *     "expect": {
 *       "prompts"?: string[],               // heard in this order (substrings, any case and spacing;
 *                                           //   "1234" matches digits spoken one by one, "1 2 3 4")
 *       "notPrompts"?: string[],            // never heard
 *       "silent"?: boolean,                 // true: no prompt at all; false: at least one
 *       "ending"?: {
 *         "reason"?: EndReason,             // exit, disconnect, document-end, hangup, return, error,
 *                                           //   input-exhausted, aborted. Without it the call must end normally
 *         "values"?: { [name]: any }        // these of the returned values (others are ignored)
 *       },
 *       "events"?: string[],                // raised in this order; "error" matches "error.badfetch"
 *       "fetches"?: integer                 // exactly this many HTTP fetches (root documents included)
 *     }
 *   }
 *
 * Every string may contain "{run}": four digits drawn once per run of the runner, the
 * same everywhere in that run. Scenarios that send texts put it in their phone numbers
 * (e.g. "+1617555{run}"), so running them again against the same server does not trip
 * the per-number limits.
 *
 * Besides what "expect" says, a scenario fails when a fetched document is not valid
 * VoiceXML (with --validate), or when the call ended before using every input.
 */

/** Every end reason, as a record so the compiler says when types.ts gains one. */
const END_REASONS: Record<EndReason, true> = {
  exit: true,
  disconnect: true,
  'document-end': true,
  hangup: true,
  return: true,
  error: true,
  'input-exhausted': true,
  aborted: true,
  'left-origin': true,
};

const callerInput = z.string().transform((token, ctx): CallerInput => {
  try {
    return parseInput(token);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

const callSpecSchema = z.strictObject({
  url: z.string().min(1),
  method: z.enum(['get', 'post']).optional(),
  enctype: z.enum(['application/x-www-form-urlencoded', 'multipart/form-data']).optional(),
  dnis: z.string().optional(),
  ani: z.string().optional(),
  callId: z.string().optional(),
  params: z.record(z.string(), z.string()).optional(),
  loadApplicationRoot: z.boolean().optional(),
  laxDtmf: z.boolean().optional(),
});
export type CallSpec = z.infer<typeof callSpecSchema>;

const expectSchema = z.strictObject({
  prompts: z.array(z.string().trim().min(1)).optional(),
  notPrompts: z.array(z.string().trim().min(1)).optional(),
  silent: z.boolean().optional(),
  ending: z
    .strictObject({
      reason: z.enum(Object.keys(END_REASONS) as [EndReason, ...EndReason[]]).optional(),
      values: z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
  events: z.array(z.string().min(1)).optional(),
  fetches: z.number().int().nonnegative().optional(),
});
export type Expectations = z.infer<typeof expectSchema>;

export const scenarioSchema = z.strictObject({
  name: z.string().trim().min(1),
  description: z.string().optional(),
  call: callSpecSchema,
  inputs: z.array(callerInput).default([]),
  expect: expectSchema,
});
export type Scenario = z.infer<typeof scenarioSchema>;

/** A file holds one scenario, or an array of them run in order. */
const scenarioListSchema = z.array(scenarioSchema).min(1);

export class ScenarioFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: ${problems.join('; ')}`);
    this.name = 'ScenarioFileError';
  }
}

/** Replaces "{run}" in every string of a parsed JSON value. */
function fillRun(value: unknown, run: string): unknown {
  if (typeof value === 'string') return value.replaceAll('{run}', run);
  if (Array.isArray(value)) return value.map((v) => fillRun(v, run));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillRun(v, run)]));
  }
  return value;
}

/** The scenarios of one file's parsed JSON; throws ScenarioFileError naming each bad field. */
export function parseScenarios(json: unknown, file: string, run: string): Scenario[] {
  const filled = fillRun(json, run);
  const parsed = Array.isArray(filled) ? scenarioListSchema.safeParse(filled) : scenarioSchema.safeParse(filled);
  if (!parsed.success) {
    throw new ScenarioFileError(
      file,
      parsed.error.issues.map((issue) => `${issue.path.join('.') || '(file)'}: ${issue.message}`),
    );
  }
  return Array.isArray(parsed.data) ? parsed.data : [parsed.data];
}

export function loadScenarioFile(file: string, run: string): Scenario[] {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ScenarioFileError(file, [(err as Error).message]);
  }
  return parseScenarios(json, file, run);
}

/**
 * The first fetch of a call and its session variables. dnis, ani and callId are added to
 * the start URL's query (as dnis, ani, callid: the parameters our server reads) unless the
 * URL already has them, as an IVR's <submit namelist> would send them; params are set
 * last. With method post and an enctype they go in a body of that encoding instead, as a
 * <submit method="post" enctype="..."> sends them. Throws when the URL is not an absolute
 * http(s) URL once resolved against baseUrl.
 */
export function startOf(
  call: CallSpec,
  baseUrl?: string,
): Pick<SimulationOptions, 'url' | 'startMethod' | 'startFields' | 'startEnctype' | 'dnis' | 'ani' | 'callId' | 'loadApplicationRoot' | 'laxDtmf'> {
  let url: URL;
  try {
    url = new URL(call.url, baseUrl);
  } catch {
    throw new Error(`"${call.url}" is not a URL${baseUrl ? ` (nor a path on ${baseUrl})` : ''}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`"${call.url}" is not an http(s) URL`);
  }
  const query: Array<[string, string | undefined]> = [
    ['dnis', call.dnis],
    ['ani', call.ani],
    ['callid', call.callId],
  ];
  for (const [name, value] of query) {
    if (value !== undefined && !url.searchParams.has(name)) url.searchParams.set(name, value);
  }
  for (const [name, value] of Object.entries(call.params ?? {})) url.searchParams.set(name, value);
  if (call.method === 'post' && call.enctype) {
    const startFields = [...url.searchParams];
    url.search = '';
    return { url: url.href, startMethod: 'POST', startFields, startEnctype: call.enctype, ...session(call) };
  }
  return {
    url: url.href,
    ...(call.method ? { startMethod: call.method === 'post' ? 'POST' : 'GET' } : {}),
    ...session(call),
  };
}

/** What a scenario's call says of the session and of the platform it plays. */
function session(call: CallSpec): Pick<SimulationOptions, 'dnis' | 'ani' | 'callId' | 'loadApplicationRoot' | 'laxDtmf'> {
  return {
    ...(call.laxDtmf ? { laxDtmf: true } : {}),
    ...(call.dnis !== undefined ? { dnis: call.dnis } : {}),
    ...(call.ani !== undefined ? { ani: call.ani } : {}),
    ...(call.callId !== undefined ? { callId: call.callId } : {}),
    ...(call.loadApplicationRoot !== undefined ? { loadApplicationRoot: call.loadApplicationRoot } : {}),
  };
}

// ---------------------------------------------------------------------------------------
// Matching a call against its expectations. Each check returns the reasons it failed,
// worded for the person who wrote the scenario.

/**
 * How prompts are compared: lower case, one space between words, and digits spoken one by
 * one ("ending in 1 2 3 4", from <say-as interpret-as="vxml:digits">) joined up, so a
 * scenario can write the number as the caller keyed it.
 */
function normalise(text: string): string {
  return text
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .replace(/(\d) (?=\d)/g, '$1')
    .trim();
}

function quoteList(items: readonly string[]): string {
  return items.length ? items.map((i) => JSON.stringify(i)).join(', ') : 'nothing';
}

function promptsOf(transcript: readonly TranscriptEntry[]): string[] {
  return transcript.flatMap((e) => (e.kind === 'prompt' ? [e.text] : []));
}

/** Each expected substring must be heard after the previous one. */
export function checkPrompts(expected: readonly string[], heard: readonly string[]): string[] {
  const text = normalise(heard.join(' '));
  let from = 0;
  for (const [i, want] of expected.entries()) {
    const needle = normalise(want);
    const at = text.indexOf(needle, from);
    if (at >= 0) {
      from = at + needle.length;
      continue;
    }
    const previous = i > 0 ? ` after ${JSON.stringify(expected[i - 1])}` : '';
    const where = text.includes(needle) ? `was heard, but not${previous}` : 'was never heard';
    return [`prompt ${JSON.stringify(want)} ${where}; the caller heard: ${quoteList(heard)}`];
  }
  return [];
}

export function checkNotPrompts(forbidden: readonly string[], heard: readonly string[]): string[] {
  const text = normalise(heard.join(' '));
  return forbidden
    .filter((f) => text.includes(normalise(f)))
    .map((f) => `prompt ${JSON.stringify(f)} was heard but should not have been`);
}

/** An expected event name matches that event and the events under it, as <catch> does. */
function eventMatches(expected: string, actual: string): boolean {
  return actual === expected || actual.startsWith(`${expected}.`);
}

export function checkEvents(expected: readonly string[], transcript: readonly TranscriptEntry[]): string[] {
  const raised = transcript.flatMap((e) => (e.kind === 'event' ? [e.name] : []));
  let from = 0;
  for (const [i, want] of expected.entries()) {
    const at = raised.findIndex((name, index) => index >= from && eventMatches(want, name));
    if (at < 0) {
      const previous = i > 0 ? ` after ${JSON.stringify(expected[i - 1])}` : '';
      return [`event ${JSON.stringify(want)} was not raised${previous}; events raised: ${quoteList(raised)}`];
    }
    from = at + 1;
  }
  return [];
}

function endText(outcome: CallOutcome): string {
  const why = outcome.event ? ` (${outcome.event}${outcome.message ? `: ${outcome.message}` : ''})` : '';
  return `"${outcome.reason}"${why}`;
}

export function checkEnding(expected: Expectations['ending'], outcome: CallOutcome): string[] {
  const failures: string[] = [];
  if (expected?.reason !== undefined) {
    if (outcome.reason !== expected.reason) failures.push(`the call ended with ${endText(outcome)}, expected "${expected.reason}"`);
  } else if (!outcome.normal) {
    failures.push(`the call ended abnormally with ${endText(outcome)}`);
  }
  for (const [name, want] of Object.entries(expected?.values ?? {})) {
    const actual = outcome.values?.[name];
    if (!isDeepStrictEqual(actual, want)) {
      failures.push(`returned ${name} was ${actual === undefined ? 'not set' : JSON.stringify(actual)}, expected ${JSON.stringify(want)}`);
    }
  }
  return failures;
}

function checkInvalidDocuments(transcript: readonly TranscriptEntry[]): string[] {
  return transcript.flatMap((e) =>
    e.kind === 'invalid' ? [`${e.url} is not valid VoiceXML 2.1: ${e.errors[0] ?? 'no detail'}${e.errors.length > 1 ? ` (and ${e.errors.length - 1} more)` : ''}`] : [],
  );
}

/**
 * Why a call did not go as its scenario says; empty when it did. `inputsUsed` is how many
 * of the scenario's inputs the browser asked for.
 */
export function judge(scenario: Scenario, outcome: CallOutcome, inputsUsed: number): string[] {
  const { expect } = scenario;
  const heard = promptsOf(outcome.transcript);
  const fetches = outcome.transcript.filter((e) => e.kind === 'fetch').length;
  const unused = scenario.inputs.slice(inputsUsed).map(formatInput);
  return [
    ...checkEnding(expect.ending, outcome),
    ...(expect.prompts ? checkPrompts(expect.prompts, heard) : []),
    ...(expect.notPrompts ? checkNotPrompts(expect.notPrompts, heard) : []),
    ...(expect.silent === true && heard.length ? [`expected silence; the caller heard: ${quoteList(heard)}`] : []),
    ...(expect.silent === false && !heard.length ? ['expected prompts; the caller heard nothing'] : []),
    ...(expect.events ? checkEvents(expect.events, outcome.transcript) : []),
    ...(expect.fetches !== undefined && fetches !== expect.fetches ? [`${fetches} fetches, expected ${expect.fetches}`] : []),
    ...(unused.length ? [`the call ended before these inputs were used: ${unused.join(', ')}`] : []),
    ...checkInvalidDocuments(outcome.transcript),
  ];
}
