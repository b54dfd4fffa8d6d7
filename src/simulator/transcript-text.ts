import type { CallOutcome, CallerInput, TranscriptEntry } from './types';

/**
 * A simulated call as people read it: one line per transcript entry (a schema problem
 * adds one indented line per error). Fetches start at the left margin, so each document
 * and what happened inside it read as a block:
 *
 *   GET http://localhost:3000/vxml/start?dnis=... -> 200 (6 ms)
 *     say: "To get a text message with a link to chat with us now, press 1. ..."
 *     listen: ask.answer, expecting 1 | 2
 *   > caller presses 1
 *     recognised "1": answer = "1"
 *   POST http://localhost:3000/vxml/offer?call=... [answer=1] -> 200 (9 ms)
 *   ...
 *   end: disconnect status=sent reason=accepted maskedNumber="+*******1234"
 *
 * Plain text unless colour is asked for (the CLI asks when stdout is a terminal); a web
 * page can call entryText per entry and style the lines itself.
 */

export interface TextStyle {
  /** ANSI colours, for terminals. */
  colour?: boolean;
}

const ANSI = { bold: '1', dim: '2', red: '31', green: '32', yellow: '33', cyan: '36' } as const;

function paint(style: TextStyle, colour: keyof typeof ANSI, text: string): string {
  return style.colour ? `\u001b[${ANSI[colour]}m${text}\u001b[0m` : text;
}

/** A value as written in a transcript: bare when it is a plain word, else JSON. */
function valueText(value: unknown): string {
  if (typeof value === 'string' && /^[^\s"=]+$/.test(value)) return value;
  return JSON.stringify(value) ?? String(value);
}

function valuesText(values: Record<string, unknown> | undefined): string {
  if (!values) return '';
  return Object.entries(values)
    .map(([name, value]) => ` ${name}=${valueText(value)}`)
    .join('');
}

export function callerText(input: CallerInput): string {
  switch (input.kind) {
    case 'dtmf':
      return `caller presses ${input.keys}`;
    case 'noinput':
      return 'caller stays silent';
    case 'help':
      return 'caller asks for help';
    case 'hangup':
      return 'caller hangs up';
  }
}

/** The text of one transcript entry (one line; a schema problem has a line per error). */
export function entryText(entry: TranscriptEntry, style: TextStyle = {}): string {
  switch (entry.kind) {
    case 'fetch': {
      const body = entry.body ? ` [${entry.body}]` : '';
      const answer = entry.error ? `failed: ${entry.error}` : String(entry.status ?? '?');
      const line = `${entry.method} ${entry.url}${body} -> ${answer} (${entry.ms} ms)`;
      return entry.error || (entry.status ?? 0) >= 400 ? paint(style, 'red', line) : paint(style, 'dim', line);
    }
    case 'prompt':
      return `  say: ${paint(style, 'bold', JSON.stringify(entry.text))}`;
    case 'listen': {
      const { dialog, item, expecting } = entry.request;
      return `  listen: ${dialog}.${item}, expecting ${expecting.length ? expecting.join(' or ') : 'nothing in particular'}`;
    }
    case 'input':
      return paint(style, 'green', `> ${callerText(entry.input)}`);
    case 'recognition':
      return `  recognised ${JSON.stringify(entry.utterance)}: ${entry.item} = ${JSON.stringify(entry.interpretation)}`;
    case 'event':
      return paint(style, 'yellow', `  event: ${entry.name}${entry.message ? ` (${entry.message})` : ''}`);
    case 'log':
      return paint(style, 'cyan', `  log${entry.label ? ` [${entry.label}]` : ''}: ${entry.text}`);
    case 'invalid':
      return [
        paint(style, 'red', `! not valid VoiceXML 2.1: ${entry.url}`),
        ...entry.errors.map((error) => paint(style, 'red', `    ${error}`)),
      ].join('\n');
    case 'end': {
      const why = entry.event ? ` ${entry.event}${entry.message ? `: ${entry.message}` : ''}` : '';
      return paint(style, 'bold', `end: ${entry.reason}${why}${valuesText(entry.values)}`);
    }
  }
}

export function transcriptText(entries: readonly TranscriptEntry[], style: TextStyle = {}): string {
  return entries.map((entry) => entryText(entry, style)).join('\n');
}

/** How the call ended, as a transcript entry: the transcript's own, or one made from the outcome. */
export function endEntry(outcome: CallOutcome): TranscriptEntry {
  const last = outcome.transcript.at(-1);
  if (last?.kind === 'end') return last;
  return {
    kind: 'end',
    reason: outcome.reason,
    ...(outcome.values ? { values: outcome.values } : {}),
    ...(outcome.event ? { event: outcome.event } : {}),
    ...(outcome.message ? { message: outcome.message } : {}),
  };
}

/** The whole call, ending with how it ended. */
export function outcomeText(outcome: CallOutcome, style: TextStyle = {}): string {
  const { transcript } = outcome;
  const entries = transcript.at(-1)?.kind === 'end' ? transcript : [...transcript, endEntry(outcome)];
  return transcriptText(entries, style);
}
