/**
 * The simulator's public vocabulary: what a caller can do, what a call produces, and the
 * options of one simulated call. The CLI, the scenario runner, the console's keypad page
 * and the project's end-to-end tests all speak these types.
 */

/** One thing the caller does when the browser listens. */
export type CallerInput =
  /** Keys pressed, e.g. "1" or "6175551234#" (0-9, *, #, A-D). */
  | { kind: 'dtmf'; keys: string }
  /** The caller stays silent until the browser's timeout. */
  | { kind: 'noinput' }
  /** The caller asks for help (a spoken "help" on a real platform: raises the help event). */
  | { kind: 'help' }
  /** The caller hangs up. */
  | { kind: 'hangup' };

/** What the browser is listening for, so a person can be told what to press. */
export interface InputRequest {
  /** The dialog (form or menu id) and the form item collecting input. */
  dialog: string;
  item: string;
  /** Human descriptions of the active grammars, e.g. "1 | 2" or "digits (10 to 11)". */
  expecting: string[];
}

/**
 * Where the caller's inputs come from: a script (CLI --input, scenario files), a terminal,
 * or the console's keypad. Resolving undefined means there is no more input: the
 * simulation ends with "input-exhausted".
 */
export type InputSource = (request: InputRequest) => Promise<CallerInput | undefined>;

export type EndReason =
  /** <exit>, or the caller's scripted hang-up handled by the document. */
  | 'exit'
  /** <disconnect> from the document. */
  | 'disconnect'
  /** The form interpretation algorithm ran out of things to do (the document ended). */
  | 'document-end'
  /** The caller hung up and the document did not exit on its own. */
  | 'hangup'
  /** <return> from the top-level document (it was written to run as a subdialog). */
  | 'return'
  /** An event with no handler but the platform's default, which ends the call (error.*). */
  | 'error'
  /** The script of inputs ran out while the browser was listening. */
  | 'input-exhausted'
  /** The engine stopped the call: step limit, a script timeout it could not recover from. */
  | 'aborted'
  /** The documents sent the call to a URL outside confineTo (a campaign's return URL): not fetched. */
  | 'left-origin';

export type TranscriptEntry =
  | { kind: 'fetch'; method: 'GET' | 'POST'; url: string; status?: number; ms: number; error?: string; body?: string }
  /** A prompt as the caller hears it; audio is shown as "[audio src]" followed by its fallback text when it has one. */
  | { kind: 'prompt'; text: string }
  | { kind: 'listen'; request: InputRequest }
  | { kind: 'input'; input: CallerInput }
  /** What the input matched: the interpretation assigned to the form item. */
  | { kind: 'recognition'; item: string; utterance: string; interpretation: unknown }
  | { kind: 'event'; name: string; message?: string }
  | { kind: 'log'; label?: string; text: string }
  /** A fetched VoiceXML document that is not valid against the W3C schema (--validate). */
  | { kind: 'invalid'; url: string; errors: string[] }
  | { kind: 'end'; reason: EndReason; values?: Record<string, unknown>; event?: string; message?: string };

export interface CallOutcome {
  reason: EndReason;
  /** True for exit, disconnect, document-end, hangup and return: the call ended as the documents intend. */
  normal: boolean;
  /** Variables handed back by exit/disconnect/return namelist or expr. */
  values?: Record<string, unknown>;
  /** The event that ended the call, for reason "error". */
  event?: string;
  message?: string;
  transcript: TranscriptEntry[];
  /** URLs of every document fetched, in order. */
  documents: string[];
}

export interface SimulationOptions {
  /** The start URL: fetched first (GET unless startMethod says otherwise). */
  url: string;
  startMethod?: 'GET' | 'POST';
  /** Form fields of a POST start, sent as a body of startEnctype (urlencoded by default). */
  startFields?: readonly [string, string][];
  startEnctype?: 'application/x-www-form-urlencoded' | 'multipart/form-data';
  /** Session variables: session.connection.local.uri / remote.uri and the call id. */
  dnis?: string;
  ani?: string;
  callId?: string;
  /**
   * Extra request headers (an access key), sent only to the start URL's origin: the
   * documents may send the call on to other hosts, which must not get them.
   */
  headers?: Readonly<Record<string, string>>;
  /**
   * An origin (scheme://host:port) the call may not leave: a URL elsewhere is shown and
   * not fetched, and the call ends with "left-origin". Unset: any URL is fetched (the CLI).
   */
  confineTo?: string;
  inputs: InputSource;
  /** Called for every transcript entry as it happens (interactive front ends). */
  onEntry?: (entry: TranscriptEntry) => void;
  /** Schema errors of a document, when documents are to be validated (empty = valid). */
  validate?: (xml: string) => Promise<string[]>;
  /** Per-fetch timeout when the document sets none (VoiceXML fetchtimeout), ms. */
  fetchTimeoutMs?: number;
  /**
   * Every fetch's timeout, whatever the documents set: a load test's hang guard. Many
   * simulated browsers in one process on a busy machine stretch each fetch's measured
   * time with their own CPU, so the documents' own timeouts would time out fetches the
   * server answered; such a test reports the fetch latencies instead.
   */
  fetchTimeoutOverrideMs?: number;
  /** Budget for one ECMAScript evaluation (node:vm timeout), ms. */
  scriptTimeoutMs?: number;
  /**
   * false: behave like a platform that never loads the application root a document names
   * (JVoiceXML's subdialogs did not: https://github.com/JVoiceXML/JVoiceXML/issues/66),
   * so its variables, catch handlers and links are missing. Default true, as the spec says.
   */
  loadApplicationRoot?: boolean;
  /** Safety net against documents that loop forever without listening. */
  maxSteps?: number;
  /**
   * Behave as a lax platform does: keys that no grammar of a field accepts fill the field
   * anyway (and are submitted) instead of raising nomatch. The server must count them.
   */
  laxDtmf?: boolean;
}
